/*
 * cmd_token.c: "token [--format raw|curl-config|json]": the API access
 * token for scripts, so it never has to appear in their argv:
 *
 *	ld-relay-token token --format curl-config | curl -K - URL
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"

static int cmd_token_exec(struct ldrt_ctx *, int, char **, struct ldrt_err *);

const struct cmd_entry cmd_token_entry = {
	.name = "token",
	.exec = cmd_token_exec,
};

static int
cmd_token_exec(struct ldrt_ctx *ctx, int argc, char **argv,
    struct ldrt_err *e)
{
	struct output_opts oo;
	struct output_result res;
	struct emit_input in;
	struct option *lo;
	const char *token;
	int opt, r, ret = -1;

	output_init(&oo, OUTPUT_ALLOW_TOKEN);
	lo = cli_longopts(output_longopts, NULL);
	while ((r = cli_getopt(&cmd_token_entry, ctx, argc, argv,
	    CLI_GLOBAL_SHORTOPTS OUTPUT_SHORTOPTS, lo, &opt, e)) == 1) {
		r = output_option(&oo, opt, optarg, e);
		if (r < 0)
			goto out;
		if (r == 0) {
			cli_usage(&cmd_token_entry, e);
			goto out;
		}
	}
	if (r < 0)
		goto out;
	if (optind != argc) {
		cli_usage(&cmd_token_entry, e);
		goto out;
	}
	if (ctx_token(ctx, &token, e) != 0)
		goto out;
	memset(&in, 0, sizeof(in));
	in.key = token;
	in.var = "LD_API_TOKEN";
	in.name = ctx->profile;
	in.old_key_expires_ms = -1;
	if (output_deliver(&oo, NULL, &in, 1, &res, e) != 0)
		goto out;
	ret = 0;
out:
	free(lo);
	return ret == 0 ? 0 : (e->ex != 0 ? e->ex : EX_SOFTWARE);
}
