/*
 * store.h: where secrets live.  Backends: the Secret Service (libsecret;
 * only store_secret_service.c includes it) and an encrypted file
 * (store_file.c: AES-256-GCM, scrypt).  Items are keyed by attributes that
 * are neither secret nor changing: kind, profile, API host and, for relay
 * keys, the relay config id (the relay name is kept as a label attribute,
 * not matched).
 *
 * Return convention for lookups: 0 found, STORE_ABSENT (1) not found, -1
 * error.  A locked keyring (EX_NOPERM "keyring is locked") or an
 * unreachable service (EX_UNAVAILABLE) is always an error, never "absent",
 * and nothing is deleted because a read failed.
 */
#ifndef LDRT_STORE_H
#define LDRT_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "credential.h"
#include "ldrt.h"

#define STORE_ABSENT 1

enum store_kind {
	STORE_API_TOKEN,
	STORE_RELAY_KEY
};

struct store_key {
	enum store_kind	 kind;
	const char	*profile;	/* "default" ... */
	const char	*api_host;	/* "app.launchdarkly.com" */
	const char	*relay_id;	/* relay keys only */
	const char	*relay_name;	/* relay keys only; label, not matched */
};

/* One listed item: attributes only, never the secret. */
struct store_item {
	enum store_kind	 kind;
	char		*profile;
	char		*api_host;
	char		*relay_id;
	char		*relay_name;
};
void	store_items_free(struct store_item *items, size_t n);

struct store_opts {
	const char	*backend;	/* "auto", "secret-service", "file"; NULL auto */
	int		 timeout;	/* seconds per keyring call (default 10) */
	int		 interactive;	/* may prompt (unlock dialogs, passphrase) */
	const char	*passphrase_file; /* file store; NULL: env/credentials/tty */
	const char	*file_path;	/* file store; NULL: default */
};

struct store;

/* Backend operations (implemented by each backend). */
struct store_ops {
	const char *name;
	int	(*get)(struct store *, const struct store_key *, char **,
		    struct ldrt_err *);
	int	(*put)(struct store *, const struct store_key *, const char *,
		    struct ldrt_err *);
	int	(*del)(struct store *, const struct store_key *,
		    struct ldrt_err *);
	int	(*list)(struct store *, const struct store_key *,
		    struct store_item **, size_t *, struct ldrt_err *);
	void	(*close)(struct store *);
	/* generic git credentials (see store_cred_get() below) */
	int	(*cred_get)(struct store *, const struct credential *,
		    struct credential *, struct ldrt_err *);
	int	(*cred_put)(struct store *, const struct credential *,
		    struct ldrt_err *);
	int	(*cred_erase)(struct store *, const struct credential *,
		    struct ldrt_err *);
	/* want NULL: every git credential; else those matching want */
	int	(*cred_list)(struct store *, const struct credential *,
		    struct credential **, size_t *, struct ldrt_err *);
};

struct store {
	const struct store_ops	*ops;
	void			*priv;
	char			*why;		/* why this backend was chosen */
	struct store_opts	 opts;		/* strings borrowed */
};

/* Opens the chosen backend ("auto": Secret Service if it answers within the
 * deadline, else the file store if it exists or a passphrase source is
 * configured, else EX_UNAVAILABLE naming both options). */
int	store_open(const struct store_opts *o, struct store **out,
	    struct ldrt_err *e);
void	store_close(struct store *s);			/* NULL ok */
const char *store_backend_name(const struct store *s);
const char *store_reason(const struct store *s);

/* *secret is a heap string to release with secret_free(). */
int	store_get(struct store *s, const struct store_key *k, char **secret,
	    struct ldrt_err *e);
int	store_put(struct store *s, const struct store_key *k,
	    const char *secret, struct ldrt_err *e);
/* 0 deleted, STORE_ABSENT nothing there, -1 error. */
int	store_delete(struct store *s, const struct store_key *k,
	    struct ldrt_err *e);
/* Items matching kind/profile/api_host (NULL fields are wildcards). */
int	store_list(struct store *s, const struct store_key *pattern,
	    struct store_item **items, size_t *n, struct ldrt_err *e);

/*
 * Generic git credentials (the "credential" command for any protocol/host
 * that is not ours), kept the way git-credential-libsecret (>= 2.43) keeps
 * them so that either program finds the other's items:
 *
 *   Secret Service: schema "org.git.Password" with
 *   SECRET_SCHEMA_DONT_MATCH_NAME (items written by git 2.39's helper or by
 *   secret-tool without a schema are found too); attributes user, server,
 *   protocol, port (integer, only when the host had a non-zero ":port"),
 *   object (the path); label "Git: proto://host[:port]/path"; secret =
 *   password, then "\npassword_expiry_utc=N" and "\noauth_refresh_token=T"
 *   when set (store_cred_secret_encode()).
 *
 *   File store: items of their own kind in the same encrypted file (format
 *   version 2 once such an item exists; see store_file.c).
 *
 * Matching follows git (credential_match()): every field present in want
 * (protocol, host with its port, path, username) must be equal in the
 * item, absent fields are wildcards (path matches only when given).  The
 * password never selects an item for get.
 *
 * store_cred_get(): the first matching item into *out (cleared first;
 * protocol, host, path, username from the item, password and
 * password_expiry_utc/oauth_refresh_token from its secret): 0, STORE_ABSENT
 * or -1.  want must have a protocol (else STORE_ABSENT).
 *
 * store_cred_put(): upsert keyed by (protocol, host, path, username): an
 * item with exactly that key gets the new secret (and label) in place,
 * others are created; never a duplicate.  c must be complete
 * (credential_is_complete(), else EX_SOFTWARE); an empty password is a
 * value.  The caller skips ephemeral credentials.
 *
 * store_cred_erase(): removes every item matching want; with a password in
 * want only those whose stored password equals it.  0 removed at least
 * one, STORE_ABSENT none, -1 error (nothing is removed because a read
 * failed).  An empty pattern (credential_is_empty_pattern()) is refused
 * with EX_USAGE.
 */
/*
 * store_cred_list(): every git credential the store holds, as the array
 * *out of *n credentials (protocol, host, path, username from the item,
 * absent where it has none; password, password_expiry_utc and
 * oauth_refresh_token from its secret), in search or file order.  0 (also when there are none:
 * *out NULL, *n 0) or -1 (*out NULL, *n 0).  Free the array with
 * store_creds_free(): each element is credential_release()d, so passwords
 * and refresh tokens are secret memory wiped on release.
 *
 *   Secret Service: the items whose xdg:schema is "org.git.Password"
 *   (ours and git-credential-libsecret >= 2.43's) and those of git 2.39's
 *   helper: schema "org.gnome.keyring.NetworkPassword" with a label that
 *   starts with "Git: ".  Other NetworkPassword items and schema-less
 *   items (which get may still find) are not listed: nothing tells them
 *   apart from other programs' passwords.  The locked-keyring rules of
 *   the reads apply: locked items are unlocked (interactive: may prompt)
 *   or EX_NOPERM "keyring is locked", never an empty list.
 *
 *   File store: every git credential in the file (none without a file).
 *
 * store_cred_find(): the same for the items matching want (git's rule, as
 * for get, and in the order get considers them; on the Secret Service any
 * schema, as for get), so a caller can pick the item with an exact key
 * (store_cred_same_key()).  An empty pattern is refused with EX_USAGE.
 */
int	store_cred_list(struct store *s, struct credential **out, size_t *n,
	    struct ldrt_err *e);
int	store_cred_find(struct store *s, const struct credential *want,
	    struct credential **out, size_t *n, struct ldrt_err *e);
/* Releases n credentials (wiping their secrets) and the array.  NULL ok. */
void	store_creds_free(struct credential *v, size_t n);
int	store_cred_get(struct store *s, const struct credential *want,
	    struct credential *out, struct ldrt_err *e);
int	store_cred_put(struct store *s, const struct credential *c,
	    struct ldrt_err *e);
int	store_cred_erase(struct store *s, const struct credential *want,
	    struct ldrt_err *e);
/* The secret blob described above (heap, secret_free()); NULL if the
 * password is absent or a value holds a newline. */
char	*store_cred_secret_encode(const struct credential *c);
/* Splits a blob into out->password (the first line; "" for an empty blob),
 * password_expiry_utc and oauth_refresh_token (later lines; malformed or
 * unknown lines are ignored).  Replaces what out held in those fields. */
void	store_cred_secret_decode(const char *blob, struct credential *out);
/* 1 if a and b have the same key: protocol, host, path and username all
 * absent in both or byte-equal. */
int	store_cred_same_key(const struct credential *a,
	    const struct credential *b);

/* "api-token" / "relay-key" (the Secret Service "kind" attribute). */
const char *store_kind_name(enum store_kind k);

/*
 * Session-bus discovery; call before the first GLib D-Bus use (the bus is
 * cached per process).  Non-interactive: unsets DISPLAY so GLib never
 * autolaunches dbus-launch.  If DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR
 * are both unset and /run/user/<uid>/bus is a socket owned by the user,
 * sets DBUS_SESSION_BUS_ADDRESS to it (cron, systemd timers).  If no bus
 * can be found at all: -1, EX_UNAVAILABLE "no D-Bus session bus; ...".
 * Idempotent.  store_secret_service_open() calls it.
 */
int	store_prepare_bus(int interactive, struct ldrt_err *e);

/*
 * File store helpers.  store_file_default_path(): $XDG_DATA_HOME/
 * ld-relay-token/store (else ~/.local/share/...); caller frees.
 * store_file_exists(): 1 if the store file at o->file_path (or the default)
 * exists.  store_file_passphrase_configured(): 1 if a non-tty passphrase
 * source is configured (o->passphrase_file, LDRT_PASSPHRASE_FILE or
 * $CREDENTIALS_DIRECTORY/ld-relay-token.passphrase).
 *
 * Test-only knob: LDRT_SCRYPT_N (a power of two, 2^10..2^20) replaces the
 * tuned scrypt N when a new store is created, so test suites stay fast.
 */
char	*store_file_default_path(void);
int	store_file_exists(const struct store_opts *o);
int	store_file_passphrase_configured(const struct store_opts *o);
/* $CREDENTIALS_DIRECTORY/ld-relay-token.passphrase, or NULL; free(). */
#define STORE_FILE_PASS_CRED "ld-relay-token.passphrase"
char	*store_file_credential_path(void);

/* Backend constructors (used by store_open and tests).  On failure s is
 * left without ops/priv; the caller frees s->why if set. */
int	store_secret_service_open(const struct store_opts *o, struct store *s,
	    struct ldrt_err *e);
int	store_file_open(const struct store_opts *o, struct store *s,
	    struct ldrt_err *e);

#endif
