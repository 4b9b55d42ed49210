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

/* Backend constructors (used by store_open and tests).  On failure s is
 * left without ops/priv; the caller frees s->why if set. */
int	store_secret_service_open(const struct store_opts *o, struct store *s,
	    struct ldrt_err *e);
int	store_file_open(const struct store_opts *o, struct store *s,
	    struct ldrt_err *e);

#endif
