/*
 * check_credential_store.c: generic git credentials in the store layer:
 * the secret blob (git-credential-libsecret's layout), key comparison and
 * the file backend's store_cred_get/put/erase/list/find (git's matching
 * rule, upsert, erase by password, listing, format versions 1 and 2).
 * The Secret Service backend is driven by real git in
 * tests/integration/t60 (and listed by store migrate in t31).
 *
 * Build (from the top directory):
 *   gcc -std=gnu11 -I. -Iinclude $(pkg-config --cflags libsecret-1 check) \
 *       tests/unit/check_credential_store.c libldrt.a \
 *       $(pkg-config --libs libsecret-1 libcurl json-c libcrypto check) \
 *       -o tests/unit/check_credential_store
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "credential.h"
#include "ldrt.h"
#include "secret.h"
#include "store.h"

static char tmpdir[256];
static char storepath[512];
static char passpath[512];

/* ---- the secret blob ---- */

static const struct {
	const char	*password;
	int64_t		 expiry;
	const char	*refresh;
	const char	*blob;		/* NULL: refused */
} enc_table[] = {
	{ "p", 0, NULL, "p" },
	{ "", 0, NULL, "" },
	{ "p w=x", 0, NULL, "p w=x" },
	{ "p", 1700000000, NULL, "p\npassword_expiry_utc=1700000000" },
	{ "p", 0, "r", "p\noauth_refresh_token=r" },
	{ "p", 42, "r=t",
	    "p\npassword_expiry_utc=42\noauth_refresh_token=r=t" },
	{ "a\nb", 0, NULL, NULL },
	{ "p", 0, "r\nx", NULL },
	{ NULL, 0, NULL, NULL },
};

START_TEST(test_blob_encode)
{
	struct credential c = CREDENTIAL_INIT;
	char *b;

	c.password = (char *)enc_table[_i].password;
	c.password_expiry_utc = enc_table[_i].expiry;
	c.oauth_refresh_token = (char *)enc_table[_i].refresh;
	b = store_cred_secret_encode(&c);
	if (enc_table[_i].blob == NULL) {
		ck_assert_ptr_null(b);
		return;
	}
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(b, enc_table[_i].blob);
	secret_free(b);
}
END_TEST

static const struct {
	const char	*blob;
	const char	*password;
	int64_t		 expiry;
	const char	*refresh;	/* NULL: absent */
} dec_table[] = {
	{ "p", "p", 0, NULL },
	{ "", "", 0, NULL },
	{ "\n", "", 0, NULL },
	{ "p\npassword_expiry_utc=99\noauth_refresh_token=rt", "p", 99, "rt" },
	{ "p\noauth_refresh_token=rt\npassword_expiry_utc=99", "p", 99, "rt" },
	{ "p\nunknown=1\nno equals", "p", 0, NULL },
	{ "p\npassword_expiry_utc=abc", "p", 0, NULL },
	{ "p\npassword_expiry_utc=-5", "p", 0, NULL },
	{ "p\npassword_expiry_utc=1e9", "p", 0, NULL },
	{ "p\npassword_expiry_utc=99999999999999999999999", "p", 0, NULL },
	{ "p\npassword_expiry_utc=", "p", 0, NULL },
	{ "p\noauth_refresh_token=", "p", 0, NULL },
	{ "p\noauth_refresh_token=a\noauth_refresh_token=b", "p", 0, "b" },
	{ "p\r\nx", "p\r", 0, NULL },
	{ "password_expiry_utc=5", "password_expiry_utc=5", 0, NULL },
};

START_TEST(test_blob_decode)
{
	struct credential c = CREDENTIAL_INIT;

	/* what c held before is replaced */
	c.password = secret_strdup("old");
	c.oauth_refresh_token = secret_strdup("old-rt");
	c.password_expiry_utc = 7;
	store_cred_secret_decode(dec_table[_i].blob, &c);
	ck_assert_str_eq(c.password, dec_table[_i].password);
	ck_assert_int_eq(c.password_expiry_utc, dec_table[_i].expiry);
	if (dec_table[_i].refresh == NULL)
		ck_assert_ptr_null(c.oauth_refresh_token);
	else
		ck_assert_str_eq(c.oauth_refresh_token, dec_table[_i].refresh);
	credential_release(&c);
}
END_TEST

START_TEST(test_blob_round_trip)
{
	struct credential a = CREDENTIAL_INIT, b = CREDENTIAL_INIT;
	char *blob;

	a.password = (char *)"s3cr=t";
	a.password_expiry_utc = 4102444800;
	a.oauth_refresh_token = (char *)"refresh";
	blob = store_cred_secret_encode(&a);
	ck_assert_ptr_nonnull(blob);
	store_cred_secret_decode(blob, &b);
	ck_assert_str_eq(b.password, "s3cr=t");
	ck_assert_int_eq(b.password_expiry_utc, 4102444800);
	ck_assert_str_eq(b.oauth_refresh_token, "refresh");
	secret_free(blob);
	credential_release(&b);
}
END_TEST

static const struct {
	const char *p1, *h1, *path1, *u1;
	const char *p2, *h2, *path2, *u2;
	int same;
} key_table[] = {
	{ "https", "h", NULL, "u", "https", "h", NULL, "u", 1 },
	{ "https", "h", NULL, "u", "https", "h", NULL, "", 0 },
	{ "https", "h", NULL, NULL, "https", "h", NULL, "", 0 },
	{ "https", "h", "", "u", "https", "h", NULL, "u", 0 },
	{ "https", "h:1", NULL, "u", "https", "h", NULL, "u", 0 },
	{ "https", "H", NULL, "u", "https", "h", NULL, "u", 0 },
	{ "http", "h", NULL, "u", "https", "h", NULL, "u", 0 },
	{ "https", "h", "a/b", "u", "https", "h", "a/b", "u", 1 },
	{ "https", "h", "a/b", "u", "https", "h", "a/b/", "u", 0 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1 },
};

START_TEST(test_same_key)
{
	struct credential a = CREDENTIAL_INIT, b = CREDENTIAL_INIT;

	a.protocol = (char *)key_table[_i].p1;
	a.host = (char *)key_table[_i].h1;
	a.path = (char *)key_table[_i].path1;
	a.username = (char *)key_table[_i].u1;
	b.protocol = (char *)key_table[_i].p2;
	b.host = (char *)key_table[_i].h2;
	b.path = (char *)key_table[_i].path2;
	b.username = (char *)key_table[_i].u2;
	ck_assert_int_eq(store_cred_same_key(&a, &b), key_table[_i].same);
	ck_assert_int_eq(store_cred_same_key(&b, &a), key_table[_i].same);
}
END_TEST

/* ---- the file backend ---- */

static void
setup(void)
{
	char *data;
	int fd;

	strcpy(tmpdir, "/tmp/ckcs.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	data = xasprintf("%s/data", tmpdir);
	setenv("XDG_DATA_HOME", data, 1);
	free(data);
	snprintf(storepath, sizeof(storepath),
	    "%s/data/ld-relay-token/store", tmpdir);
	snprintf(passpath, sizeof(passpath), "%s/pass", tmpdir);
	fd = open(passpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "pass phrase\n", 12), 12);
	close(fd);
	setenv("LDRT_PASSPHRASE_FILE", passpath, 1);
	setenv("LDRT_SCRYPT_N", "1024", 1);
	unsetenv("CREDENTIALS_DIRECTORY");
}

static void
teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);

	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	free(cmd);
}

static struct store *
open_file_store(void)
{
	struct store_opts o = { "file", 5, 0, NULL, NULL };
	struct ldrt_err e = LDRT_ERR_INIT;
	struct store *s = NULL;

	ck_assert_msg(store_open(&o, &s, &e) == 0, "open: %s", e.msg);
	return s;
}

static int
file_version(void)
{
	unsigned char b[10];
	FILE *f = fopen(storepath, "rb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(b, 1, sizeof(b), f), sizeof(b));
	fclose(f);
	return b[9];
}

/* A credential from literal fields (borrowed: never release it). */
static struct credential
cr(const char *proto, const char *host, const char *path, const char *user,
    const char *pw)
{
	struct credential c = CREDENTIAL_INIT;

	c.protocol = (char *)proto;
	c.host = (char *)host;
	c.path = (char *)path;
	c.username = (char *)user;
	c.password = (char *)pw;
	return c;
}

static void
put_ok(struct store *s, struct credential c)
{
	struct ldrt_err e = LDRT_ERR_INIT;

	ck_assert_msg(store_cred_put(s, &c, &e) == 0, "put: %s", e.msg);
}

/* get: expect password pw (NULL: absent) and, if found, user. */
static void
get_is(struct store *s, struct credential want, const char *user,
    const char *pw)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct credential out = CREDENTIAL_INIT;
	int r;

	r = store_cred_get(s, &want, &out, &e);
	ck_assert_msg(r >= 0, "get: %s", e.msg);
	if (pw == NULL) {
		ck_assert_int_eq(r, STORE_ABSENT);
	} else {
		ck_assert_int_eq(r, 0);
		ck_assert_str_eq(out.password, pw);
		if (user == NULL)
			ck_assert_ptr_null(out.username);
		else
			ck_assert_str_eq(out.username, user);
		ck_assert_str_eq(out.protocol, want.protocol);
	}
	credential_release(&out);
}

START_TEST(test_file_matching)
{
	struct store *s = open_file_store();

	put_ok(s, cr("https", "example.com", NULL, "alice", "pa"));
	put_ok(s, cr("https", "example.com", NULL, "bob", "pb"));
	put_ok(s, cr("https", "example.com:8443", NULL, "carol", "pc"));
	put_ok(s, cr("https", "git.example", "team/r1.git", "dave", "pd"));
	put_ok(s, cr("https", "empty.example", NULL, "", ""));
	/* username selects; absent username: the first stored */
	get_is(s, cr("https", "example.com", NULL, "bob", NULL), "bob", "pb");
	get_is(s, cr("https", "example.com", NULL, NULL, NULL), "alice", "pa");
	get_is(s, cr("https", "example.com", NULL, "eve", NULL), NULL, NULL);
	/* the port is part of the host, compared exactly */
	get_is(s, cr("https", "example.com:8443", NULL, NULL, NULL), "carol",
	    "pc");
	get_is(s, cr("https", "example.com:443", NULL, NULL, NULL), NULL,
	    NULL);
	get_is(s, cr("https", "EXAMPLE.com", NULL, NULL, NULL), NULL, NULL);
	get_is(s, cr("http", "example.com", NULL, NULL, NULL), NULL, NULL);
	/* path only when given */
	get_is(s, cr("https", "git.example", NULL, NULL, NULL), "dave", "pd");
	get_is(s, cr("https", "git.example", "team/r1.git", NULL, NULL),
	    "dave", "pd");
	get_is(s, cr("https", "git.example", "team/r2.git", NULL, NULL),
	    NULL, NULL);
	get_is(s, cr("https", "example.com", "x", NULL, NULL), NULL, NULL);
	/* empty strings are values */
	get_is(s, cr("https", "empty.example", NULL, "", NULL), "", "");
	get_is(s, cr("https", "empty.example", NULL, "x", NULL), NULL, NULL);
	/* no protocol: nothing */
	get_is(s, cr(NULL, "example.com", NULL, NULL, NULL), NULL, NULL);
	/* the password never selects for get */
	get_is(s, cr("https", "example.com", NULL, "alice", "wrong"),
	    "alice", "pa");
	store_close(s);
}
END_TEST

START_TEST(test_file_upsert_and_erase)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct credential c;
	struct store *s = open_file_store();

	put_ok(s, cr("https", "h", NULL, "alice", "p1"));
	put_ok(s, cr("https", "h", NULL, "alice", "p2"));
	put_ok(s, cr("https", "h", NULL, "bob", "pb"));
	get_is(s, cr("https", "h", NULL, "alice", NULL), "alice", "p2");
	/* a stale password erases nothing */
	c = cr("https", "h", NULL, "alice", "p1");
	ck_assert_int_eq(store_cred_erase(s, &c, &e), STORE_ABSENT);
	get_is(s, cr("https", "h", NULL, "alice", NULL), "alice", "p2");
	/* the current one erases the one item (no duplicate left behind) */
	c = cr("https", "h", NULL, "alice", "p2");
	ck_assert_int_eq(store_cred_erase(s, &c, &e), 0);
	get_is(s, cr("https", "h", NULL, "alice", NULL), NULL, NULL);
	get_is(s, cr("https", "h", NULL, "bob", NULL), "bob", "pb");
	/* with a password and no user: only the users with that password */
	put_ok(s, cr("https", "h", NULL, "carol", "pc"));
	c = cr("https", "h", NULL, NULL, "pc");
	ck_assert_int_eq(store_cred_erase(s, &c, &e), 0);
	get_is(s, cr("https", "h", NULL, "bob", NULL), "bob", "pb");
	get_is(s, cr("https", "h", NULL, "carol", NULL), NULL, NULL);
	/* protocol + host: every user */
	put_ok(s, cr("https", "h", NULL, "dave", "pd"));
	c = cr("https", "h", NULL, NULL, NULL);
	ck_assert_int_eq(store_cred_erase(s, &c, &e), 0);
	get_is(s, cr("https", "h", NULL, NULL, NULL), NULL, NULL);
	ck_assert_int_eq(store_cred_erase(s, &c, &e), STORE_ABSENT);
	/* an empty pattern is refused */
	c = cr(NULL, NULL, NULL, NULL, NULL);
	ck_assert_int_eq(store_cred_erase(s, &c, &e), -1);
	ck_assert_int_eq(e.ex, EX_USAGE);
	store_close(s);
}
END_TEST

START_TEST(test_file_expiry_refresh)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct credential c, out = CREDENTIAL_INIT;
	struct store *s = open_file_store();

	c = cr("https", "o", NULL, "u", "access");
	c.password_expiry_utc = 4102444800;
	c.oauth_refresh_token = (char *)"rt";
	put_ok(s, c);
	c = cr("https", "o", NULL, NULL, NULL);
	ck_assert_int_eq(store_cred_get(s, &c, &out, &e), 0);
	ck_assert_str_eq(out.password, "access");
	ck_assert_int_eq(out.password_expiry_utc, 4102444800);
	ck_assert_str_eq(out.oauth_refresh_token, "rt");
	credential_release(&out);
	/* storing without them drops them */
	put_ok(s, cr("https", "o", NULL, "u", "access2"));
	credential_init(&out);
	ck_assert_int_eq(store_cred_get(s, &c, &out, &e), 0);
	ck_assert_str_eq(out.password, "access2");
	ck_assert_int_eq(out.password_expiry_utc, 0);
	ck_assert_ptr_null(out.oauth_refresh_token);
	credential_release(&out);
	store_close(s);
}
END_TEST

START_TEST(test_file_refused)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct credential c;
	struct store *s = open_file_store();

	c = cr("https", "h", NULL, "u", "a\nb");
	ck_assert_int_eq(store_cred_put(s, &c, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_ptr_null(strstr(e.msg, "a\nb"));
	err_clear(&e);
	c = cr("https", "h", NULL, NULL, "p");		/* no username */
	ck_assert_int_eq(store_cred_put(s, &c, &e), -1);
	ck_assert_int_eq(e.ex, EX_SOFTWARE);
	err_clear(&e);
	c = cr("https", "h", NULL, "u", NULL);		/* no password */
	ck_assert_int_eq(store_cred_put(s, &c, &e), -1);
	err_clear(&e);
	c = cr("https", NULL, NULL, "u", "p");	/* no host, no path */
	ck_assert_int_eq(store_cred_put(s, &c, &e), -1);
	/* nothing was written */
	ck_assert_int_ne(access(storepath, F_OK), 0);
	store_close(s);
}
END_TEST

START_TEST(test_file_versions)
{
	static const struct store_key k_rel = {
		STORE_RELAY_KEY, "default", "app.launchdarkly.com",
		"5f0c1234abcd5f0c1234abcd", "prod"
	};
	struct ldrt_err e = LDRT_ERR_INIT;
	struct store_item *items = NULL;
	struct credential c;
	struct store *s = open_file_store();
	char *sec = NULL;
	size_t n = 0;

	ck_assert_int_eq(store_put(s, &k_rel, "rel-key", &e), 0);
	ck_assert_int_eq(file_version(), 1);
	put_ok(s, cr("https", "h", NULL, "u", "p"));
	ck_assert_int_eq(file_version(), 2);
	store_close(s);

	/* a fresh process reads both kinds back */
	s = open_file_store();
	ck_assert_int_eq(store_get(s, &k_rel, &sec, &e), 0);
	ck_assert_str_eq(sec, "rel-key");
	secret_free(sec);
	get_is(s, cr("https", "h", NULL, NULL, NULL), "u", "p");
	/* listings never show git credentials */
	ck_assert_int_eq(store_list(s, NULL, &items, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(items[0].relay_id, k_rel.relay_id);
	store_items_free(items, n);
	/* relay keys never match a git credential and vice versa */
	ck_assert_int_eq(store_delete(s, &k_rel, &e), 0);
	get_is(s, cr("https", "h", NULL, NULL, NULL), "u", "p");
	ck_assert_int_eq(store_put(s, &k_rel, "rel-key2", &e), 0);
	c = cr("https", "h", NULL, NULL, NULL);
	ck_assert_int_eq(store_cred_erase(s, &c, &e), 0);
	ck_assert_int_eq(file_version(), 1);
	ck_assert_int_eq(store_get(s, &k_rel, &sec, &e), 0);
	ck_assert_str_eq(sec, "rel-key2");
	secret_free(sec);
	store_close(s);
}
END_TEST

/* The index of the listed credential with c's key, or -1. */
static int
find_key(const struct credential *v, size_t n, struct credential c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (store_cred_same_key(&v[i], &c))
			return (int)i;
	return -1;
}

START_TEST(test_file_list)
{
	static const struct store_key k_tok = {
		STORE_API_TOKEN, "default", "app.launchdarkly.com", NULL, NULL
	};
	struct ldrt_err e = LDRT_ERR_INIT;
	struct credential *v = NULL, c;
	struct store *s = open_file_store();
	size_t n = 1;
	int i;

	/* no file: an empty list, and no file created */
	ck_assert_int_eq(store_cred_list(s, &v, &n, &e), 0);
	ck_assert_ptr_null(v);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_ne(access(storepath, F_OK), 0);
	/* a file without git credentials: still empty */
	ck_assert_int_eq(store_put(s, &k_tok, "api-tok", &e), 0);
	ck_assert_int_eq(store_cred_list(s, &v, &n, &e), 0);
	ck_assert_ptr_null(v);
	ck_assert_uint_eq(n, 0);

	put_ok(s, cr("https", "git.example.com", NULL, "alice", "pa"));
	put_ok(s, cr("https", "git.example.com", "team/r.git", "alice", "pr"));
	put_ok(s, cr("https", "h:8443", NULL, "", ""));
	c = cr("https", "o.example", NULL, "frank", "access");
	c.password_expiry_utc = 4102444800;
	c.oauth_refresh_token = (char *)"refresh-1";
	put_ok(s, c);
	ck_assert_int_eq(store_cred_list(s, &v, &n, &e), 0);
	ck_assert_uint_eq(n, 4);
	/* in file order, every field back, never the API token */
	ck_assert_str_eq(v[0].protocol, "https");
	ck_assert_str_eq(v[0].host, "git.example.com");
	ck_assert_ptr_null(v[0].path);
	ck_assert_str_eq(v[0].username, "alice");
	ck_assert_str_eq(v[0].password, "pa");
	ck_assert_str_eq(v[1].path, "team/r.git");
	ck_assert_str_eq(v[1].password, "pr");
	ck_assert_str_eq(v[2].host, "h:8443");
	ck_assert_str_eq(v[2].username, "");
	ck_assert_str_eq(v[2].password, "");
	ck_assert_int_eq(v[3].password_expiry_utc, 4102444800);
	ck_assert_str_eq(v[3].oauth_refresh_token, "refresh-1");
	for (i = 0; i < 4; i++)
		ck_assert(credential_is_complete(&v[i]));
	store_creds_free(v, n);

	/* find: git's rule (path only when given), exact key picked out */
	c = cr("https", "git.example.com", NULL, "alice", NULL);
	ck_assert_int_eq(store_cred_find(s, &c, &v, &n, &e), 0);
	ck_assert_uint_eq(n, 2);
	i = find_key(v, n, c);
	ck_assert_int_eq(i, 0);
	ck_assert_str_eq(v[i].password, "pa");
	store_creds_free(v, n);
	c = cr("https", "git.example.com", "team/r.git", NULL, NULL);
	ck_assert_int_eq(store_cred_find(s, &c, &v, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0].password, "pr");
	store_creds_free(v, n);
	c = cr("https", "nosuch.example", NULL, NULL, NULL);
	ck_assert_int_eq(store_cred_find(s, &c, &v, &n, &e), 0);
	ck_assert_ptr_null(v);
	ck_assert_uint_eq(n, 0);
	/* an empty pattern is refused */
	c = cr(NULL, NULL, NULL, NULL, NULL);
	ck_assert_int_eq(store_cred_find(s, &c, &v, &n, &e), -1);
	ck_assert_int_eq(e.ex, EX_USAGE);
	ck_assert_ptr_null(v);

	/* erased credentials are no longer listed */
	c = cr("https", "h:8443", NULL, "", NULL);
	ck_assert_int_eq(store_cred_erase(s, &c, &e), 0);
	ck_assert_int_eq(store_cred_list(s, &v, &n, &e), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(find_key(v, n, c), -1);
	store_creds_free(v, n);
	store_creds_free(NULL, 0);
	store_close(s);
}
END_TEST

/* A store that cannot be read is an error, never an empty list. */
START_TEST(test_file_list_wrong_passphrase)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct credential *v = NULL;
	struct store *s = open_file_store();
	size_t n = 0;
	int fd;

	put_ok(s, cr("https", "h", NULL, "u", "p"));
	store_close(s);
	fd = open(passpath, O_WRONLY | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "other\n", 6), 6);
	close(fd);
	s = open_file_store();
	ck_assert_int_eq(store_cred_list(s, &v, &n, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	ck_assert_ptr_null(v);
	ck_assert_uint_eq(n, 0);
	store_close(s);
}
END_TEST

/* The version byte is authenticated: a version-2 file relabelled as 1 (an
 * older program's format) is damaged, never half-read. */
START_TEST(test_file_version_tamper)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct credential c = cr("https", "h", NULL, NULL, NULL), out;
	struct store *s = open_file_store();
	unsigned char one = 1;
	int fd;

	put_ok(s, cr("https", "h", NULL, "u", "p"));
	store_close(s);
	fd = open(storepath, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, &one, 1, 9), 1);
	close(fd);
	s = open_file_store();
	credential_init(&out);
	ck_assert_int_eq(store_cred_get(s, &c, &out, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	credential_release(&out);
	store_close(s);
}
END_TEST

static Suite *
credential_store_suite(void)
{
	Suite *su = suite_create("credential_store");
	TCase *tc;

	tc = tcase_create("blob");
	tcase_add_loop_test(tc, test_blob_encode, 0,
	    (int)LDRT_ARRAY_SIZE(enc_table));
	tcase_add_loop_test(tc, test_blob_decode, 0,
	    (int)LDRT_ARRAY_SIZE(dec_table));
	tcase_add_test(tc, test_blob_round_trip);
	tcase_add_loop_test(tc, test_same_key, 0,
	    (int)LDRT_ARRAY_SIZE(key_table));
	suite_add_tcase(su, tc);

	tc = tcase_create("file");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_file_matching);
	tcase_add_test(tc, test_file_upsert_and_erase);
	tcase_add_test(tc, test_file_expiry_refresh);
	tcase_add_test(tc, test_file_refused);
	tcase_add_test(tc, test_file_versions);
	tcase_add_test(tc, test_file_version_tamper);
	tcase_add_test(tc, test_file_list);
	tcase_add_test(tc, test_file_list_wrong_passphrase);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	SRunner *sr = srunner_create(credential_store_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
