/*
 * store_secret_service.c: the Secret Service backend (libsecret).
 *
 * One schema of our own, "io.github.ld-relay-token.Secret", with the
 * attributes kind (api-token | relay-key), profile, api-host, relay-id and
 * relay-name.  Items are matched on kind/profile/api-host/relay-id; the
 * relay name is kept on the item (and in its label) but never matched.
 *
 * Every operation runs under a deadline (opts.timeout seconds, default
 * 10): a GCancellable that a helper thread cancels when the deadline
 * passes, plus the same timeout as the D-Bus proxy default.  libsecret's
 * *_sync calls iterate their own main context, so a GLib timeout source
 * would never run; a thread blocked on a GCond with an end time does.
 *
 * Locked items are found with a search that does NOT ask to unlock, so no
 * prompt appears in non-interactive mode; a locked keyring is EX_NOPERM
 * "keyring is locked", never "absent".  Interactive mode may let libsecret
 * prompt (unlock), still under the deadline.
 *
 * Generic git credentials (store_cred_*) use git-credential-libsecret's
 * schema "org.git.Password" with SECRET_SCHEMA_DONT_MATCH_NAME, so items
 * of either program (and schema-less items from secret-tool) are shared.
 * Searches use the attributes present in the request; the results are
 * then filtered with git's rule (exact host:port, path only when given).
 * store updates an item with the same key in place (whatever its schema)
 * and removes duplicates; erase decides on every item (and, with a
 * password, reads every secret) before it deletes anything.  Listing
 * every git credential (store migrate) cannot search by request: it takes
 * the items whose xdg:schema is org.git.Password, and git 2.39's
 * NetworkPassword items labelled "Git: ..." (see ss_git_all()).
 *
 * Reads search all collections: with no default collection they report
 * absent correctly.  Writes go to the "default" alias; without one:
 * EX_UNAVAILABLE "keyring has no default collection".
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * secret-paths.h (search by D-Bus object paths, secrets for paths) is
 * marked "subject to change", but has not changed since libsecret 0.18
 * (2014); it is what lets get do no more D-Bus calls than secret-tool.
 */
#define SECRET_API_SUBJECT_TO_CHANGE 1
#include <libsecret/secret.h>

#include "ldrt.h"
#include "secret.h"
#include "store.h"

#define SS_DEFAULT_TIMEOUT	10
#define SS_DEFAULT_HOST		"app.launchdarkly.com"
#define SS_MSG_NOBUS		"no D-Bus session bus; run inside a login " \
				"session or use --store file"
#define SS_MSG_NOSERVICE	"no Secret Service on the session bus (is " \
				"gnome-keyring-daemon running?)"
#define SS_MSG_NODEFAULT	"keyring has no default collection"
#define SS_MSG_LOCKED		"keyring is locked"

static const SecretSchema ss_schema = {
	"io.github.ld-relay-token.Secret", SECRET_SCHEMA_NONE,
	{
		{ "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "profile", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "api-host", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "relay-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "relay-name", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ NULL, 0 }
	},
	0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

struct ssstore {
	SecretService	*svc;
	int		 timeout;
	int		 interactive;
};

enum ss_stage { SS_CONNECT, SS_READ, SS_WRITE };

/* ---- the deadline ---- */

struct ss_deadline {
	GMutex		 m;
	GCond		 c;
	gboolean	 done;
	gboolean	 fired;
	gint64		 end;
	int		 secs;
	GCancellable	*cancel;
	GThread		*t;
};

static gpointer
ss_deadline_thread(gpointer p)
{
	struct ss_deadline *d = p;
	gboolean fire = FALSE;

	g_mutex_lock(&d->m);
	while (!d->done) {
		if (!g_cond_wait_until(&d->c, &d->m, d->end) && !d->done) {
			fire = d->fired = TRUE;
			break;
		}
	}
	g_mutex_unlock(&d->m);
	if (fire)
		g_cancellable_cancel(d->cancel);
	return NULL;
}

static void
ss_deadline_start(struct ss_deadline *d, int secs)
{
	memset(d, 0, sizeof(*d));
	g_mutex_init(&d->m);
	g_cond_init(&d->c);
	d->secs = secs > 0 ? secs : SS_DEFAULT_TIMEOUT;
	d->end = g_get_monotonic_time() + (gint64)d->secs * G_TIME_SPAN_SECOND;
	d->cancel = g_cancellable_new();
	d->t = g_thread_new("ldrt-deadline", ss_deadline_thread, d);
}

static void
ss_deadline_stop(struct ss_deadline *d)
{
	g_mutex_lock(&d->m);
	d->done = TRUE;
	g_cond_signal(&d->c);
	g_mutex_unlock(&d->m);
	g_thread_join(d->t);
	g_object_unref(d->cancel);
	g_mutex_clear(&d->m);
	g_cond_clear(&d->c);
}

static gboolean
ss_deadline_fired(struct ss_deadline *d)
{
	gboolean f;

	g_mutex_lock(&d->m);
	f = d->fired;
	g_mutex_unlock(&d->m);
	return f;
}

/* ---- bus discovery ---- */

static int
ss_is_user_socket(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_uid == getuid();
}

int
store_prepare_bus(int interactive, struct ldrt_err *e)
{
	const char *addr = getenv("DBUS_SESSION_BUS_ADDRESS");
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char path[64], *p;
	int ok;

	if (!interactive)
		unsetenv("DISPLAY");	/* no dbus-launch autolaunch */
	if (addr != NULL && addr[0] != '\0')
		return 0;
	if (rt != NULL && rt[0] != '\0') {
		/* GLib uses $XDG_RUNTIME_DIR/bus; fail fast without it */
		p = xasprintf("%s/bus", rt);
		ok = ss_is_user_socket(p);
		free(p);
		if (ok)
			return 0;
		return err_set(e, EX_UNAVAILABLE, "%s", SS_MSG_NOBUS);
	}
	snprintf(path, sizeof(path), "/run/user/%u/bus", (unsigned)getuid());
	if (!ss_is_user_socket(path))
		return err_set(e, EX_UNAVAILABLE, "%s", SS_MSG_NOBUS);
	p = xasprintf("unix:path=%s", path);
	if (setenv("DBUS_SESSION_BUS_ADDRESS", p, 1) != 0) {
		free(p);
		return err_set(e, EX_OSERR, "setenv: %s", strerror(errno));
	}
	free(p);
	return 0;
}

/* ---- errors ---- */

static int
ss_error(struct ss_deadline *dl, GError *err, enum ss_stage stage,
    struct ldrt_err *e)
{
	char *msg;
	int r;

	if (ss_deadline_fired(dl) || (err != NULL &&
	    (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
	    g_error_matches(err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
	    g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT) ||
	    g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_TIMED_OUT) ||
	    g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY))))
		return err_set(e, EX_TEMPFAIL, "keyring did not answer within "
		    "%d s", dl->secs);
	if (err == NULL)
		return err_set(e, EX_UNAVAILABLE, "secret service: unknown "
		    "error");
	if (stage == SS_CONNECT && (err->domain == G_SPAWN_ERROR ||
	    (err->domain == G_IO_ERROR &&
	    (err->code == G_IO_ERROR_FAILED ||
	    err->code == G_IO_ERROR_NOT_FOUND ||
	    err->code == G_IO_ERROR_CONNECTION_REFUSED ||
	    err->code == G_IO_ERROR_INVALID_ARGUMENT ||
	    err->code == G_IO_ERROR_PERMISSION_DENIED))))
		return err_set(e, EX_UNAVAILABLE, "%s (%s)", SS_MSG_NOBUS,
		    err->message);
	if (g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
	    g_error_matches(err, G_DBUS_ERROR,
	    G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
	    (err->domain == G_DBUS_ERROR &&
	    err->code >= G_DBUS_ERROR_SPAWN_EXEC_FAILED &&
	    err->code <= G_DBUS_ERROR_SPAWN_FAILED))
		return err_set(e, EX_UNAVAILABLE, "%s", SS_MSG_NOSERVICE);
	if (g_error_matches(err, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
		return err_set(e, EX_NOPERM, "%s", SS_MSG_LOCKED);
	if (stage == SS_WRITE &&
	    (g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD) ||
	    g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT) ||
	    g_error_matches(err, SECRET_ERROR, SECRET_ERROR_NO_SUCH_OBJECT)))
		return err_set(e, EX_UNAVAILABLE, "%s", SS_MSG_NODEFAULT);
	if (g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED))
		return err_set(e, EX_NOPERM, "keyring refused access");
	msg = g_strdup(err->message);
	if (g_dbus_error_is_remote_error(err)) {
		g_free(msg);
		msg = g_dbus_error_get_remote_error(err);
		r = err_set(e, EX_UNAVAILABLE, "secret service: %s (%s)",
		    err->message, msg != NULL ? msg : "remote error");
		g_free(msg);
		return r;
	}
	r = err_set(e, EX_UNAVAILABLE, "secret service: %s", msg);
	g_free(msg);
	return r;
}

/* ---- attributes ---- */

static GHashTable *
ss_attrs(const struct store_key *k, int full, int pattern)
{
	GHashTable *a = g_hash_table_new(g_str_hash, g_str_equal);

	/* values borrowed from k */
	g_hash_table_insert(a, (gpointer)"kind",
	    (gpointer)store_kind_name(k->kind));
	if (!pattern || k->profile != NULL)
		g_hash_table_insert(a, (gpointer)"profile",
		    (gpointer)(k->profile != NULL ? k->profile : ""));
	if (!pattern || k->api_host != NULL)
		g_hash_table_insert(a, (gpointer)"api-host",
		    (gpointer)(k->api_host != NULL ? k->api_host : ""));
	if ((k->kind == STORE_RELAY_KEY && !pattern) ||
	    (pattern && k->relay_id != NULL))
		g_hash_table_insert(a, (gpointer)"relay-id",
		    (gpointer)(k->relay_id != NULL ? k->relay_id : ""));
	if (full && k->kind == STORE_RELAY_KEY && k->relay_name != NULL)
		g_hash_table_insert(a, (gpointer)"relay-name",
		    (gpointer)k->relay_name);
	return a;
}

static char *
ss_label(const struct store_key *k)
{
	const char *host = k->api_host != NULL ? k->api_host : "";
	const char *prof = k->profile != NULL ? k->profile : "default";
	const char *id = k->relay_id != NULL ? k->relay_id : "";
	char *base, *l;

	if (k->kind == STORE_API_TOKEN)
		base = xasprintf("LaunchDarkly API token (%s)", prof);
	else
		base = xasprintf("Relay key %s (%.4s%s)",
		    k->relay_name != NULL ? k->relay_name : id, id,
		    strlen(id) > 4 ? "\xe2\x80\xa6" : "");
	if (host[0] == '\0' || strcmp(host, SS_DEFAULT_HOST) == 0)
		return base;
	l = xasprintf("%s on %s", base, host);
	free(base);
	return l;
}

/* ---- operations ---- */

static struct ssstore *
ss_of(struct store *s)
{
	return s->priv;
}

static void
ss_set_timeout(gpointer proxy, int secs)
{
	g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(proxy),
	    (secs > 0 ? secs : SS_DEFAULT_TIMEOUT) * 1000);
}

static int
ss_any_locked(GList *items, int *all)
{
	GList *l;
	int any = 0;

	*all = items != NULL;
	for (l = items; l != NULL; l = l->next) {
		if (secret_item_get_locked(l->data))
			any = 1;
		else
			*all = 0;
	}
	return any;
}

/* Unlocks items (interactive mode only: this may prompt). */
static int
ss_unlock(struct ssstore *ss, struct ss_deadline *dl, GList *objs,
    struct ldrt_err *e)
{
	GError *err = NULL;
	GList *unlocked = NULL;
	gint n;

	if (!ss->interactive)
		return err_set(e, EX_NOPERM, "%s", SS_MSG_LOCKED);
	n = secret_service_unlock_sync(ss->svc, objs, dl->cancel, &unlocked,
	    &err);
	g_list_free_full(unlocked, g_object_unref);
	if (err != NULL) {
		ss_error(dl, err, SS_READ, e);
		g_error_free(err);
		return -1;
	}
	if (n <= 0)
		return err_set(e, EX_NOPERM, "%s (unlock was dismissed)",
		    SS_MSG_LOCKED);
	return 0;
}

static int
ss_search_schema(struct ssstore *ss, struct ss_deadline *dl,
    const SecretSchema *schema, GHashTable *attrs, SecretSearchFlags flags,
    GList **out, struct ldrt_err *e)
{
	GError *err = NULL;
	GList *l;

	*out = secret_service_search_sync(ss->svc, schema, attrs,
	    SECRET_SEARCH_ALL | flags, dl->cancel, &err);
	if (err != NULL) {
		g_list_free_full(*out, g_object_unref);
		*out = NULL;
		ss_error(dl, err, SS_READ, e);
		g_error_free(err);
		return -1;
	}
	for (l = *out; l != NULL; l = l->next)
		ss_set_timeout(l->data, dl->secs);
	return 0;
}

static int
ss_search(struct ssstore *ss, struct ss_deadline *dl, GHashTable *attrs,
    SecretSearchFlags flags, GList **out, struct ldrt_err *e)
{
	return ss_search_schema(ss, dl, &ss_schema, attrs, flags, out, e);
}

static int
ss_copy_secret(SecretItem *it, char **secret)
{
	SecretValue *v = secret_item_get_secret(it);
	const gchar *t;

	if (v == NULL)
		return -1;
	t = secret_value_get_text(v);
	if (t == NULL || t[0] == '\0') {
		secret_value_unref(v);
		return -1;
	}
	*secret = secret_strdup(t);
	secret_value_unref(v);
	return 0;
}

/* Interactive: unlock the default collection (may prompt). */
static int
ss_unlock_default(struct ssstore *ss, struct ss_deadline *dl,
    struct ldrt_err *e)
{
	SecretCollection *c;
	GError *err = NULL;
	GList one = { NULL, NULL, NULL };
	int r;

	c = secret_collection_for_alias_sync(ss->svc,
	    SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE, dl->cancel,
	    &err);
	if (c == NULL) {
		if (err != NULL) {
			ss_error(dl, err, SS_WRITE, e);
			g_error_free(err);
			return -1;
		}
		return err_set(e, EX_UNAVAILABLE, "%s", SS_MSG_NODEFAULT);
	}
	one.data = c;
	r = ss_unlock(ss, dl, &one, e);
	g_object_unref(c);
	return r;
}

/*
 * 1 if the collection behind the "default" alias exists and is locked, 0
 * if it is unlocked or there is none, -1 on error.
 */
static int
ss_default_locked(struct ssstore *ss, struct ss_deadline *dl,
    struct ldrt_err *e)
{
	SecretCollection *c;
	GError *err = NULL;
	int r;

	c = secret_collection_for_alias_sync(ss->svc,
	    SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE, dl->cancel,
	    &err);
	if (c == NULL) {
		if (err == NULL || g_error_matches(err, G_DBUS_ERROR,
		    G_DBUS_ERROR_UNKNOWN_METHOD) || g_error_matches(err,
		    G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT) ||
		    g_error_matches(err, SECRET_ERROR,
		    SECRET_ERROR_NO_SUCH_OBJECT)) {
			g_clear_error(&err);
			return 0;
		}
		ss_error(dl, err, SS_READ, e);
		g_error_free(err);
		return -1;
	}
	r = secret_collection_get_locked(c) ? 1 : 0;
	g_object_unref(c);
	return r;
}

/*
 * A search that never reads a locked keyring as "nothing there": if it
 * finds no item and the default collection is locked (its items may not
 * be visible), non-interactive mode fails with EX_NOPERM and interactive
 * mode unlocks it (prompt) and searches again.
 */
static int
ss_search_visible_schema(struct ssstore *ss, struct ss_deadline *dl,
    const SecretSchema *schema, GHashTable *attrs, SecretSearchFlags flags,
    GList **out, struct ldrt_err *e)
{
	int lk;

	if (ss_search_schema(ss, dl, schema, attrs, flags, out, e) != 0)
		return -1;
	if (*out != NULL)
		return 0;
	if ((lk = ss_default_locked(ss, dl, e)) <= 0)
		return lk;
	if (!ss->interactive)
		return err_set(e, EX_NOPERM, "%s", SS_MSG_LOCKED);
	if (ss_unlock_default(ss, dl, e) != 0)
		return -1;
	return ss_search_schema(ss, dl, schema, attrs, flags, out, e);
}

static int
ss_search_visible(struct ssstore *ss, struct ss_deadline *dl,
    GHashTable *attrs, SecretSearchFlags flags, GList **out,
    struct ldrt_err *e)
{
	return ss_search_visible_schema(ss, dl, &ss_schema, attrs, flags, out,
	    e);
}

/*
 * The common case, at the cost of `secret-tool lookup`: SearchItems, then
 * GetSecrets for an unlocked match, with no item proxies (each would cost
 * a property round trip).  Returns 0 with *secret set, 1 when there is no
 * unlocked match (the caller then tells absent from locked, possibly
 * unlocking), -1 on error.  Never prompts: locked items are only listed.
 */
static int
ss_get_fast(struct ssstore *ss, struct ss_deadline *dl, GHashTable *attrs,
    char **secret, struct ldrt_err *e)
{
	gchar **unlocked = NULL, **locked = NULL;
	GHashTable *vals = NULL;
	SecretValue *v;
	GError *err = NULL;
	const gchar *t;
	int r = 1;

	if (!secret_service_search_for_dbus_paths_sync(ss->svc, &ss_schema,
	    attrs, dl->cancel, &unlocked, &locked, &err)) {
		ss_error(dl, err, SS_READ, e);
		g_clear_error(&err);
		r = -1;
		goto out;
	}
	if (unlocked == NULL || unlocked[0] == NULL)
		goto out;
	vals = secret_service_get_secrets_for_dbus_paths_sync(ss->svc,
	    (const gchar **)unlocked, dl->cancel, &err);
	if (vals == NULL) {
		ss_error(dl, err, SS_READ, e);
		g_clear_error(&err);
		r = -1;
		goto out;
	}
	for (gchar **p = unlocked; *p != NULL; p++) {
		v = g_hash_table_lookup(vals, *p);
		t = v != NULL ? secret_value_get_text(v) : NULL;
		if (t != NULL && t[0] != '\0') {
			*secret = secret_strdup(t);
			r = 0;
			break;
		}
	}
out:
	if (vals != NULL)
		g_hash_table_unref(vals);	/* unrefs the SecretValues */
	g_strfreev(unlocked);
	g_strfreev(locked);
	return r;
}

static int
ss_get(struct store *s, const struct store_key *k, char **secret,
    struct ldrt_err *e)
{
	struct ssstore *ss = ss_of(s);
	struct ss_deadline dl;
	GHashTable *attrs;
	GList *items = NULL, *l;
	GError *err = NULL;
	int r = -1, all;

	*secret = NULL;
	ss_deadline_start(&dl, ss->timeout);
	attrs = ss_attrs(k, 0, 0);
	if ((r = ss_get_fast(ss, &dl, attrs, secret, e)) <= 0)
		goto out;
	r = -1;
	if (ss_search_visible(ss, &dl, attrs, SECRET_SEARCH_LOAD_SECRETS,
	    &items, e) != 0)
		goto out;
	if (items == NULL) {
		r = STORE_ABSENT;
		goto out;
	}
	for (l = items; l != NULL; l = l->next)
		if (!secret_item_get_locked(l->data) &&
		    ss_copy_secret(l->data, secret) == 0) {
			r = 0;
			goto out;
		}
	if (!ss_any_locked(items, &all)) {
		err_set(e, EX_UNAVAILABLE, "secret service: item has no "
		    "readable secret");
		goto out;
	}
	/* only locked items: never "absent" */
	if (ss_unlock(ss, &dl, items, e) != 0)
		goto out;
	for (l = items; l != NULL; l = l->next) {
		if (!secret_item_load_secret_sync(l->data, dl.cancel, &err)) {
			ss_error(&dl, err, SS_READ, e);
			g_clear_error(&err);
			goto out;
		}
		if (ss_copy_secret(l->data, secret) == 0) {
			r = 0;
			goto out;
		}
	}
	err_set(e, EX_NOPERM, "%s", SS_MSG_LOCKED);
 out:
	g_hash_table_unref(attrs);
	g_list_free_full(items, g_object_unref);
	ss_deadline_stop(&dl);
	return r;
}

static int
ss_store_once(struct ssstore *ss, struct ss_deadline *dl,
    const struct store_key *k, const char *secret, GError **err)
{
	SecretValue *v;
	GHashTable *attrs;
	char *label;
	gboolean ok;

	attrs = ss_attrs(k, 1, 0);
	label = ss_label(k);
	v = secret_value_new(secret, -1, "text/plain");
	ok = secret_service_store_sync(ss->svc, &ss_schema, attrs,
	    SECRET_COLLECTION_DEFAULT, label, v, dl->cancel, err);
	secret_value_unref(v);
	free(label);
	g_hash_table_unref(attrs);
	return ok ? 0 : -1;
}

/*
 * After a store, which replaced an item with identical attributes: an
 * item for the same key with another relay-name (a rename) is stale, and
 * removed when unlocked.  The search asks for object paths only; the
 * usual answer, one unlocked path, is the item just stored, and needs no
 * item proxies (each costs a property round trip).  Best effort.
 */
static void
ss_drop_stale(struct ssstore *ss, struct ss_deadline *dl,
    const struct store_key *k)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	gchar **unlocked = NULL, **locked = NULL;
	GHashTable *attrs, *a;
	GList *items = NULL, *l;
	const char *name;
	int stale;

	attrs = ss_attrs(k, 0, 0);
	if (!secret_service_search_for_dbus_paths_sync(ss->svc, &ss_schema,
	    attrs, dl->cancel, &unlocked, &locked, NULL) ||
	    unlocked == NULL || unlocked[0] == NULL || unlocked[1] == NULL)
		goto out;
	if (ss_search(ss, dl, attrs, 0, &items, &e) != 0)
		goto out;
	for (l = items; l != NULL; l = l->next) {
		a = secret_item_get_attributes(l->data);
		name = a != NULL ? g_hash_table_lookup(a, "relay-name") : NULL;
		stale = name == NULL || strcmp(name, k->relay_name) != 0;
		if (a != NULL)
			g_hash_table_unref(a);
		if (stale && !secret_item_get_locked(l->data))
			secret_item_delete_sync(l->data, dl->cancel, NULL);
	}
out:
	g_list_free_full(items, g_object_unref);
	g_strfreev(unlocked);
	g_strfreev(locked);
	g_hash_table_unref(attrs);
}

/*
 * The path of the one item that matches k's attributes (all of them with
 * full, else those that identify the key), or NULL: none, several, a
 * locked one, or an error.  Paths only: no item proxies.
 */
static gchar *
ss_one_path(struct ssstore *ss, struct ss_deadline *dl,
    const struct store_key *k, int full)
{
	gchar **unlocked = NULL, **locked = NULL, *path = NULL;
	GHashTable *attrs;

	attrs = ss_attrs(k, full, 0);
	if (secret_service_search_for_dbus_paths_sync(ss->svc, &ss_schema,
	    attrs, dl->cancel, &unlocked, &locked, NULL) &&
	    unlocked != NULL && unlocked[0] != NULL && unlocked[1] == NULL &&
	    (locked == NULL || locked[0] == NULL))
		path = g_strdup(unlocked[0]);
	g_hash_table_unref(attrs);
	g_strfreev(unlocked);
	g_strfreev(locked);
	return path;
}

/*
 * The only item of key k (kind/profile/api-host/relay-id), if it also has
 * k's relay-name; else NULL (nothing there, a stale item of a rename, a
 * locked keyring, an error), and the caller's CreateItem deals with it.
 */
static gchar *
ss_sole_item(struct ssstore *ss, struct ss_deadline *dl,
    const struct store_key *k)
{
	gchar *key, *full = NULL;

	if ((key = ss_one_path(ss, dl, k, 0)) != NULL &&
	    (full = ss_one_path(ss, dl, k, 1)) != NULL &&
	    strcmp(key, full) != 0) {
		g_free(full);
		full = NULL;
	}
	g_free(key);
	return full;
}

/*
 * A new secret for the relay key's existing item, in place (Item.SetSecret).
 * gnome-keyring writes (and fsyncs) the keyring file once for SetSecret but
 * twice for a CreateItem that replaces an item, which is most of the cost
 * of a rotation.  The item's attributes are the ones CreateItem would have
 * written; its label, made from them, is kept.  0 if stored; -1 if the
 * caller is to store with CreateItem instead (nothing to update, or the
 * update failed).
 */
static int
ss_put_in_place(struct ssstore *ss, struct ss_deadline *dl,
    const struct store_key *k, const char *secret)
{
	SecretValue *v;
	GVariant *ret;
	GError *err = NULL;
	gchar *path;

	if (k->kind != STORE_RELAY_KEY || k->relay_name == NULL ||
	    (path = ss_sole_item(ss, dl, k)) == NULL)
		return -1;
	v = secret_value_new(secret, -1, "text/plain");
	ret = g_dbus_connection_call_sync(
	    g_dbus_proxy_get_connection(G_DBUS_PROXY(ss->svc)),
	    g_dbus_proxy_get_name(G_DBUS_PROXY(ss->svc)), path,
	    "org.freedesktop.Secret.Item", "SetSecret",
	    g_variant_new("(@(oayays))",
	    secret_service_encode_dbus_secret(ss->svc, v)), NULL,
	    G_DBUS_CALL_FLAGS_NO_AUTO_START, dl->secs * 1000, dl->cancel, &err);
	secret_value_unref(v);
	g_free(path);
	if (ret != NULL) {
		g_variant_unref(ret);
		return 0;
	}
	g_clear_error(&err);
	return -1;
}

static int
ss_put(struct store *s, const struct store_key *k, const char *secret,
    struct ldrt_err *e)
{
	struct ssstore *ss = ss_of(s);
	struct ss_deadline dl;
	GError *err = NULL;
	int r = -1;

	if (secret == NULL || secret[0] == '\0')
		return err_set(e, EX_DATAERR, "refusing to store an empty "
		    "secret");
	ss_deadline_start(&dl, ss->timeout);
	if (ss_put_in_place(ss, &dl, k, secret) == 0) {
		r = 0;
		goto out;
	}
	if (ss_deadline_fired(&dl)) {
		ss_error(&dl, NULL, SS_WRITE, e);
		goto out;
	}
	if (ss_store_once(ss, &dl, k, secret, &err) != 0) {
		if (!g_error_matches(err, SECRET_ERROR,
		    SECRET_ERROR_IS_LOCKED) || !ss->interactive ||
		    ss_deadline_fired(&dl)) {
			ss_error(&dl, err, SS_WRITE, e);
			goto out;
		}
		g_clear_error(&err);
		if (ss_unlock_default(ss, &dl, e) != 0)
			goto out;
		if (ss_store_once(ss, &dl, k, secret, &err) != 0) {
			ss_error(&dl, err, SS_WRITE, e);
			goto out;
		}
	}
	/* the new secret is in: failing to tidy up is not an error */
	if (k->kind == STORE_RELAY_KEY && k->relay_name != NULL)
		ss_drop_stale(ss, &dl, k);
	r = 0;
 out:
	g_clear_error(&err);
	ss_deadline_stop(&dl);
	return r;
}

static int
ss_del(struct store *s, const struct store_key *k, struct ldrt_err *e)
{
	struct ssstore *ss = ss_of(s);
	struct ss_deadline dl;
	GHashTable *attrs;
	GList *items = NULL, *l;
	GError *err = NULL;
	int r = -1, all;

	ss_deadline_start(&dl, ss->timeout);
	attrs = ss_attrs(k, 0, 0);
	if (ss_search_visible(ss, &dl, attrs, 0, &items, e) != 0)
		goto out;
	if (items == NULL) {
		r = STORE_ABSENT;
		goto out;
	}
	if (ss_any_locked(items, &all) && ss_unlock(ss, &dl, items, e) != 0)
		goto out;
	for (l = items; l != NULL; l = l->next) {
		if (!secret_item_delete_sync(l->data, dl.cancel, &err)) {
			ss_error(&dl, err, SS_WRITE, e);
			g_clear_error(&err);
			goto out;
		}
	}
	r = 0;
 out:
	g_hash_table_unref(attrs);
	g_list_free_full(items, g_object_unref);
	ss_deadline_stop(&dl);
	return r;
}

static char *
ss_attr_dup(GHashTable *a, const char *name)
{
	const char *v = g_hash_table_lookup(a, name);

	return v != NULL && v[0] != '\0' ? xstrdup(v) : NULL;
}

static int
ss_list(struct store *s, const struct store_key *pat,
    struct store_item **itemsp, size_t *np, struct ldrt_err *e)
{
	struct ssstore *ss = ss_of(s);
	struct store_key any = { STORE_API_TOKEN, NULL, NULL, NULL, NULL };
	struct ss_deadline dl;
	struct store_item *v = NULL;
	GHashTable *attrs, *a;
	GList *items = NULL, *l;
	const char *kind;
	size_t n = 0;
	int r = -1;

	*itemsp = NULL;
	*np = 0;
	ss_deadline_start(&dl, ss->timeout);
	attrs = ss_attrs(pat != NULL ? pat : &any, 0, 1);
	if (ss_search_visible(ss, &dl, attrs, 0, &items, e) != 0)
		goto out;
	v = xcalloc(g_list_length(items), sizeof(*v));
	for (l = items; l != NULL; l = l->next) {
		a = secret_item_get_attributes(l->data);
		kind = a != NULL ? g_hash_table_lookup(a, "kind") : NULL;
		if (kind == NULL) {
			if (a != NULL)
				g_hash_table_unref(a);
			continue;
		}
		v[n].kind = strcmp(kind, "relay-key") == 0 ? STORE_RELAY_KEY :
		    STORE_API_TOKEN;
		v[n].profile = ss_attr_dup(a, "profile");
		v[n].api_host = ss_attr_dup(a, "api-host");
		v[n].relay_id = ss_attr_dup(a, "relay-id");
		v[n].relay_name = ss_attr_dup(a, "relay-name");
		g_hash_table_unref(a);
		n++;
	}
	*itemsp = v;
	*np = n;
	v = NULL;
	r = 0;
 out:
	free(v);
	g_hash_table_unref(attrs);
	g_list_free_full(items, g_object_unref);
	ss_deadline_stop(&dl);
	return r;
}

/* ---- generic git credentials (git-credential-libsecret's items) ---- */

/*
 * Schema of git-credential-libsecret >= 2.43.  DONT_MATCH_NAME: searches
 * do not add xdg:schema, so items of 2.39's helper (the NetworkPassword
 * schema) and schema-less items written by secret-tool are found too; new
 * items still carry xdg:schema=org.git.Password.
 */
static const SecretSchema ss_git_schema = {
	"org.git.Password", SECRET_SCHEMA_DONT_MATCH_NAME,
	{
		{ "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "protocol", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "port", SECRET_SCHEMA_ATTRIBUTE_INTEGER },
		{ "object", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ NULL, 0 }
	},
	0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

/* host rebuilt from its libsecret split: "h:443" stays, "h:" becomes "h" */
static char *
ss_git_host(const char *server, int port)
{
	if (server == NULL)
		return NULL;
	if (port > 0)
		return xasprintf("%s:%d", server, port);
	return xstrdup(server);
}

/* Search/store attributes of c (values owned by the table). */
static GHashTable *
ss_git_attrs(const struct credential *c)
{
	GHashTable *a;
	char *server;
	int port;

	a = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	if (c->username != NULL)
		g_hash_table_insert(a, (gpointer)"user",
		    g_strdup(c->username));
	if (c->protocol != NULL)
		g_hash_table_insert(a, (gpointer)"protocol",
		    g_strdup(c->protocol));
	if (c->host != NULL) {
		server = credential_split_host(c->host, &port);
		g_hash_table_insert(a, (gpointer)"server", g_strdup(server));
		if (port > 0)
			g_hash_table_insert(a, (gpointer)"port",
			    g_strdup_printf("%d", port));
		free(server);
	}
	if (c->path != NULL)
		g_hash_table_insert(a, (gpointer)"object", g_strdup(c->path));
	return a;
}

/* The key fields of an item, as a credential (owned strings). */
static void
ss_git_have(SecretItem *it, struct credential *have)
{
	GHashTable *a = secret_item_get_attributes(it);
	const char *v, *port;
	long p = 0;
	char *end;

	credential_init(have);
	if (a == NULL)
		return;
	if ((v = g_hash_table_lookup(a, "protocol")) != NULL)
		have->protocol = xstrdup(v);
	if ((v = g_hash_table_lookup(a, "object")) != NULL)
		have->path = xstrdup(v);
	if ((v = g_hash_table_lookup(a, "user")) != NULL)
		have->username = xstrdup(v);
	if ((v = g_hash_table_lookup(a, "server")) != NULL) {
		port = g_hash_table_lookup(a, "port");
		if (port != NULL) {
			errno = 0;
			p = strtol(port, &end, 10);
			if (errno != 0 || *end != '\0' || p < 0 || p > 65535)
				p = -1;	/* never equals a request */
		}
		if (p < 0)
			have->host = xasprintf("%s:%s", v, port);
		else
			have->host = ss_git_host(v, (int)p);
	}
	g_hash_table_unref(a);
}

/*
 * want with its host normalised as the items' hosts are (split, rebuilt);
 * *hostp owns the new host.  Other fields are borrowed: never release *n.
 */
static void
ss_git_norm(const struct credential *want, struct credential *n,
    char **hostp)
{
	char *server;
	int port;

	*n = *want;
	*hostp = NULL;
	if (want->host != NULL) {
		server = credential_split_host(want->host, &port);
		*hostp = ss_git_host(server, port);
		free(server);
		n->host = *hostp;
	}
}

/* Equal strings, compared without an early exit on the contents. */
static int
ss_str_eq_ct(const char *a, const char *b)
{
	size_t i, n;
	unsigned char d = 0;

	if (a == NULL || b == NULL || (n = strlen(a)) != strlen(b))
		return 0;
	for (i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* The item's secret (loading it if needed) as a heap secret string. */
static int
ss_git_blob(struct ss_deadline *dl, SecretItem *it, char **blob,
    struct ldrt_err *e)
{
	SecretValue *v;
	GError *err = NULL;
	const gchar *t;
	gsize len = 0;

	*blob = NULL;
	v = secret_item_get_secret(it);
	if (v == NULL) {
		if (!secret_item_load_secret_sync(it, dl->cancel, &err)) {
			ss_error(dl, err, SS_READ, e);
			g_clear_error(&err);
			return -1;
		}
		v = secret_item_get_secret(it);
	}
	if (v == NULL) {
		if (secret_item_get_locked(it))
			return err_set(e, EX_NOPERM, "%s", SS_MSG_LOCKED);
		return err_set(e, EX_UNAVAILABLE, "secret service: item has "
		    "no readable secret");
	}
	t = secret_value_get(v, &len);
	*blob = secret_strndup(t != NULL ? t : "", t != NULL ? len : 0);
	secret_value_unref(v);
	return 0;
}

/*
 * The items matching want (git's rule, on the key fields), in search
 * order, each referenced; locked ones unlocked first (interactive) or
 * EX_NOPERM.  flags: search flags (LOAD_SECRETS).
 */
static int
ss_git_find(struct ssstore *ss, struct ss_deadline *dl,
    const struct credential *want, int exact, SecretSearchFlags flags,
    GList **out, struct ldrt_err *e)
{
	struct credential wn, have;
	GHashTable *attrs;
	GList *items = NULL, *l, *m = NULL;
	char *host;
	int r = -1, ok, all;

	*out = NULL;
	ss_git_norm(want, &wn, &host);
	attrs = ss_git_attrs(want);
	if (ss_search_visible_schema(ss, dl, &ss_git_schema, attrs, flags,
	    &items, e) != 0)
		goto out;
	for (l = items; l != NULL; l = l->next) {
		ss_git_have(l->data, &have);
		ok = exact ? store_cred_same_key(&wn, &have) :
		    credential_match(&wn, &have, 0);
		credential_release(&have);
		if (ok)
			m = g_list_append(m, g_object_ref(l->data));
	}
	if (ss_any_locked(m, &all) && ss_unlock(ss, dl, m, e) != 0)
		goto out;
	*out = m;
	m = NULL;
	r = 0;
 out:
	g_list_free_full(m, g_object_unref);
	g_list_free_full(items, g_object_unref);
	g_hash_table_unref(attrs);
	free(host);
	return r;
}

static int
ss_cred_get(struct store *s, const struct credential *want,
    struct credential *out, struct ldrt_err *e)
{
	struct ssstore *ss = ss_of(s);
	struct ss_deadline dl;
	GList *items = NULL;
	char *blob = NULL;
	int r = -1;

	ss_deadline_start(&dl, ss->timeout);
	if (ss_git_find(ss, &dl, want, 0, SECRET_SEARCH_LOAD_SECRETS, &items,
	    e) != 0)
		goto out;
	if (items == NULL) {
		r = STORE_ABSENT;
		goto out;
	}
	if (ss_git_blob(&dl, items->data, &blob, e) != 0)
		goto out;
	ss_git_have(items->data, out);
	store_cred_secret_decode(blob, out);
	r = 0;
 out:
	secret_free(blob);
	g_list_free_full(items, g_object_unref);
	ss_deadline_stop(&dl);
	return r;
}

static int
ss_cred_put(struct store *s, const struct credential *c,
    struct ldrt_err *e)
{
	struct ssstore *ss = ss_of(s);
	struct ss_deadline dl;
	SecretValue *v = NULL;
	GHashTable *attrs = NULL;
	GList *items = NULL, *l;
	GError *err = NULL;
	char *blob, *label = NULL;
	int r = -1;

	if ((blob = store_cred_secret_encode(c)) == NULL)
		return err_set(e, EX_DATAERR, "git credential value contains "
		    "a newline");
	ss_deadline_start(&dl, ss->timeout);
	label = credential_label(c);
	v = secret_value_new(blob, -1, "text/plain");
	if (ss_git_find(ss, &dl, c, 1, 0, &items, e) != 0)
		goto out;
	if (items != NULL) {
		/* same key: replace the secret in place, drop duplicates */
		if (!secret_item_set_secret_sync(items->data, v, dl.cancel,
		    &err)) {
			ss_error(&dl, err, SS_WRITE, e);
			goto out;
		}
		secret_item_set_label_sync(items->data, label, dl.cancel,
		    NULL);
		for (l = items->next; l != NULL; l = l->next)
			secret_item_delete_sync(l->data, dl.cancel, NULL);
		r = 0;
		goto out;
	}
	attrs = ss_git_attrs(c);
	if (!secret_service_store_sync(ss->svc, &ss_git_schema, attrs,
	    SECRET_COLLECTION_DEFAULT, label, v, dl.cancel, &err)) {
		if (!g_error_matches(err, SECRET_ERROR,
		    SECRET_ERROR_IS_LOCKED) || !ss->interactive ||
		    ss_deadline_fired(&dl)) {
			ss_error(&dl, err, SS_WRITE, e);
			goto out;
		}
		g_clear_error(&err);
		if (ss_unlock_default(ss, &dl, e) != 0)
			goto out;
		if (!secret_service_store_sync(ss->svc, &ss_git_schema, attrs,
		    SECRET_COLLECTION_DEFAULT, label, v, dl.cancel, &err)) {
			ss_error(&dl, err, SS_WRITE, e);
			goto out;
		}
	}
	r = 0;
 out:
	g_clear_error(&err);
	if (attrs != NULL)
		g_hash_table_unref(attrs);
	if (v != NULL)
		secret_value_unref(v);
	g_list_free_full(items, g_object_unref);
	free(label);
	secret_free(blob);
	ss_deadline_stop(&dl);
	return r;
}

static int
ss_cred_erase(struct store *s, const struct credential *want,
    struct ldrt_err *e)
{
	struct ssstore *ss = ss_of(s);
	struct credential have = CREDENTIAL_INIT;
	struct ss_deadline dl;
	GList *items = NULL, *del = NULL, *l;
	GError *err = NULL;
	char *blob = NULL;
	int r = -1, same;

	ss_deadline_start(&dl, ss->timeout);
	if (ss_git_find(ss, &dl, want, 0, want->password != NULL ?
	    SECRET_SEARCH_LOAD_SECRETS : 0, &items, e) != 0)
		goto out;
	/* decide everything before deleting anything */
	for (l = items; l != NULL; l = l->next) {
		if (want->password != NULL) {
			if (ss_git_blob(&dl, l->data, &blob, e) != 0)
				goto out;
			store_cred_secret_decode(blob, &have);
			secret_free(blob);
			blob = NULL;
			same = ss_str_eq_ct(have.password, want->password);
			credential_release(&have);
			credential_init(&have);
			if (!same)
				continue;
		}
		del = g_list_append(del, l->data);
	}
	if (del == NULL) {
		r = STORE_ABSENT;
		goto out;
	}
	for (l = del; l != NULL; l = l->next) {
		if (!secret_item_delete_sync(l->data, dl.cancel, &err)) {
			ss_error(&dl, err, SS_WRITE, e);
			g_clear_error(&err);
			goto out;
		}
	}
	r = 0;
 out:
	credential_release(&have);
	secret_free(blob);
	g_list_free(del);
	g_list_free_full(items, g_object_unref);
	ss_deadline_stop(&dl);
	return r;
}

/*
 * Listing: the items git's helpers wrote are told apart from other
 * programs' passwords by their xdg:schema: org.git.Password, or git 2.39's
 * NetworkPassword with a "Git: " label (that schema is shared with other
 * programs).  Each is searched for by that attribute alone, without a
 * schema to validate against.
 */
#define SS_GIT_SCHEMA_OLD	"org.gnome.keyring.NetworkPassword"
#define SS_GIT_LABEL_PREFIX	"Git: "

/* The items whose xdg:schema is schema, unlocked (or EX_NOPERM). */
static int
ss_git_search_by_schema(struct ssstore *ss, struct ss_deadline *dl,
    const char *schema, GList **out, struct ldrt_err *e)
{
	GHashTable *attrs;
	int r, all;

	attrs = g_hash_table_new(g_str_hash, g_str_equal);
	g_hash_table_insert(attrs, (gpointer)"xdg:schema", (gpointer)schema);
	r = ss_search_visible_schema(ss, dl, NULL, attrs,
	    SECRET_SEARCH_LOAD_SECRETS, out, e);
	if (r == 0 && ss_any_locked(*out, &all)) {
		/* search again once unlocked: labels and secrets were hidden */
		if ((r = ss_unlock(ss, dl, *out, e)) == 0) {
			g_list_free_full(*out, g_object_unref);
			*out = NULL;
			r = ss_search_schema(ss, dl, NULL, attrs,
			    SECRET_SEARCH_LOAD_SECRETS, out, e);
		}
	}
	if (r != 0) {
		g_list_free_full(*out, g_object_unref);
		*out = NULL;
	}
	g_hash_table_unref(attrs);
	return r;
}

/* Every item of git's helpers (see above), each referenced. */
static int
ss_git_all(struct ssstore *ss, struct ss_deadline *dl, GList **out,
    struct ldrt_err *e)
{
	GList *items = NULL, *old = NULL, *l;
	gchar *label;

	*out = NULL;
	if (ss_git_search_by_schema(ss, dl, ss_git_schema.name, &items,
	    e) != 0)
		return -1;
	if (ss_git_search_by_schema(ss, dl, SS_GIT_SCHEMA_OLD, &old,
	    e) != 0) {
		g_list_free_full(items, g_object_unref);
		return -1;
	}
	for (l = old; l != NULL; l = l->next) {
		label = secret_item_get_label(l->data);
		if (label != NULL && strncmp(label, SS_GIT_LABEL_PREFIX,
		    strlen(SS_GIT_LABEL_PREFIX)) == 0)
			items = g_list_append(items, g_object_ref(l->data));
		g_free(label);
	}
	g_list_free_full(old, g_object_unref);
	*out = items;
	return 0;
}

static int
ss_cred_list(struct store *s, const struct credential *want,
    struct credential **outp, size_t *np, struct ldrt_err *e)
{
	struct ssstore *ss = ss_of(s);
	struct ss_deadline dl;
	struct credential *v = NULL;
	GList *items = NULL, *l;
	char *blob = NULL;
	size_t n = 0;
	int r = -1;

	*outp = NULL;
	*np = 0;
	ss_deadline_start(&dl, ss->timeout);
	if (want != NULL ? ss_git_find(ss, &dl, want, 0,
	    SECRET_SEARCH_LOAD_SECRETS, &items, e) != 0 :
	    ss_git_all(ss, &dl, &items, e) != 0)
		goto out;
	v = xcalloc(g_list_length(items) + 1, sizeof(*v));
	for (l = items; l != NULL; l = l->next) {
		if (ss_git_blob(&dl, l->data, &blob, e) != 0)
			goto out;
		ss_git_have(l->data, &v[n]);
		store_cred_secret_decode(blob, &v[n]);
		n++;
		secret_free(blob);
		blob = NULL;
	}
	if (n > 0) {
		*outp = v;
		*np = n;
		v = NULL;
	}
	r = 0;
 out:
	secret_free(blob);
	store_creds_free(v, n);
	g_list_free_full(items, g_object_unref);
	ss_deadline_stop(&dl);
	return r;
}

static void
ss_close(struct store *s)
{
	struct ssstore *ss = ss_of(s);

	if (ss == NULL)
		return;
	if (ss->svc != NULL)
		g_object_unref(ss->svc);
	free(ss);
	s->priv = NULL;
}

static const struct store_ops store_ss_ops = {
	"secret-service", ss_get, ss_put, ss_del, ss_list, ss_close,
	ss_cred_get, ss_cred_put, ss_cred_erase, ss_cred_list
};

int
store_secret_service_open(const struct store_opts *o, struct store *s,
    struct ldrt_err *e)
{
	struct ss_deadline dl;
	struct ssstore *ss;
	SecretService *svc;
	GError *err = NULL;

	if (store_prepare_bus(o->interactive, e) != 0)
		return -1;
	ss_deadline_start(&dl, o->timeout);
	svc = secret_service_get_sync(SECRET_SERVICE_OPEN_SESSION, dl.cancel,
	    &err);
	if (svc == NULL || err != NULL) {
		ss_error(&dl, err, SS_CONNECT, e);
		g_clear_error(&err);
		if (svc != NULL)
			g_object_unref(svc);
		ss_deadline_stop(&dl);
		return -1;
	}
	ss_deadline_stop(&dl);
	ss_set_timeout(svc, o->timeout);
	ss = xcalloc(1, sizeof(*ss));
	ss->svc = svc;
	ss->timeout = o->timeout > 0 ? o->timeout : SS_DEFAULT_TIMEOUT;
	ss->interactive = o->interactive;
	s->ops = &store_ss_ops;
	s->priv = ss;
	return 0;
}
