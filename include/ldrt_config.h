/*
 * ldrt_config.h, the header of config.c (not "config.h", which is
 * autoconf's): the INI configuration file (GLib GKeyFile) and XDG paths.
 *
 *   $XDG_CONFIG_HOME/ld-relay-token/config   (or --config / LDRT_CONFIG)
 *
 *   [profile NAME]  api-url, store, ca-bundle, proxy, timeout
 *   [relay NAME]    profile, id, policy, env-file (list; env-file-2 ...),
 *                   var, format, max-age, grace, exec, exec-timeout,
 *                   create-missing
 *
 * A missing file is an empty configuration.  A malformed one is EX_CONFIG
 * with a message naming the file, the line and the key.  Unknown keys and
 * unknown sections ("[default]") are reported through config->warnings
 * (the caller decides to print them).
 *
 * Syntax (GKeyFile plus): "#" after a blank starts a comment, also after a
 * value ("store = auto  # ..."), "\#" is a literal "#"; an empty value is
 * the same as an absent key; a section or a key given twice is an error
 * (GKeyFile alone would merge or keep the last); several env files are a
 * list "env-file = /a;/b" and/or env-file-2 ... env-file-999, kept in
 * that order.  Durations use time_parse_duration(), booleans are
 * true/false (or 1/0), timeout is 1..3600 seconds, store is auto,
 * secret-service or file, api-url starts with https:// or http://.  The
 * file is at most 1 MiB and must be a regular file; a world-writable one is
 * refused (exec = runs commands), a group-writable or foreign-owned one
 * gives a warning.
 */
#ifndef LDRT_LDRT_CONFIG_H
#define LDRT_LDRT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ldrt.h"

struct config_profile {
	char	*name;
	char	*api_url;	/* NULL: not set */
	char	*store;		/* auto | secret-service | file; NULL: not set */
	char	*ca_bundle;
	char	*proxy;
	int	 timeout;	/* seconds; 0: not set */
};

struct config_relay {
	char	 *name;		/* section name: [relay NAME] */
	char	 *profile;	/* NULL: default profile */
	char	 *id;		/* config _id; NULL until create/import */
	char	 *policy;	/* path to the policy JSON file */
	char	**env_files;	/* NULL-terminated; never NULL */
	char	 *var;		/* NULL: AUTO_CONFIG_KEY */
	char	 *format;	/* env-file format; NULL: dotenv */
	int64_t	  max_age;	/* seconds; -1 unset */
	int64_t	  grace;	/* seconds; -1 unset */
	char	 *exec;
	int64_t	  exec_timeout;	/* seconds; -1 unset */
	bool	  create_missing;
};

struct config {
	char			*path;		/* file it was read from */
	bool			 exists;	/* false: file absent, empty config */
	struct config_profile	*profiles;
	size_t			 nprofiles;
	struct config_relay	*relays;
	size_t			 nrelays;
	char			**warnings;	/* NULL-terminated, never NULL */
};

/*
 * Loads path (NULL: config_default_path(); LDRT_CONFIG is the caller's
 * business).  *out owned by the caller (config_free()); NULL on error.
 */
int	config_load(const char *path, struct config **out, struct ldrt_err *e);
/* Parses data (pure; path is used in messages only). */
int	config_parse(const char *data, size_t len, const char *path,
	    struct config **out, struct ldrt_err *e);
void	config_free(struct config *c);

/* Lookups return borrowed pointers or NULL. */
const struct config_profile *config_profile(const struct config *c,
	    const char *name);
const struct config_relay *config_relay_by_name(const struct config *c,
	    const char *name);
const struct config_relay *config_relay_by_id(const struct config *c,
	    const char *id);

/*
 * Sets key=value in section [relay NAME] (creating the section if needed)
 * and rewrites the file atomically, keeping comments.  Creates the file
 * (0600) and its directory (0700) when absent.
 *
 * The edit is textual: the line setting key is replaced by "key = value",
 * or one is added after the section's last key, or the section is
 * appended; every other byte (comments, spacing, CRLF) stays.  value is
 * escaped for GKeyFile as needed (for env-file, ";" separates a list).
 * key must be a relay key, value UTF-8 without control characters, else
 * EX_USAGE.  A file that does not parse, or would not parse afterwards
 * (a bad duration, ...), is left alone: EX_CONFIG.  The directory is
 * flock()ed for the read-modify-write; a symlink is written through; the
 * file keeps its mode (and owner, when root).  Write errors: EX_IOERR,
 * EX_CANTCREAT.
 */
int	config_set_relay_key(const char *path, const char *relay,
	    const char *key, const char *value, struct ldrt_err *e);

/*
 * Renames the section [relay FROM] to [relay TO] in the file at path,
 * keeping its keys, values and comments: the edit is textual, only the
 * name inside the header's brackets changes, every other byte stays.  It
 * is for "update --rename", after the API renamed the config, so that the
 * section's settings (env-file, exec ...) follow the new name.
 *
 * Returns, with nothing written unless CONFIG_RENAMED:
 *   CONFIG_RENAMED		done (atomically, as config_set_relay_key():
 *				directory flock()ed, a symlink written
 *				through, mode and owner kept);
 *   CONFIG_RENAME_ABSENT	no file (nor directory), or no [relay FROM];
 *   CONFIG_RENAME_EXISTS	[relay TO] is already there: neither section
 *				is touched (merging them is the operator's
 *				call);
 *   CONFIG_RENAME_OTHER_ID	id is not NULL and [relay FROM] has an id
 *				key naming another config: the section is
 *				not the renamed config's;
 *   -1				error, e set: EX_USAGE for FROM empty, TO
 *				not a valid section name ("[", "]", control
 *				characters, blanks at either end) or equal
 *				to FROM; EX_CONFIG for a file that cannot be
 *				read, locked or parsed ("not written: ...");
 *				EX_IOERR, EX_CANTCREAT when writing fails
 *				(messages start "config 'PATH'").
 * A section whose name is the id ([relay 5f0c...]) or that is bound by its
 * id key under another name is not FROM: ids do not change on a rename.
 */
/* Whether name can stand in "[relay NAME]" and read back the same: not
 * empty, UTF-8 without control characters, "[" or "]", no blank at
 * either end. */
bool	config_relay_name_ok(const char *name);
enum {
	CONFIG_RENAMED = 0,
	CONFIG_RENAME_ABSENT,
	CONFIG_RENAME_EXISTS,
	CONFIG_RENAME_OTHER_ID
};
int	config_rename_relay(const char *path, const char *from,
	    const char *to, const char *id, struct ldrt_err *e);

/* XDG directories for this program, newly allocated, without trailing '/':
 * $XDG_CONFIG_HOME/ld-relay-token, $XDG_STATE_HOME/ld-relay-token,
 * $XDG_DATA_HOME/ld-relay-token (falling back to ~/.config, ~/.local/state,
 * ~/.local/share).  Relative XDG values are ignored (XDG spec); $HOME must
 * be absolute, else the password database is asked; NULL when there is no
 * home directory at all. */
char	*config_default_path(void);
char	*paths_config_dir(void);
char	*paths_state_dir(void);
char	*paths_data_dir(void);
/* mkdir -p with mode 0700 for each created component; existing ones are
 * left alone.  EX_CANTCREAT naming the directory that failed. */
int	paths_mkdir_p(const char *dir, struct ldrt_err *e);

#endif
