/*
 * cmd_logout.c: "logout": forget the stored API access token.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "store.h"

static int cmd_logout_exec(struct ldrt_ctx *, int, char **,
    struct ldrt_err *);

const struct cmd_entry cmd_logout_entry = {
	.name = "logout",
	.exec = cmd_logout_exec,
};

static int
cmd_logout_exec(struct ldrt_ctx *ctx, int argc, char **argv,
    struct ldrt_err *e)
{
	struct option *lo = cli_longopts(NULL, NULL);
	struct store_key k;
	struct store *s;
	int opt, r;

	r = cli_getopt(&cmd_logout_entry, ctx, argc, argv, CLI_GLOBAL_SHORTOPTS,
	    lo, &opt, e);
	free(lo);
	if (r < 0)
		return e->ex;
	if (r == 1 || optind != argc)
		return cli_usage(&cmd_logout_entry, e), EX_USAGE;
	if (ctx_store(ctx, &s, e) != 0)
		return e->ex;
	memset(&k, 0, sizeof(k));
	k.kind = STORE_API_TOKEN;
	k.profile = ctx->profile;
	k.api_host = ctx->api_host;
	r = store_delete(s, &k, e);
	if (r < 0)
		return e->ex;
	if (r == STORE_ABSENT)
		log_info("no API token stored for %s (profile '%s')",
		    ctx->api_host, ctx->profile);
	else
		log_info("forgot the API token for %s (profile '%s')",
		    ctx->api_host, ctx->profile);
	return 0;
}
