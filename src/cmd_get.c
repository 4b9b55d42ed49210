/*
 * cmd_get.c: "get NAME|ID": hand the stored key to another program.
 * This is the hot path other programs call: no API request, no network
 * library work; the key goes from the store to the chosen output.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ldrt_config.h"
#include "output.h"
#include "secret.h"
#include "state.h"
#include "store.h"

static int cmd_get_exec(struct ldrt_ctx *, int, char **, struct ldrt_err *);

const struct cmd_entry cmd_get_entry = {
	.name = "get",
	.exec = cmd_get_exec,
};

#ifndef LDRT_CORE
/* The recorded expiry of the key the last rotation replaced, if any. */
static void
cmd_get_old_expiry(const char *id, int64_t *ms)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_record rec;

	if (state_record_load(id, &rec, &e) == 0 &&
	    rec.old_key_expires_at_ms > 0)
		*ms = rec.old_key_expires_at_ms;
	state_record_release(&rec);
}
#endif

static int
cmd_get_exec(struct ldrt_ctx *ctx, int argc, char **argv, struct ldrt_err *e)
{
	struct output_opts oo;
	struct output_result res;
	struct emit_input in;
	struct store_key k;
	struct store *s;
	struct option *lo;
	char *id = NULL, *name = NULL, *key = NULL;
	size_t len;
	int opt, r, ret = -1;

	output_init(&oo, OUTPUT_ALLOW_KEY);
	lo = cli_longopts(output_longopts, NULL);
	while ((r = cli_getopt(&cmd_get_entry, ctx, argc, argv,
	    CLI_GLOBAL_SHORTOPTS OUTPUT_SHORTOPTS, lo, &opt, e)) == 1) {
		r = output_option(&oo, opt, optarg, e);
		if (r < 0)
			goto out;
		if (r == 0) {
			cli_usage(&cmd_get_entry, e);
			goto out;
		}
	}
	if (r < 0)
		goto out;
	if (optind + 1 != argc) {
		cli_usage(&cmd_get_entry, e);
		goto out;
	}
	if (ctx_local_relay(ctx, argv[optind], &id, &name, e) != 0 ||
	    ctx_store(ctx, &s, e) != 0)
		goto out;
	memset(&k, 0, sizeof(k));
	k.kind = STORE_RELAY_KEY;
	k.profile = ctx->profile;
	k.api_host = ctx->api_host;
	k.relay_id = id;
	r = store_get(s, &k, &key, e);
	if (r < 0)
		goto out;
	if (r == STORE_ABSENT) {
		err_set(e, EX_NOUSER, "no key stored for relay '%s' (profile "
		    "'%s')", argv[optind], ctx->profile);
		goto out;
	}
	memset(&in, 0, sizeof(in));
	in.key = key;
	in.name = name != NULL ? name : argv[optind];
	in.id = id;
	len = strlen(key);
	in.display_key = len >= 4 ? key + len - 4 : NULL;
	in.old_key_expires_ms = -1;
	if (oo.format_set && oo.format == EMIT_JSON) {
#ifdef LDRT_CORE
		/* the state records are JSON: the full binary reads them */
		LDRT_NEED_FULL(e, "the json format");
		goto out;
#else
		cmd_get_old_expiry(id, &in.old_key_expires_ms);
#endif
	}
	if (output_deliver(&oo, NULL, &in, 1, &res, e) != 0)
		goto out;
	ret = 0;
out:
	secret_free(key);
	free(id);
	free(name);
	free(lo);
	return ret == 0 ? 0 : (e->ex != 0 ? e->ex : EX_SOFTWARE);
}
