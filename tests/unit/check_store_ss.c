/*
 * check_store_ss.c: the Secret Service backend against a private keyring.
 *
 * Run under tests/keyring-sandbox.sh; KEYRING_SANDBOX_MODE picks the cases:
 *   unlocked  round trip, absent, labels, deadline against a SIGSTOPped
 *             daemon, then (last) a locked collection
 *   locked    every read and write is EX_NOPERM "keyring is locked"
 *   nounlock  no default collection: put is EX_UNAVAILABLE, get absent
 *   nodaemon  no Secret Service on the bus: EX_UNAVAILABLE
 * Outside a sandbox (KEYRING_SANDBOX_DIR unset) only the no-bus cases run,
 * with bogus bus addresses, so the user's real keyring is never touched.
 *
 * Check's fork mode hangs once the parent has touched GDBus
 * (keyring-notes.md §2), so the runner uses CK_NOFORK and the cases of one
 * mode share a process (and libsecret's cached service) in order.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libsecret/secret.h>

#include "ldrt.h"
#include "secret.h"
#include "store.h"

static const struct store_key k_tok = {
	STORE_API_TOKEN, "default", "app.launchdarkly.com", NULL, NULL
};
static const struct store_key k_tok_eu = {
	STORE_API_TOKEN, "default", "app.eu.launchdarkly.com", NULL, NULL
};
static const struct store_key k_rel = {
	STORE_RELAY_KEY, "default", "app.launchdarkly.com", "5f0c1234abcd",
	"prod"
};
static const struct store_key k_rel2 = {
	STORE_RELAY_KEY, "default", "app.launchdarkly.com", "6a1d5678ef90",
	"staging"
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct store *
ss_open_ok(int timeout, int interactive)
{
	struct store_opts o = { "secret-service", timeout, interactive, NULL,
	    NULL };
	struct ldrt_err e = LDRT_ERR_INIT;
	struct store *s = NULL;

	ck_assert_msg(store_open(&o, &s, &e) == 0, "open: %d %s", e.ex,
	    e.msg);
	ck_assert_str_eq(store_backend_name(s), "secret-service");
	return s;
}

static void
expect_get(struct store *s, const struct store_key *k, const char *want)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char *got = NULL;
	int r;

	r = store_get(s, k, &got, &e);
	if (want == NULL) {
		ck_assert_msg(r == STORE_ABSENT, "get: r=%d %s", r, e.msg);
		ck_assert_ptr_null(got);
		return;
	}
	ck_assert_msg(r == 0, "get: r=%d %s", r, e.msg);
	ck_assert_str_eq(got, want);
	secret_free(got);
}

static void
put_ok(struct store *s, const struct store_key *k, const char *v)
{
	struct ldrt_err e = LDRT_ERR_INIT;

	ck_assert_msg(store_put(s, k, v, &e) == 0, "put: %d %s", e.ex, e.msg);
}

static pid_t
daemon_pid(void)
{
	const char *p = getenv("KEYRING_SANDBOX_DAEMON_PID");

	return p != NULL && p[0] != '\0' ? (pid_t)atol(p) : 0;
}

static const char *
collection_path(void)
{
	const char *c = getenv("KEYRING_SANDBOX_COLLECTION");

	return c != NULL && c[0] != '\0' ? c :
	    "/org/freedesktop/secrets/collection/login";
}

/* Labels and the schema name as other Secret Service clients see them. */
static void
expect_label(const struct store_key *k, const char *want)
{
	GHashTable *a = g_hash_table_new(g_str_hash, g_str_equal);
	GError *err = NULL;
	SecretService *svc;
	GList *items;
	char *label;
	GHashTable *attrs;

	svc = secret_service_get_sync(SECRET_SERVICE_NONE, NULL, &err);
	ck_assert_ptr_nonnull(svc);
	g_hash_table_insert(a, (gpointer)"kind",
	    (gpointer)store_kind_name(k->kind));
	g_hash_table_insert(a, (gpointer)"profile", (gpointer)k->profile);
	g_hash_table_insert(a, (gpointer)"api-host", (gpointer)k->api_host);
	if (k->relay_id != NULL)
		g_hash_table_insert(a, (gpointer)"relay-id",
		    (gpointer)k->relay_id);
	items = secret_service_search_sync(svc, NULL, a, SECRET_SEARCH_ALL,
	    NULL, &err);
	ck_assert_ptr_null(err);
	ck_assert_ptr_nonnull(items);
	ck_assert_ptr_null(items->next);
	label = secret_item_get_label(items->data);
	ck_assert_str_eq(label, want);
	g_free(label);
	attrs = secret_item_get_attributes(items->data);
	ck_assert_str_eq(g_hash_table_lookup(attrs, "xdg:schema"),
	    "io.github.ld-relay-token.Secret");
	g_hash_table_unref(attrs);
	g_list_free_full(items, g_object_unref);
	g_hash_table_unref(a);
	g_object_unref(svc);
}

/* ---- no bus (any mode; never reaches GLib) ---- */

struct saved_env {
	char	*addr, *rt, *display;
};

static char *
dupenv(const char *n)
{
	const char *v = getenv(n);

	return v != NULL ? xstrdup(v) : NULL;
}

static void
restore(const char *n, char *v)
{
	if (v != NULL)
		setenv(n, v, 1);
	else
		unsetenv(n);
	free(v);
}

static void
env_save(struct saved_env *s)
{
	s->addr = dupenv("DBUS_SESSION_BUS_ADDRESS");
	s->rt = dupenv("XDG_RUNTIME_DIR");
	s->display = dupenv("DISPLAY");
}

static void
env_restore(struct saved_env *s)
{
	restore("DBUS_SESSION_BUS_ADDRESS", s->addr);
	restore("XDG_RUNTIME_DIR", s->rt);
	restore("DISPLAY", s->display);
}

START_TEST(test_nobus_empty_runtime_dir)
{
	struct store_opts o = { "secret-service", 2, 0, NULL, NULL };
	struct ldrt_err e = LDRT_ERR_INIT;
	struct saved_env sv;
	struct store *s = NULL;
	char dir[] = "/tmp/ckss.XXXXXX";
	double t0;

	env_save(&sv);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	unsetenv("DBUS_SESSION_BUS_ADDRESS");
	setenv("XDG_RUNTIME_DIR", dir, 1);
	setenv("DISPLAY", ":99", 1);
	t0 = now_s();
	ck_assert_int_eq(store_open(&o, &s, &e), -1);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(e.ex, EX_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(e.msg, "no D-Bus session bus; run "
	    "inside a login session or use --store file"));
	ck_assert(now_s() - t0 < 1.0);
	/* non-interactive: DISPLAY is gone, so no dbus-launch */
	ck_assert_ptr_null(getenv("DISPLAY"));
	/* interactive keeps DISPLAY */
	setenv("DISPLAY", ":99", 1);
	ck_assert_int_eq(store_prepare_bus(1, &e), -1);
	ck_assert_str_eq(getenv("DISPLAY"), ":99");
	rmdir(dir);
	env_restore(&sv);
}
END_TEST

START_TEST(test_prepare_bus_run_user)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct saved_env sv;
	struct stat st;
	char path[64], *want;
	int have;

	env_save(&sv);
	snprintf(path, sizeof(path), "/run/user/%u/bus", (unsigned)getuid());
	have = lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_uid == getuid();
	unsetenv("DBUS_SESSION_BUS_ADDRESS");
	unsetenv("XDG_RUNTIME_DIR");
	if (have) {
		ck_assert_int_eq(store_prepare_bus(0, &e), 0);
		want = xasprintf("unix:path=%s", path);
		ck_assert_str_eq(getenv("DBUS_SESSION_BUS_ADDRESS"), want);
		free(want);
	} else {
		ck_assert_int_eq(store_prepare_bus(0, &e), -1);
		ck_assert_int_eq(e.ex, EX_UNAVAILABLE);
		ck_assert_ptr_null(getenv("DBUS_SESSION_BUS_ADDRESS"));
	}
	/* an address that is set is left alone */
	setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent", 1);
	ck_assert_int_eq(store_prepare_bus(0, &e), 0);
	ck_assert_str_eq(getenv("DBUS_SESSION_BUS_ADDRESS"),
	    "unix:path=/nonexistent");
	env_restore(&sv);
}
END_TEST

/* GLib-level bus failures: only outside a sandbox (a fresh process whose
 * libsecret has no cached service), with addresses that reach nothing. */
START_TEST(test_nobus_bad_addresses)
{
	static const char *addrs[] = {
		"unix:path=/nonexistent/ldrt-test-bus",
		"garbage",
	};
	struct store_opts o = { "secret-service", 2, 0, NULL, NULL };
	struct ldrt_err e = LDRT_ERR_INIT;
	struct saved_env sv;
	struct store *s = NULL;
	size_t i;

	env_save(&sv);
	for (i = 0; i < LDRT_ARRAY_SIZE(addrs); i++) {
		setenv("DBUS_SESSION_BUS_ADDRESS", addrs[i], 1);
		err_clear(&e);
		ck_assert_int_eq(store_open(&o, &s, &e), -1);
		ck_assert_msg(e.ex == EX_UNAVAILABLE, "%s: %d %s", addrs[i],
		    e.ex, e.msg);
		ck_assert_msg(strstr(e.msg, "no D-Bus session bus") != NULL,
		    "%s: %s", addrs[i], e.msg);
	}
	env_restore(&sv);
}
END_TEST

/* ---- unlocked ---- */

/* First in the unlocked run: the very first connection hits a stopped
 * daemon and must give up at the deadline, not after 50 s. */
START_TEST(test_deadline_open)
{
	struct store_opts o = { "secret-service", 2, 0, NULL, NULL };
	struct ldrt_err e = LDRT_ERR_INIT;
	struct store *s = NULL;
	pid_t pid = daemon_pid();
	double t;
	int r;

	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(kill(pid, SIGSTOP), 0);
	t = now_s();
	r = store_open(&o, &s, &e);
	t = now_s() - t;
	kill(pid, SIGCONT);
	fprintf(stderr, "open against a stopped daemon: %.2f s, %d %s\n", t,
	    e.ex, e.msg);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(e.ex, EX_TEMPFAIL);
	ck_assert_ptr_nonnull(strstr(e.msg, "did not answer within 2 s"));
	ck_assert(t < 3.0);
	/* and it works once the daemon runs again */
	s = ss_open_ok(5, 0);
	expect_get(s, &k_tok, NULL);
	store_close(s);
}
END_TEST

START_TEST(test_round_trip)
{
	struct store *s = ss_open_ok(5, 0);
	struct ldrt_err e = LDRT_ERR_INIT;
	struct store_key pat = { STORE_RELAY_KEY, "default", NULL, NULL,
	    NULL };
	struct store_item *items;
	size_t n, i;
	int seen = 0;

	ck_assert_ptr_nonnull(strstr(store_reason(s), "secret-service"));
	expect_get(s, &k_tok, NULL);
	put_ok(s, &k_tok, "api-0000-secret");
	put_ok(s, &k_tok_eu, "api-eu-secret");
	put_ok(s, &k_rel, "rel-1111");
	put_ok(s, &k_rel2, "rel-2222");
	expect_get(s, &k_tok, "api-0000-secret");
	expect_get(s, &k_tok_eu, "api-eu-secret");
	expect_get(s, &k_rel, "rel-1111");
	expect_get(s, &k_rel2, "rel-2222");
	/* overwrite */
	put_ok(s, &k_rel, "rel-1111-new");
	expect_get(s, &k_rel, "rel-1111-new");
	ck_assert_int_eq(store_list(s, &pat, &items, &n, &e), 0);
	ck_assert_uint_eq(n, 2);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(items[i].kind, STORE_RELAY_KEY);
		ck_assert_str_eq(items[i].profile, "default");
		if (strcmp(items[i].relay_id, "5f0c1234abcd") == 0) {
			ck_assert_str_eq(items[i].relay_name, "prod");
			seen++;
		}
	}
	ck_assert_int_eq(seen, 1);
	store_items_free(items, n);
	expect_label(&k_tok, "LaunchDarkly API token (default)");
	expect_label(&k_tok_eu, "LaunchDarkly API token (default) on "
	    "app.eu.launchdarkly.com");

	/* a rename replaces the item rather than adding one */
	{
		struct store_key renamed = k_rel;

		renamed.relay_name = "production";
		put_ok(s, &renamed, "rel-renamed");
		expect_get(s, &k_rel, "rel-renamed");
		ck_assert_int_eq(store_list(s, &k_rel, &items, &n, &e), 0);
		ck_assert_uint_eq(n, 1);
		ck_assert_str_eq(items[0].relay_name, "production");
		store_items_free(items, n);
	}

	/* delete */
	ck_assert_int_eq(store_delete(s, &k_rel2, &e), 0);
	expect_get(s, &k_rel2, NULL);
	ck_assert_int_eq(store_delete(s, &k_rel2, &e), STORE_ABSENT);
	expect_get(s, &k_tok, "api-0000-secret");
	ck_assert_int_eq(store_delete(s, &k_tok_eu, &e), 0);
	store_close(s);
}
END_TEST

START_TEST(test_hostile_values)
{
	static const char *profiles[] = {
		"a\nb", "a b", "\xc3\xbcn\xc3\xaf" "c\xc3\xb6" "de", "=",
		"default ", "'\";$(rm -rf /)", "%s%n",
	};
	struct store *s = ss_open_ok(5, 0);
	struct ldrt_err e = LDRT_ERR_INIT;
	struct store_key k = k_tok;
	char *val;
	size_t i;

	for (i = 0; i < LDRT_ARRAY_SIZE(profiles); i++) {
		k.profile = profiles[i];
		val = xasprintf("api-%zu with spaces=and\ttabs", i);
		put_ok(s, &k, val);
		free(val);
	}
	for (i = 0; i < LDRT_ARRAY_SIZE(profiles); i++) {
		k.profile = profiles[i];
		val = xasprintf("api-%zu with spaces=and\ttabs", i);
		expect_get(s, &k, val);
		free(val);
		ck_assert_int_eq(store_delete(s, &k, &e), 0);
	}
	expect_get(s, &k_tok, "api-0000-secret");
	store_close(s);
}
END_TEST

START_TEST(test_labels)
{
	struct store *s = ss_open_ok(5, 0);
	struct store_key k = { STORE_RELAY_KEY, "default",
	    "app.launchdarkly.com", "abcd1234", "edge" };
	struct ldrt_err e = LDRT_ERR_INIT;

	/* only one relay key exists now (from test_round_trip: renamed) */
	ck_assert_int_eq(store_delete(s, &k_rel, &e), 0);
	put_ok(s, &k, "rel-edge");
	expect_label(&k, "Relay key edge (abcd\xe2\x80\xa6)");
	ck_assert_int_eq(store_delete(s, &k, &e), 0);
	store_close(s);
}
END_TEST

START_TEST(test_deadline_get)
{
	struct store *s = ss_open_ok(2, 0);
	struct ldrt_err e = LDRT_ERR_INIT;
	pid_t pid = daemon_pid();
	char *got = NULL;
	double t;
	int r;

	put_ok(s, &k_rel2, "rel-deadline");
	ck_assert_int_eq(kill(pid, SIGSTOP), 0);
	t = now_s();
	r = store_get(s, &k_rel2, &got, &e);
	t = now_s() - t;
	kill(pid, SIGCONT);
	fprintf(stderr, "get against a stopped daemon: %.2f s, %d %s\n", t,
	    e.ex, e.msg);
	ck_assert_int_eq(r, -1);
	ck_assert_ptr_null(got);
	ck_assert_int_eq(e.ex, EX_TEMPFAIL);
	ck_assert(t < 3.0);
	/* a put under the deadline, too; then all is well again */
	ck_assert_int_eq(kill(pid, SIGSTOP), 0);
	t = now_s();
	r = store_put(s, &k_rel2, "rel-x", &e);
	t = now_s() - t;
	kill(pid, SIGCONT);
	ck_assert_int_eq(r, -1);
	ck_assert_int_eq(e.ex, EX_TEMPFAIL);
	ck_assert(t < 3.0);
	/* a cancelled D-Bus call cannot be recalled: the daemon may still
	 * carry out the queued write once it runs, so either value is
	 * possible (callers treat a failed put as "state unknown") */
	r = store_get(s, &k_rel2, &got, &e);
	ck_assert_msg(r == 0, "%s", e.msg);
	ck_assert(strcmp(got, "rel-deadline") == 0 ||
	    strcmp(got, "rel-x") == 0);
	secret_free(got);
	store_close(s);
}
END_TEST

static void
lock_collection(void)
{
	GError *err = NULL;
	GDBusConnection *c;
	GVariant *r;
	const char *paths[] = { collection_path(), NULL };

	c = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &err);
	ck_assert_ptr_nonnull(c);
	r = g_dbus_connection_call_sync(c, "org.freedesktop.secrets",
	    "/org/freedesktop/secrets", "org.freedesktop.Secret.Service",
	    "Lock", g_variant_new("(^ao)", paths), NULL,
	    G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &err);
	ck_assert_msg(r != NULL, "Lock: %s", err != NULL ? err->message : "");
	g_variant_unref(r);
	g_object_unref(c);
}

static void
expect_locked_everywhere(int items_exist)
{
	struct store *s = ss_open_ok(3, 0);
	struct ldrt_err e = LDRT_ERR_INIT;
	struct store_item *items;
	char *got = NULL;
	size_t n;
	double t;
	int r;

	ck_assert_int_eq(store_get(s, &k_tok, &got, &e), -1);
	ck_assert_ptr_null(got);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	ck_assert_str_eq(e.msg, "keyring is locked");
	err_clear(&e);
	ck_assert_int_eq(store_delete(s, &k_tok, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	err_clear(&e);
	ck_assert_int_eq(store_put(s, &k_rel2, "rel-while-locked", &e), -1);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(e.msg, "keyring is locked"));
	/* attributes stay visible: the item was not deleted */
	r = store_list(s, &k_tok, &items, &n, &e);
	if (items_exist) {
		ck_assert_msg(r == 0, "%s", e.msg);
		ck_assert_uint_eq(n, 1);
		store_items_free(items, n);
	} else {
		ck_assert_int_eq(r, -1);
		ck_assert_int_eq(e.ex, EX_NOPERM);
	}
	store_close(s);

	/* interactive: the unlock prompt cannot be shown here; it must fail
	 * (not hang, not read as absent) */
	s = ss_open_ok(3, 1);
	t = now_s();
	r = store_get(s, &k_tok, &got, &e);
	t = now_s() - t;
	fprintf(stderr, "interactive get on a locked keyring: %.2f s, %d "
	    "%s\n", t, e.ex, e.msg);
	ck_assert_int_eq(r, -1);
	ck_assert_ptr_null(got);
	ck_assert(e.ex == EX_NOPERM || e.ex == EX_TEMPFAIL);
	ck_assert(t < 4.5);
	store_close(s);
}

/* Last in the unlocked run: it leaves the collection locked. */
START_TEST(test_locked_collection)
{
	struct store *s = ss_open_ok(5, 0);

	put_ok(s, &k_tok, "api-locked");
	store_close(s);
	lock_collection();
	expect_locked_everywhere(1);
}
END_TEST

/* ---- locked (sandbox mode: locked from the start, no items) ---- */

START_TEST(test_locked_mode)
{
	expect_locked_everywhere(0);
}
END_TEST

/* ---- nounlock: no default collection ---- */

START_TEST(test_no_default_collection)
{
	struct store *s = ss_open_ok(5, 0);
	struct ldrt_err e = LDRT_ERR_INIT;
	struct store_item *items;
	size_t n;

	ck_assert_int_eq(store_put(s, &k_tok, "api-nowhere", &e), -1);
	ck_assert_int_eq(e.ex, EX_UNAVAILABLE);
	ck_assert_str_eq(e.msg, "keyring has no default collection");
	/* reads search every collection: nothing there is "absent" */
	expect_get(s, &k_tok, NULL);
	ck_assert_int_eq(store_delete(s, &k_tok, &e), STORE_ABSENT);
	ck_assert_int_eq(store_list(s, NULL, &items, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	store_items_free(items, n);
	store_close(s);
}
END_TEST

/* ---- nodaemon ---- */

START_TEST(test_no_secret_service)
{
	struct store_opts o = { "secret-service", 3, 0, NULL, NULL };
	struct ldrt_err e = LDRT_ERR_INIT;
	struct store *s = NULL;
	char *pf;

	ck_assert_int_eq(store_open(&o, &s, &e), -1);
	ck_assert_int_eq(e.ex, EX_UNAVAILABLE);
	ck_assert_str_eq(e.msg, "no Secret Service on the session bus (is "
	    "gnome-keyring-daemon running?)");
	/* auto without a file store: an error naming both options */
	o.backend = "auto";
	unsetenv("LDRT_PASSPHRASE_FILE");
	unsetenv("CREDENTIALS_DIRECTORY");
	ck_assert_int_eq(store_open(&o, &s, &e), -1);
	ck_assert_int_eq(e.ex, EX_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(e.msg, "--store file"));
	/* auto with a passphrase file: the file store, and why */
	pf = xasprintf("%s/pass", getenv("KEYRING_SANDBOX_DIR"));
	setenv("LDRT_PASSPHRASE_FILE", pf, 1);
	ck_assert_msg(store_open(&o, &s, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(store_backend_name(s), "file");
	ck_assert_ptr_nonnull(strstr(store_reason(s), "no Secret Service"));
	store_close(s);
	unsetenv("LDRT_PASSPHRASE_FILE");
	free(pf);
}
END_TEST

static Suite *
store_ss_suite(const char *mode)
{
	Suite *s = suite_create("store_secret_service");
	TCase *tc = tcase_create(mode);

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_nobus_empty_runtime_dir);
	tcase_add_test(tc, test_prepare_bus_run_user);
	if (strcmp(mode, "nobus") == 0) {
		tcase_add_test(tc, test_nobus_bad_addresses);
	} else if (strcmp(mode, "unlocked") == 0) {
		tcase_add_test(tc, test_deadline_open);
		tcase_add_test(tc, test_round_trip);
		tcase_add_test(tc, test_hostile_values);
		tcase_add_test(tc, test_labels);
		tcase_add_test(tc, test_deadline_get);
		tcase_add_test(tc, test_locked_collection);
	} else if (strcmp(mode, "locked") == 0) {
		tcase_add_test(tc, test_locked_mode);
	} else if (strcmp(mode, "nounlock") == 0) {
		tcase_add_test(tc, test_no_default_collection);
	} else if (strcmp(mode, "nodaemon") == 0) {
		tcase_add_test(tc, test_no_secret_service);
	}
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	const char *mode = getenv("KEYRING_SANDBOX_MODE");
	SRunner *sr;
	int failed;

	/* never the user's own keyring: without a sandbox, no-bus cases */
	if (getenv("KEYRING_SANDBOX_DIR") == NULL)
		mode = "nobus";
	else if (mode == NULL || mode[0] == '\0')
		mode = "unlocked";
	sr = srunner_create(store_ss_suite(mode));
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
