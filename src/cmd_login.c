/*
 * cmd_login.c: "login": read the API access token (stdin, a no-echo
 * prompt or a file; never argv), check it against the API, store it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "cli.h"
#include "log.h"
#include "secret.h"
#include "store.h"

enum { OPT_TOKEN_STDIN = CLI_CMD_OPT, OPT_TOKEN_FILE };

static const struct option cmd_login_opts[] = {
	{ "token-stdin", no_argument,	    NULL, OPT_TOKEN_STDIN },
	{ "token-file",	 required_argument, NULL, OPT_TOKEN_FILE },
	{ NULL, 0, NULL, 0 }
};

static int cmd_login_exec(struct ldrt_ctx *, int, char **, struct ldrt_err *);

const struct cmd_entry cmd_login_entry = {
	.name = "login",
	.exec = cmd_login_exec,
};

static int
cmd_login_read(struct ldrt_ctx *ctx, int from_stdin, const char *file,
    char **token, struct ldrt_err *e)
{
	if (file != NULL)
		return secret_read_file(file, "token file", 1, token, e);
	if (from_stdin || !isatty(STDIN_FILENO))
		return secret_read_fd(STDIN_FILENO, "token on standard input",
		    token, e);
	if (ctx->g.no_prompt)
		return err_set(e, EX_USAGE, "no token: use --token-stdin or "
		    "--token-file");
	return secret_prompt("LaunchDarkly API access token: ", token, e);
}

static int
cmd_login_exec(struct ldrt_ctx *ctx, int argc, char **argv,
    struct ldrt_err *e)
{
	struct option *lo = cli_longopts(cmd_login_opts, NULL);
	const char *file = NULL;
	struct api_opts ao;
	struct api *api = NULL;
	struct store_key k;
	struct store *s;
	char *token = NULL, fp[13];
	int opt, r, from_stdin = 0, ret = -1;

	while ((r = cli_getopt(&cmd_login_entry, ctx, argc, argv,
	    CLI_GLOBAL_SHORTOPTS, lo, &opt, e)) == 1) {
		if (opt == OPT_TOKEN_STDIN)
			from_stdin = 1;
		else if (opt == OPT_TOKEN_FILE)
			file = optarg;
		else {
			cli_usage(&cmd_login_entry, e);
			goto out;
		}
	}
	if (r < 0)
		goto out;
	if (optind != argc || (from_stdin && file != NULL)) {
		cli_usage(&cmd_login_entry, e);
		goto out;
	}
	if (ctx_init(ctx, e) != 0)
		goto out;
	/* open the store first: a token we could not keep is no login */
	if (ctx_store(ctx, &s, e) != 0)
		goto out;
	if (cmd_login_read(ctx, from_stdin, file, &token, e) != 0)
		goto out;
	if (strncmp(token, "api-", 4) != 0)
		log_warn("the token does not start with 'api-'; storing it "
		    "anyway if the API accepts it");

	memset(&ao, 0, sizeof(ao));
	ao.base_url = ctx->api_url;
	ao.token = token;
	ao.ca_bundle = ctx->ca_bundle;
	ao.proxy = ctx->proxy;
	ao.timeout = ctx->timeout > 0 ? ctx->timeout : 30;
	if (api_new(&ao, &api, e) != 0 || api_check_token(api, e) != 0)
		goto out;

	memset(&k, 0, sizeof(k));
	k.kind = STORE_API_TOKEN;
	k.profile = ctx->profile;
	k.api_host = ctx->api_host;
	if (store_put(s, &k, token, e) != 0)
		goto out;
	secret_fingerprint(token, fp);
	log_info("logged in to %s as profile '%s' (token %s, stored in %s)",
	    ctx->api_host, ctx->profile, fp, store_backend_name(s));
	ret = 0;
out:
	api_free(api);
	secret_free(token);
	free(lo);
	return ret == 0 ? 0 : (e->ex != 0 ? e->ex : EX_SOFTWARE);
}
