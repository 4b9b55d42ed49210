/*
 * main.c: argv[0], global options, the command table, dispatch, and the
 * one place that prints an error and turns it into the exit code.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "secret.h"

static const struct cmd_entry *const commands[] = {
	&cmd_login_entry,
	&cmd_logout_entry,
	&cmd_status_entry,
	&cmd_create_entry,
	&cmd_list_entry,
	&cmd_show_entry,
	&cmd_update_entry,
	&cmd_delete_entry,
	&cmd_import_entry,
	&cmd_get_entry,
	&cmd_rotate_entry,
	&cmd_token_entry,
	&cmd_store_entry,
	&cmd_credential_entry,
};

static const char global_usage[] =
    "usage: ld-relay-token [GLOBAL OPTIONS] COMMAND [ARGS]\n";

static const char global_help[] =
    "\n"
    "Global options:\n"
    "  -p, --profile NAME     profile to use (LDRT_PROFILE; default \"default\")\n"
    "      --config FILE      configuration file (LDRT_CONFIG)\n"
    "      --api-url URL      LaunchDarkly API base URL (LDRT_API_URL)\n"
    "      --ca-bundle FILE   CA certificates for the API (LDRT_CA_BUNDLE)\n"
    "      --store BACKEND    auto, secret-service or file (LDRT_STORE)\n"
    "      --proxy URL        HTTPS proxy (default: https_proxy, no_proxy)\n"
    "      --timeout SEC      per-request and keyring deadline (LDRT_TIMEOUT)\n"
    "      --no-prompt        never prompt (also when stdin is not a terminal)\n"
    "  -q, --quiet            print errors only\n"
    "  -v, --verbose          print what is being done\n"
    "      --version          print the version and exit\n"
    "  -h, --help             print this help, or a command's with COMMAND --help\n"
    "\n"
    "Secrets are never taken from the command line: tokens come from standard\n"
    "input, a no-echo prompt, a file, $CREDENTIALS_DIRECTORY or the store.\n"
    "See ld-relay-token(1).\n";

static void
usage_print(FILE *f)
{
	size_t i;

	fputs(global_usage, f);
	fputs("\nCommands:\n", f);
	for (i = 0; i < LDRT_ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s  %s\n", commands[i]->name,
		    commands[i]->summary);
	fputs(global_help, f);
}

static const struct cmd_entry *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < LDRT_ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

/* True if args (up to "--") ask for help. */
static int
wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

static int
run_command(struct ldrt_ctx *ctx, const struct cmd_entry *c, int argc,
    char **argv)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	int ex;

	if (wants_help(argc, argv)) {
		printf("usage: ld-relay-token %s %s\n  %s\n", c->name, c->usage,
		    c->summary);
		return 0;
	}
	optind = 0;
	opterr = 0;
	ex = c->exec(ctx, argc, argv, &e);
	if (ex != 0) {
		if (e.msg[0] != '\0')
			log_error("%s", e.msg);
		if (e.ex != 0)
			ex = e.ex;
	}
	return ex;
}

/*
 * Installed as git-credential-ld-relay: "git-credential-ld-relay [GLOBAL
 * OPTIONS] OPERATION" is "ld-relay-token credential [GLOBAL OPTIONS]
 * OPERATION" (an unknown operation exits 0 without reading stdin).
 */
static int
credential_mode(struct ldrt_ctx *ctx, int argc, char **argv)
{
	char **av;
	int i, ex;

	av = xcalloc((size_t)argc + 1, sizeof(*av));
	av[0] = (char *)"credential";
	for (i = 1; i < argc; i++)
		av[i] = argv[i];
	ex = run_command(ctx, &cmd_credential_entry, argc, av);
	free(av);
	ctx_release(ctx);
	return ex;
}

int
main(int argc, char **argv)
{
	static const struct option version_opts[] = {
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ldrt_err e = LDRT_ERR_INIT;
	struct ldrt_ctx ctx;
	const struct cmd_entry *c;
	struct option *lo;
	const char *base;
	int opt, r, ex;

	secret_harden_process();
	memset(&ctx, 0, sizeof(ctx));
	if (argc > 0 && argv[0] != NULL) {
		base = strrchr(argv[0], '/');
		base = base != NULL ? base + 1 : argv[0];
		if (strcmp(base, "git-credential-ld-relay") == 0)
			return credential_mode(&ctx, argc, argv);
	}

	lo = cli_longopts(version_opts, NULL);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+" CLI_GLOBAL_SHORTOPTS "h", lo,
	    NULL)) != -1) {
		if (opt == 'V') {
			printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			free(lo);
			return 0;
		}
		if (opt == 'h') {
			usage_print(stdout);
			free(lo);
			return 0;
		}
		r = (opt == '?' || opt == ':') ? 0 :
		    cli_global_option(&ctx.g, opt, optarg, &e);
		if (r <= 0) {
			if (r == 0)
				err_set(&e, EX_USAGE, "%s option '%s' (see "
				    "'ld-relay-token --help')", opt == ':' ?
				    "missing value for" : "unknown",
				    argv[optind - 1]);
			log_error("%s", e.msg);
			free(lo);
			return EX_USAGE;
		}
	}
	free(lo);
	log_set_level(ctx.g.quiet, ctx.g.verbose);
	if (optind >= argc) {
		usage_print(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[optind], "help") == 0) {
		c = optind + 1 < argc ? cmd_find(argv[optind + 1]) : NULL;
		if (c == NULL) {
			usage_print(stdout);
			return 0;
		}
		printf("usage: ld-relay-token %s %s\n  %s\n", c->name, c->usage,
		    c->summary);
		return 0;
	}
	c = cmd_find(argv[optind]);
	if (c == NULL) {
		log_error("unknown command '%s' (see 'ld-relay-token --help')",
		    argv[optind]);
		return EX_USAGE;
	}
	ex = run_command(&ctx, c, argc - optind, argv + optind);
	ctx_release(&ctx);
	return ex;
}
