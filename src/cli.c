/*
 * cli.c: global options shared by main() and every command's option loop,
 * so "ld-relay-token -p staging get prod" and "ld-relay-token get prod -p
 * staging" mean the same.
 */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "help.h"

enum {
	OPT_CONFIG = 256,
	OPT_API_URL,
	OPT_CA_BUNDLE,
	OPT_STORE,
	OPT_PROXY,
	OPT_TIMEOUT,
	OPT_NO_PROMPT
};

const struct option cli_global_longopts[] = {
	{ "profile",	required_argument, NULL, 'p' },
	{ "config",	required_argument, NULL, OPT_CONFIG },
	{ "api-url",	required_argument, NULL, OPT_API_URL },
	{ "ca-bundle",	required_argument, NULL, OPT_CA_BUNDLE },
	{ "store",	required_argument, NULL, OPT_STORE },
	{ "proxy",	required_argument, NULL, OPT_PROXY },
	{ "timeout",	required_argument, NULL, OPT_TIMEOUT },
	{ "no-prompt",	no_argument,	   NULL, OPT_NO_PROMPT },
	{ "quiet",	no_argument,	   NULL, 'q' },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ NULL, 0, NULL, 0 }
};

int
cli_parse_timeout(const char *arg, int *out, struct ldrt_err *e)
{
	char *end;
	long v;

	v = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || v < 1 || v > 3600)
		return err_set(e, EX_USAGE, "invalid timeout '%s' (seconds, "
		    "1 to 3600)", arg);
	*out = (int)v;
	return 0;
}

int
cli_global_option(struct ldrt_globals *g, int opt, const char *arg,
    struct ldrt_err *e)
{
	switch (opt) {
	case 'p':
		if (*arg == '\0')
			return err_set(e, EX_USAGE, "empty profile name");
		g->profile = arg;
		return 1;
	case OPT_CONFIG:
		g->config_path = arg;
		return 1;
	case OPT_API_URL:
		g->api_url = arg;
		return 1;
	case OPT_CA_BUNDLE:
		g->ca_bundle = arg;
		return 1;
	case OPT_STORE:
		if (strcmp(arg, "auto") != 0 &&
		    strcmp(arg, "secret-service") != 0 &&
		    strcmp(arg, "file") != 0)
			return err_set(e, EX_USAGE, "invalid store '%s' (auto, "
			    "secret-service or file)", arg);
		g->store = arg;
		return 1;
	case OPT_PROXY:
		g->proxy = arg;
		return 1;
	case OPT_TIMEOUT:
		if (cli_parse_timeout(arg, &g->timeout, e) != 0)
			return -1;
		return 1;
	case OPT_NO_PROMPT:
		g->no_prompt = 1;
		return 1;
	case 'q':
		g->quiet = 1;
		return 1;
	case 'v':
		g->verbose++;
		return 1;
	default:
		return 0;
	}
}

static size_t
cli_nopts(const struct option *o)
{
	size_t n = 0;

	while (o != NULL && o[n].name != NULL)
		n++;
	return n;
}

struct option *
cli_longopts(const struct option *a, const struct option *b)
{
	size_t ng, na, nb;
	struct option *all;

	ng = cli_nopts(cli_global_longopts);
	na = cli_nopts(a);
	nb = cli_nopts(b);
	all = xcalloc(ng + na + nb + 1, sizeof(*all));
	memcpy(all, cli_global_longopts, ng * sizeof(*all));
	if (na > 0)
		memcpy(all + ng, a, na * sizeof(*all));
	if (nb > 0)
		memcpy(all + ng + na, b, nb * sizeof(*all));
	return all;
}

int
cli_usage(const struct cmd_entry *c, struct ldrt_err *e)
{
	const struct help_entry *h = help_find(c->name);

	return err_set(e, EX_USAGE, "usage: ld-relay-token %s %s", c->name,
	    h != NULL ? h->usage : "...");
}

static int
cli_bad_option(const struct cmd_entry *c, char **argv, int opt,
    struct ldrt_err *e)
{
	const char *word = argv[optind - 1];

	if (opt == ':')
		return err_set(e, EX_USAGE, "%s: option '%s' needs a value",
		    c->name, word);
	return err_set(e, EX_USAGE, "%s: unknown option '%s' (see "
	    "'ld-relay-token %s --help')", c->name, word, c->name);
}

int
cli_getopt(const struct cmd_entry *c, struct ldrt_ctx *ctx, int argc,
    char **argv, const char *shortopts, const struct option *longopts,
    int *opt, struct ldrt_err *e)
{
	int r;

	for (;;) {
		*opt = getopt_long(argc, argv, shortopts, longopts, NULL);
		if (*opt == -1)
			return 0;
		if (*opt == '?' || *opt == ':')
			return cli_bad_option(c, argv, *opt, e);
		r = cli_global_option(&ctx->g, *opt, optarg, e);
		if (r < 0)
			return -1;
		if (r == 0)
			return 1;
	}
}
