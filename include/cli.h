/*
 * cli.h: the command table, global options and the per-run context that
 * commands use to reach the configuration, the store and the API.
 *
 * Each command lives in src/cmd_<name>.c and exports one struct cmd_entry;
 * main.c holds the table, src/help.c its usage line and summary.  exec() returns an exit code (0 or EX_*) and, on
 * failure, fills e with the one-line message main() prints.
 */
#ifndef LDRT_CLI_H
#define LDRT_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include "ldrt.h"

struct config;
struct config_relay;
struct store;
struct api;
struct relay_config;

/* Global options as given (option > LDRT_* environment > config > default). */
struct ldrt_globals {
	const char	*profile;	/* -p/--profile, LDRT_PROFILE */
	const char	*config_path;	/* --config, LDRT_CONFIG */
	const char	*api_url;	/* --api-url, LDRT_API_URL */
	const char	*ca_bundle;	/* --ca-bundle, LDRT_CA_BUNDLE */
	const char	*store;		/* --store, LDRT_STORE */
	const char	*proxy;		/* --proxy, LDRT_PROXY */
	int		 timeout;	/* --timeout, LDRT_TIMEOUT; 0 unset */
	int		 quiet;
	int		 verbose;
	int		 no_prompt;	/* --no-prompt */
	int		 config_quiet;	/* config warnings only with -v (the
					   credential helper: callers compare
					   stderr) */
};

struct ldrt_ctx {
	struct ldrt_globals	 g;
	struct config		*cfg;
	/* resolved settings (borrowed strings) */
	const char		*profile;
	const char		*api_url;
	char			*api_host;	/* owned */
	const char		*ca_bundle;
	const char		*store_backend;
	const char		*proxy;
	int			 timeout;
	int			 interactive;	/* stdin is a tty and no --no-prompt */
	/* opened lazily */
	struct store		*store;
	struct api		*api;
	char			*token;		/* secret; owned */
	const char		*token_source;	/* "store", "systemd credential" */
};

#define CMD_NEEDS_CONFIG 0x1

struct cmd_entry {
	const char	*name;
	int		 flags;
	int		(*exec)(struct ldrt_ctx *, int, char **, struct ldrt_err *);
};

/* Global option handling shared by main() and every command's getopt loop:
 * returns 1 if opt was a global option (consumed), 0 if not, -1 on a bad
 * value (e set, EX_USAGE). */
int	cli_global_option(struct ldrt_globals *g, int opt, const char *arg,
	    struct ldrt_err *e);
/* getopt_long entries for the global options (terminated by a zero row),
 * and the globals followed by a command's option tables a and b (either
 * may be NULL), newly allocated (free()). */
extern const struct option cli_global_longopts[];
#define CLI_GLOBAL_SHORTOPTS "p:qv"
struct option *cli_longopts(const struct option *a, const struct option *b);
/* Prints "usage: ld-relay-token NAME USAGE" into e as EX_USAGE; -1. */
int	cli_usage(const struct cmd_entry *c, struct ldrt_err *e);
int	cli_parse_timeout(const char *arg, int *out, struct ldrt_err *e);
/*
 * One step of a command's option loop: runs getopt_long (opterr must be 0),
 * consumes global options itself, and returns 1 with *opt set to the next
 * command option, 0 at the end of the options, -1 on a usage error (e set).
 * Commands number their long-only options from CLI_CMD_OPT up.
 */
#define CLI_CMD_OPT 512
int	cli_getopt(const struct cmd_entry *c, struct ldrt_ctx *ctx, int argc,
	    char **argv, const char *shortopts, const struct option *longopts,
	    int *opt, struct ldrt_err *e);

/* Context helpers (ctx.c). */
int	ctx_init(struct ldrt_ctx *ctx, struct ldrt_err *e);
void	ctx_release(struct ldrt_ctx *ctx);
/* Prints the configuration file's warnings (unknown keys ...). */
void	ctx_config_warnings(const struct ldrt_ctx *ctx);
int	ctx_store(struct ldrt_ctx *ctx, struct store **out, struct ldrt_err *e);
/* The API token: $CREDENTIALS_DIRECTORY/ld-api-token, else the store.
 * Absent: EX_NOPERM "not logged in". */
int	ctx_token(struct ldrt_ctx *ctx, const char **out, struct ldrt_err *e);
int	ctx_api(struct ldrt_ctx *ctx, struct api **out, struct ldrt_err *e);
/* Finds a relay config by id or name through the API.  A name matching
 * several configs is EX_DATAERR listing their ids; none is EX_NOUSER. */
int	ctx_find_relay(struct ldrt_ctx *ctx, const char *name_or_id,
	    struct relay_config *out, struct ldrt_err *e);
/* Finds the id of a relay locally (config sections, stored items), without
 * the API.  *id is a heap string; *name may be NULL or a heap string. */
int	ctx_local_relay(struct ldrt_ctx *ctx, const char *name_or_id,
	    char **id, char **name, struct ldrt_err *e);
/* The [relay NAME] section for name or id, or NULL. */
const struct config_relay *ctx_relay_section(struct ldrt_ctx *ctx,
	    const char *name, const char *id);

/* Helpers shared by commands (cmd_create.c). */
struct store;
/* Reads and validates a policy file ("-": stdin); *out compact JSON. */
int	cmd_read_policy(const char *path, char **out, struct ldrt_err *e);
/* Stores rc->full_key; on failure writes a recovery file and says where. */
int	cmd_keep_new_key(struct ldrt_ctx *ctx, struct store *s,
	    const struct relay_config *rc, struct ldrt_err *e);
/* Records the stored key's display key and creation/rotation time. */
void	cmd_note_key(const struct relay_config *rc, int64_t old_expiry_ms,
	    const char *old_display);

/* Asks QUESTION [y/N] on the terminal; EX_USAGE without one. */
int	cmd_confirm(const char *question, struct ldrt_err *e);

/* Every command. */
extern const struct cmd_entry cmd_login_entry;
extern const struct cmd_entry cmd_logout_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_create_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_show_entry;
extern const struct cmd_entry cmd_get_entry;
extern const struct cmd_entry cmd_update_entry;
extern const struct cmd_entry cmd_delete_entry;
extern const struct cmd_entry cmd_import_entry;
extern const struct cmd_entry cmd_token_entry;
extern const struct cmd_entry cmd_rotate_entry;
extern const struct cmd_entry cmd_store_entry;
extern const struct cmd_entry cmd_credential_entry;

#endif
