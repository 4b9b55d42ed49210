/*
 * cmd_import.c: "import NAME|ID --key-stdin": adopt a key created
 * elsewhere.  The key's last four characters must equal the API's display
 * key; nothing is stored otherwise.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "cli.h"
#include "ldrt_config.h"
#include "log.h"
#include "secret.h"
#include "store.h"

enum { OPT_KEY_STDIN = CLI_CMD_OPT };

static const struct option cmd_import_opts[] = {
	{ "key-stdin", no_argument, NULL, OPT_KEY_STDIN },
	{ NULL, 0, NULL, 0 }
};

static int cmd_import_exec(struct ldrt_ctx *, int, char **,
    struct ldrt_err *);

const struct cmd_entry cmd_import_entry = {
	.name = "import",
	.exec = cmd_import_exec,
};

static int
cmd_import_exec(struct ldrt_ctx *ctx, int argc, char **argv,
    struct ldrt_err *e)
{
	struct relay_config rc = RELAY_CONFIG_INIT;
	struct ldrt_err e2 = LDRT_ERR_INIT;
	struct option *lo;
	struct store *s;
	size_t len;
	int opt, r, key_stdin = 0, ret = -1;

	lo = cli_longopts(cmd_import_opts, NULL);
	while ((r = cli_getopt(&cmd_import_entry, ctx, argc, argv,
	    CLI_GLOBAL_SHORTOPTS, lo, &opt, e)) == 1) {
		if (opt != OPT_KEY_STDIN) {
			cli_usage(&cmd_import_entry, e);
			goto out;
		}
		key_stdin = 1;
	}
	if (r < 0)
		goto out;
	if (optind + 1 != argc || !key_stdin) {
		cli_usage(&cmd_import_entry, e);
		goto out;
	}
	if (ctx_store(ctx, &s, e) != 0 ||
	    ctx_find_relay(ctx, argv[optind], &rc, e) != 0)
		goto out;
	if (secret_read_fd(STDIN_FILENO, "key on standard input",
	    &rc.full_key, e) != 0)
		goto out;
	len = strlen(rc.full_key);
	if (len < 4 || strcmp(rc.full_key + len - 4, rc.display_key) != 0) {
		err_set(e, EX_DATAERR, "the key does not belong to relay "
		    "config '%s': its last characters differ from the API's "
		    "display key ...%s; nothing stored", rc.name,
		    rc.display_key);
		goto out;
	}
	if (strncmp(rc.full_key, "rel-", 4) != 0)
		log_warn("the key does not start with 'rel-'");
	if (cmd_keep_new_key(ctx, s, &rc, e) != 0)
		goto out;
	cmd_note_key(&rc, 0, NULL);
	if (config_set_relay_key(ctx->cfg->path, rc.name, "id", rc.id,
	    &e2) != 0)
		log_warn("%s", e2.msg);
	log_info("imported the key of relay config '%s' (id %s, key ...%s)",
	    rc.name, rc.id, rc.display_key);
	ret = 0;
out:
	relay_config_release(&rc);
	free(lo);
	return ret == 0 ? 0 : (e->ex != 0 ? e->ex : EX_SOFTWARE);
}
