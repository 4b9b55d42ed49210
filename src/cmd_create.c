/*
 * cmd_create.c: "create NAME --policy FILE|-": create a relay config.
 *
 * The API shows the full key exactly once, in the create response, so the
 * store is opened before the request and the key goes into it before
 * anything else happens.  If storing fails the key is written to a 0600
 * recovery file in the state directory and the command fails.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "cli.h"
#include "ldrt_config.h"
#include "log.h"
#include "output.h"
#include "secret.h"
#include "state.h"
#include "store.h"
#include "timeutil.h"

#define POLICY_MAX (1024 * 1024)

enum { OPT_POLICY = CLI_CMD_OPT };

static const struct option cmd_create_opts[] = {
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ NULL, 0, NULL, 0 }
};

static int cmd_create_exec(struct ldrt_ctx *, int, char **,
    struct ldrt_err *);

const struct cmd_entry cmd_create_entry = {
	.name = "create",
	.exec = cmd_create_exec,
};

/* Reads the policy document from a file or "-" (stdin). */
int
cmd_read_policy(const char *path, char **out, struct ldrt_err *e)
{
	GString *buf = NULL;
	char chunk[4096];
	ssize_t r;
	int fd, ret = -1;

	*out = NULL;
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set(e, EX_NOINPUT,
		    "policy file '%s': %s", path, strerror(errno));
	buf = g_string_new(NULL);
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_set(e, EX_IOERR, "policy file '%s': %s", path,
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		if (buf->len + (size_t)r > POLICY_MAX) {
			err_set(e, EX_DATAERR, "policy file '%s' is larger "
			    "than %d bytes", path, POLICY_MAX);
			goto out;
		}
		g_string_append_len(buf, chunk, r);
	}
	if (api_policy_normalize(buf->str, buf->len, out, e) != 0) {
		err_prefix(e, "policy file '%s'", path);
		goto out;
	}
	ret = 0;
out:
	if (fd != STDIN_FILENO)
		close(fd);
	g_string_free(buf, TRUE);
	return ret;
}

/*
 * Stores a relay key that exists nowhere else; on failure writes a
 * recovery file and says where (never the key itself).
 */
int
cmd_keep_new_key(struct ldrt_ctx *ctx, struct store *s,
    const struct relay_config *rc, struct ldrt_err *e)
{
	struct ldrt_err e2 = LDRT_ERR_INIT;
	struct store_key k;
	char *path = NULL;

	memset(&k, 0, sizeof(k));
	k.kind = STORE_RELAY_KEY;
	k.profile = ctx->profile;
	k.api_host = ctx->api_host;
	k.relay_id = rc->id;
	k.relay_name = rc->name;
	if (store_put(s, &k, rc->full_key, e) == 0)
		return 0;
	if (state_write_recovery(rc->id, rc->full_key, &path, &e2) != 0)
		return err_prefix(e, "storing the new key of '%s' failed and "
		    "so did writing a recovery file (%s)", rc->name, e2.msg);
	err_prefix(e, "storing the new key of '%s' failed; it was saved to "
	    "'%s' (mode 0600): import it with 'ld-relay-token import %s "
	    "--key-stdin < %s' and delete the file", rc->name, path, rc->id,
	    path);
	free(path);
	return -1;
}

/* Records the stored key's display key and creation/rotation time. */
void
cmd_note_key(const struct relay_config *rc, int64_t old_expiry_ms,
    const char *old_display)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_record rec;
	int r;

	r = state_record_load(rc->id, &rec, &e);
	if (r < 0) {
		log_warn("%s", e.msg);
		state_record_release(&rec);
		state_record_init(&rec);
	}
	state_record_set(&rec.name, rc->name);
	state_record_set(&rec.display_key, rc->display_key);
	rec.created_or_rotated_at_ms = time_now_ms();
	state_record_set(&rec.old_display_key, old_display);
	rec.old_key_expires_at_ms = old_expiry_ms > 0 ? old_expiry_ms : 0;
	rec.exec_failed = false;
	rec.exec_failed_at_ms = 0;
	rec.rejected_at_ms = 0;
	if (state_record_save(rc->id, &rec, &e) != 0)
		log_warn("%s", e.msg);
	state_record_release(&rec);
}

static int
cmd_create_exec(struct ldrt_ctx *ctx, int argc, char **argv,
    struct ldrt_err *e)
{
	struct relay_config rc = RELAY_CONFIG_INIT;
	struct ldrt_err e2 = LDRT_ERR_INIT;
	struct output_opts oo;
	struct output_result res;
	struct emit_input in;
	const struct config_relay *sec;
	struct option *lo;
	const char *policy_path = NULL, *name;
	char *policy = NULL;
	struct store *s;
	struct api *a;
	int opt, r, opts, ret = -1;

	output_init(&oo, OUTPUT_ALLOW_KEY);
	lo = cli_longopts(cmd_create_opts, output_longopts);
	while ((r = cli_getopt(&cmd_create_entry, ctx, argc, argv,
	    CLI_GLOBAL_SHORTOPTS OUTPUT_SHORTOPTS, lo, &opt, e)) == 1) {
		if (opt == OPT_POLICY) {
			policy_path = optarg;
			continue;
		}
		r = output_option(&oo, opt, optarg, e);
		if (r < 0)
			goto out;
		if (r == 0) {
			cli_usage(&cmd_create_entry, e);
			goto out;
		}
	}
	if (r < 0)
		goto out;
	if (optind + 1 != argc || policy_path == NULL) {
		cli_usage(&cmd_create_entry, e);
		goto out;
	}
	name = argv[optind];
	if (*name == '\0') {
		err_set(e, EX_USAGE, "empty relay config name");
		goto out;
	}
	if (ctx_init(ctx, e) != 0)
		goto out;
	if (cmd_read_policy(policy_path, &policy, e) != 0)
		goto out;
	/* the store must be usable before the key exists */
	if (ctx_store(ctx, &s, e) != 0 || ctx_api(ctx, &a, e) != 0)
		goto out;
	if (api_create(a, name, policy, &rc, e) != 0)
		goto out;
	if (cmd_keep_new_key(ctx, s, &rc, e) != 0)
		goto out;
	cmd_note_key(&rc, 0, NULL);
	if (config_set_relay_key(ctx->cfg->path, rc.name, "id", rc.id,
	    &e2) != 0)
		log_warn("%s", e2.msg);

	/*
	 * The output options, and the section's env-file and exec keys
	 * (written before the config existed), deliver the new key.  Without
	 * output options stdout has the summary, whatever the section does.
	 */
	sec = ctx_relay_section(ctx, rc.name, rc.id);
	opts = output_requested(&oo);
	if (opts)
		log_info("created relay config '%s' (id %s, key ...%s)",
		    rc.name, rc.id, rc.display_key);
	if (opts || (sec != NULL && (sec->env_files[0] != NULL ||
	    sec->exec != NULL))) {
		memset(&in, 0, sizeof(in));
		in.key = rc.full_key;
		in.name = rc.name;
		in.id = rc.id;
		in.display_key = rc.display_key;
		in.old_key_expires_ms = -1;
		if (output_deliver(&oo, sec, &in, 0, &res, e) != 0)
			goto out;
	}
	if (!opts)
		printf("id:           %s\nname:         %s\ndisplay key:  %s\n",
		    rc.id, rc.name, rc.display_key);
	ret = 0;
out:
	relay_config_release(&rc);
	free(policy);
	free(lo);
	return ret == 0 ? 0 : (e->ex != 0 ? e->ex : EX_SOFTWARE);
}
