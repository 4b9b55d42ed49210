/*
 * cmd_update.c: "update NAME|ID [--rename NEW] [--policy FILE|-]
 * [--comment TEXT]": change a relay config's name or policy (JSON Patch
 * with a comment).  The key does not change.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cli.h"
#include "ldrt_config.h"
#include "log.h"
#include "secret.h"
#include "store.h"

enum { OPT_RENAME = CLI_CMD_OPT, OPT_POLICY, OPT_COMMENT };

static const struct option cmd_update_opts[] = {
	{ "rename",  required_argument, NULL, OPT_RENAME },
	{ "policy",  required_argument, NULL, OPT_POLICY },
	{ "comment", required_argument, NULL, OPT_COMMENT },
	{ NULL, 0, NULL, 0 }
};

static int cmd_update_exec(struct ldrt_ctx *, int, char **,
    struct ldrt_err *);

const struct cmd_entry cmd_update_entry = {
	.name = "update",
	.exec = cmd_update_exec,
};

/* After a rename, the stored key's label follows the new name. */
static void
cmd_update_relabel(struct ldrt_ctx *ctx, const struct relay_config *rc)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct store_key k;
	struct store *s;
	char *key = NULL;

	if (ctx_store(ctx, &s, &e) != 0)
		goto out;
	memset(&k, 0, sizeof(k));
	k.kind = STORE_RELAY_KEY;
	k.profile = ctx->profile;
	k.api_host = ctx->api_host;
	k.relay_id = rc->id;
	k.relay_name = rc->name;
	if (store_get(s, &k, &key, &e) != 0)
		goto out;
	(void)store_put(s, &k, key, &e);
out:
	if (e.msg[0] != '\0')
		log_warn("the stored key keeps its old label: %s", e.msg);
	secret_free(key);
}

static int
cmd_update_exec(struct ldrt_ctx *ctx, int argc, char **argv,
    struct ldrt_err *e)
{
	struct relay_config cur = RELAY_CONFIG_INIT, upd = RELAY_CONFIG_INIT;
	const char *rename = NULL, *policy_path = NULL, *comment = NULL;
	struct option *lo;
	struct api *a;
	char *policy = NULL;
	int opt, r, ret = -1;

	lo = cli_longopts(cmd_update_opts, NULL);
	while ((r = cli_getopt(&cmd_update_entry, ctx, argc, argv,
	    CLI_GLOBAL_SHORTOPTS, lo, &opt, e)) == 1) {
		if (opt == OPT_RENAME)
			rename = optarg;
		else if (opt == OPT_POLICY)
			policy_path = optarg;
		else if (opt == OPT_COMMENT)
			comment = optarg;
		else {
			cli_usage(&cmd_update_entry, e);
			goto out;
		}
	}
	if (r < 0)
		goto out;
	if (optind + 1 != argc || (rename == NULL && policy_path == NULL)) {
		cli_usage(&cmd_update_entry, e);
		goto out;
	}
	if (rename != NULL && *rename == '\0') {
		err_set(e, EX_USAGE, "empty name for --rename");
		goto out;
	}
	if (ctx_init(ctx, e) != 0)
		goto out;
	if (policy_path != NULL && cmd_read_policy(policy_path, &policy,
	    e) != 0)
		goto out;
	if (ctx_find_relay(ctx, argv[optind], &cur, e) != 0 ||
	    ctx_api(ctx, &a, e) != 0)
		goto out;
	if (api_update(a, cur.id, rename, policy, comment, &upd, e) != 0)
		goto out;
	if (rename != NULL && strcmp(cur.name, upd.name) != 0)
		cmd_update_relabel(ctx, &upd);
	log_info("updated relay config '%s' (id %s)%s%s%s", upd.name, upd.id,
	    rename != NULL ? ", renamed from '" : "",
	    rename != NULL ? cur.name : "", rename != NULL ? "'" : "");
	ret = 0;
out:
	relay_config_release(&cur);
	relay_config_release(&upd);
	free(policy);
	free(lo);
	return ret == 0 ? 0 : (e->ex != 0 ? e->ex : EX_SOFTWARE);
}
