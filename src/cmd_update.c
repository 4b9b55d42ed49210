/*
 * cmd_update.c: "update NAME|ID [--rename NEW] [--policy FILE|-]
 * [--comment TEXT]": change a relay config's name or policy (JSON Patch
 * with a comment).  The key does not change.
 *
 * A rename is carried to the local names of the config: the stored key's
 * label, the state record's name, and the config file's [relay OLD]
 * section, renamed [relay NEW] with its keys and comments, so that its
 * env-file, exec ... settings follow the name.  The API is changed first
 * and cannot be undone here, so:
 *   - [relay NEW] already there: both sections are left as they are, a
 *     warning says to merge them by hand, exit 0;
 *   - the config file cannot be rewritten: the error says the API rename
 *     happened and the section must be renamed by hand, and the exit code
 *     is the write error's (73, 74, 78), so a script does not go on to
 *     rotate NEW without its settings;
 *   - a new name that cannot be a section name, while [relay OLD] exists,
 *     is refused before the API is asked (64).
 * Sections bound by id (named after the id, or with an id key under
 * another name) need nothing: the id does not change.
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
#include "state.h"
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

/* The state record keeps the relay's name for people: follow the rename
 * if there is a record (none is made). */
static void
cmd_update_note_name(const struct relay_config *rc)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_record rec;
	int r;

	r = state_record_load(rc->id, &rec, &e);
	if (r == 0) {
		state_record_set(&rec.name, rc->name);
		r = state_record_save(rc->id, &rec, &e);
	}
	if (r < 0)
		log_warn("the state record keeps the old name: %s", e.msg);
	state_record_release(&rec);
}

/*
 * A new name must be able to head the section that will be renamed, or
 * the API rename would leave the settings behind: checked before the API
 * is asked.
 */
static int
cmd_update_check_name(struct ldrt_ctx *ctx, const struct relay_config *cur,
    const char *rename, struct ldrt_err *e)
{
	const struct config_relay *sec;

	sec = config_relay_by_name(ctx->cfg, cur->name);
	if (sec == NULL || (sec->id != NULL && strcmp(sec->id, cur->id) != 0) ||
	    config_relay_name_ok(rename))
		return 0;
	return err_set(e, EX_USAGE, "'%s' cannot name a config section "
	    "(blanks at either end, '[', ']' or control characters), and "
	    "[relay %s] would have to follow the rename; nothing changed",
	    rename, cur->name);
}

/*
 * Renames [relay OLD] to [relay NEW] in the config file.  0 also when
 * there is nothing to rename or [relay NEW] is already there (a warning);
 * -1 when the file could not be rewritten, e saying so.
 */
static int
cmd_update_rename_section(struct ldrt_ctx *ctx, const char *old,
    const struct relay_config *upd, struct ldrt_err *e)
{
	const char *path = ctx->cfg->path;
	int r;

	r = config_rename_relay(path, old, upd->name, upd->id, e);
	switch (r) {
	case CONFIG_RENAMED:
		log_verbose("config '%s': [relay %s] renamed to [relay %s]",
		    path, old, upd->name);
		return 0;
	case CONFIG_RENAME_ABSENT:
		return 0;
	case CONFIG_RENAME_OTHER_ID:
		log_verbose("config '%s': [relay %s] is for another id, not %s; "
		    "left as it is", path, old, upd->id);
		return 0;
	case CONFIG_RENAME_EXISTS:
		log_warn("config '%s': [relay %s] already exists, so [relay %s] "
		    "was not renamed; move its settings into [relay %s] and "
		    "remove it", path, upd->name, old, upd->name);
		return 0;
	}
	if (e->ex == EX_USAGE)
		e->ex = EX_DATAERR;	/* a name the API made, not ours */
	return err_prefix(e, "relay config '%s' was renamed to '%s' in "
	    "LaunchDarkly, but [relay %s] was not (rename it by hand)", old,
	    upd->name, old);
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
	if (rename != NULL && cmd_update_check_name(ctx, &cur, rename, e) != 0)
		goto out;
	if (api_update(a, cur.id, rename, policy, comment, &upd, e) != 0)
		goto out;
	if (rename != NULL && strcmp(cur.name, upd.name) != 0) {
		cmd_update_relabel(ctx, &upd);
		cmd_update_note_name(&upd);
		if (cmd_update_rename_section(ctx, cur.name, &upd, e) != 0)
			goto out;
	}
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
