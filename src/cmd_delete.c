/*
 * cmd_delete.c: "delete NAME|ID [--yes]": delete a relay config through
 * the API, then forget its stored key and local state.  Asks on a
 * terminal; refuses without --yes when not on one.
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
#include "state.h"
#include "store.h"

enum { OPT_YES = CLI_CMD_OPT };

static const struct option cmd_delete_opts[] = {
	{ "yes", no_argument, NULL, OPT_YES },
	{ NULL, 0, NULL, 0 }
};

static int cmd_delete_exec(struct ldrt_ctx *, int, char **,
    struct ldrt_err *);

const struct cmd_entry cmd_delete_entry = {
	.name = "delete",
	.exec = cmd_delete_exec,
};

/* Asks "delete ...? [y/N]" on the terminal. */
int
cmd_confirm(const char *question, struct ldrt_err *e)
{
	char line[16];
	FILE *tty;
	int yes;

	tty = fopen("/dev/tty", "r+");
	if (tty == NULL)
		return err_set(e, EX_USAGE, "no terminal to confirm on; pass "
		    "--yes");
	fprintf(tty, "%s [y/N] ", question);
	fflush(tty);
	yes = fgets(line, sizeof(line), tty) != NULL &&
	    (line[0] == 'y' || line[0] == 'Y');
	fclose(tty);
	if (!yes)
		return err_set(e, EX_TEMPFAIL, "not confirmed; nothing done");
	return 0;
}

/* Forgets the stored key and the local record of id. */
static int
cmd_delete_forget(struct ldrt_ctx *ctx, const char *id, struct ldrt_err *e)
{
	struct ldrt_err e2 = LDRT_ERR_INIT;
	struct store_key k;
	struct store *s;
	int r;

	if (ctx_store(ctx, &s, e) != 0)
		return -1;
	memset(&k, 0, sizeof(k));
	k.kind = STORE_RELAY_KEY;
	k.profile = ctx->profile;
	k.api_host = ctx->api_host;
	k.relay_id = id;
	r = store_delete(s, &k, e);
	if (r < 0)
		return -1;
	if (state_record_delete(id, &e2) != 0)
		log_warn("%s", e2.msg);
	return r;
}

/* Fails (locked keyring, unreachable store) unless the relay key can be
 * read, so that forgetting it after the API delete will work. */
static int
cmd_delete_check_store(struct ldrt_ctx *ctx, const char *id,
    struct ldrt_err *e)
{
	struct store_key k;
	struct store *s;
	char *key = NULL;
	int r;

	if (ctx_store(ctx, &s, e) != 0)
		return -1;
	memset(&k, 0, sizeof(k));
	k.kind = STORE_RELAY_KEY;
	k.profile = ctx->profile;
	k.api_host = ctx->api_host;
	k.relay_id = id;
	r = store_get(s, &k, &key, e);
	secret_free(key);
	return r < 0 ? -1 : 0;
}

static int
cmd_delete_exec(struct ldrt_ctx *ctx, int argc, char **argv,
    struct ldrt_err *e)
{
	struct relay_config rc = RELAY_CONFIG_INIT;
	struct option *lo;
	struct api *a;
	char *id = NULL, *name = NULL, q[256];
	int opt, r, yes = 0, ret = -1;

	lo = cli_longopts(cmd_delete_opts, NULL);
	while ((r = cli_getopt(&cmd_delete_entry, ctx, argc, argv,
	    CLI_GLOBAL_SHORTOPTS, lo, &opt, e)) == 1) {
		if (opt != OPT_YES) {
			cli_usage(&cmd_delete_entry, e);
			goto out;
		}
		yes = 1;
	}
	if (r < 0)
		goto out;
	if (optind + 1 != argc) {
		cli_usage(&cmd_delete_entry, e);
		goto out;
	}
	if (!yes && !isatty(STDIN_FILENO)) {
		err_set(e, EX_USAGE, "delete needs --yes when not run on a "
		    "terminal");
		goto out;
	}
	if (ctx_find_relay(ctx, argv[optind], &rc, e) != 0) {
		if (e->ex != EX_NOUSER)
			goto out;
		/* gone from the API: forget a key we may still hold */
		if (ctx_local_relay(ctx, argv[optind], &id, &name, e) != 0)
			goto out;
		/*
		 * A local name can outlive a rename: its id may still be in
		 * the API under another name.  Its key is not forgotten then.
		 */
		if (strcmp(id, argv[optind]) != 0) {
			if (ctx_api(ctx, &a, e) != 0)
				goto out;
			r = api_get(a, id, &rc, e);
			if (r == 0) {
				err_set(e, EX_NOUSER, "no relay config named "
				    "'%s' in the API; its id %s is now named "
				    "'%s' (use that name or the id)",
				    argv[optind], id, rc.name);
				goto out;
			}
			if (e->ex != EX_NOUSER)
				goto out;
		}
		r = cmd_delete_forget(ctx, id, e);
		if (r < 0)
			goto out;
		if (r == STORE_ABSENT) {
			err_set(e, EX_NOUSER, "no relay config named '%s'",
			    argv[optind]);
			goto out;
		}
		log_info("relay config '%s' (id %s) does not exist in the API; "
		    "forgot its stored key", argv[optind], id);
		ret = 0;
		goto out;
	}
	/* a store we cannot change now must stop us before the API delete,
	 * or the config would be gone and its useless key left behind */
	if (cmd_delete_check_store(ctx, rc.id, e) != 0)
		goto out;
	if (!yes) {
		snprintf(q, sizeof(q), "Delete relay config '%s' (id %s)? Relay "
		    "Proxies using its key stop working.", rc.name, rc.id);
		if (cmd_confirm(q, e) != 0)
			goto out;
	}
	if (ctx_api(ctx, &a, e) != 0)
		goto out;
	r = api_delete(a, rc.id, e);
	if (r != 0 && e->ex != EX_NOUSER)
		goto out;
	if (cmd_delete_forget(ctx, rc.id, e) < 0)
		goto out;
	log_info("deleted relay config '%s' (id %s)%s", rc.name, rc.id,
	    r != 0 ? " (it was already gone from the API)" : "");
	ret = 0;
out:
	relay_config_release(&rc);
	free(id);
	free(name);
	free(lo);
	return ret == 0 ? 0 : (e->ex != 0 ? e->ex : EX_SOFTWARE);
}
