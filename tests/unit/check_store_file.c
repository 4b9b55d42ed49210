/*
 * check_store_file.c: the encrypted file store (no D-Bus).
 *
 * Each test gets a fresh temp dir as XDG_DATA_HOME and a 0600 passphrase
 * file in LDRT_PASSPHRASE_FILE.  LDRT_SCRYPT_N=1024 keeps key derivation
 * cheap; one test creates a store at the real, tuned parameters.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ldrt.h"
#include "secret.h"
#include "store.h"

static char tmpdir[256];
static char storepath[512];
static char passpath[512];

static void
write_file(const char *path, const void *data, size_t n, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static unsigned char *
read_all(const char *path, size_t *n)
{
	unsigned char *b;
	struct stat st;
	FILE *f;

	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fstat(fileno(f), &st), 0);
	b = xmalloc((size_t)st.st_size + 1);
	*n = fread(b, 1, (size_t)st.st_size, f);
	ck_assert_uint_eq(*n, (size_t)st.st_size);
	fclose(f);
	return b;
}

static void
set_pass(const char *pw)
{
	write_file(passpath, pw, strlen(pw), 0600);
}

static void
setup(void)
{
	char *data;

	strcpy(tmpdir, "/tmp/cksf.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	data = xasprintf("%s/data", tmpdir);
	setenv("XDG_DATA_HOME", data, 1);
	free(data);
	snprintf(storepath, sizeof(storepath),
	    "%s/data/ld-relay-token/store", tmpdir);
	snprintf(passpath, sizeof(passpath), "%s/pass", tmpdir);
	set_pass("correct horse battery staple\n");
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
	ck_assert_str_eq(store_backend_name(s), "file");
	return s;
}

static const struct store_key k_tok = {
	STORE_API_TOKEN, "default", "app.launchdarkly.com", NULL, NULL
};
static const struct store_key k_tok2 = {
	STORE_API_TOKEN, "staging", "app.launchdarkly.com", NULL, NULL
};
static const struct store_key k_tok3 = {
	STORE_API_TOKEN, "default", "app.eu.launchdarkly.com", NULL, NULL
};
static const struct store_key k_rel = {
	STORE_RELAY_KEY, "default", "app.launchdarkly.com", "5f0c1234abcd",
	"prod"
};
static const struct store_key k_rel2 = {
	STORE_RELAY_KEY, "default", "app.launchdarkly.com", "6a1d5678ef90",
	"staging relay"
};

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

	ck_assert_msg(store_put(s, k, v, &e) == 0, "put: %s", e.msg);
}

START_TEST(test_round_trip)
{
	struct store *s = open_file_store();
	struct ldrt_err e = LDRT_ERR_INIT;
	struct store_item *items;
	size_t n, i;
	int seen_rel = 0;

	expect_get(s, &k_tok, NULL);
	put_ok(s, &k_tok, "api-11111111-2222");
	put_ok(s, &k_tok2, "api-staging");
	put_ok(s, &k_tok3, "api-eu");
	put_ok(s, &k_rel, "rel-aaaa");
	put_ok(s, &k_rel2, "rel-bbbb");
	expect_get(s, &k_tok, "api-11111111-2222");
	expect_get(s, &k_tok2, "api-staging");
	expect_get(s, &k_tok3, "api-eu");
	expect_get(s, &k_rel, "rel-aaaa");
	expect_get(s, &k_rel2, "rel-bbbb");
	store_close(s);

	/* a new handle (new key derivation) reads the same */
	s = open_file_store();
	expect_get(s, &k_rel2, "rel-bbbb");

	/* list: relay keys of profile default, no secrets */
	{
		struct store_key pat = { STORE_RELAY_KEY, "default", NULL,
		    NULL, NULL };

		ck_assert_int_eq(store_list(s, &pat, &items, &n, &e), 0);
		ck_assert_uint_eq(n, 2);
		for (i = 0; i < n; i++) {
			ck_assert_int_eq(items[i].kind, STORE_RELAY_KEY);
			if (strcmp(items[i].relay_id, "5f0c1234abcd") == 0) {
				ck_assert_str_eq(items[i].relay_name, "prod");
				seen_rel = 1;
			}
		}
		ck_assert(seen_rel);
		store_items_free(items, n);
	}
	{
		struct store_key pat = { STORE_API_TOKEN, NULL,
		    "app.launchdarkly.com", NULL, NULL };

		ck_assert_int_eq(store_list(s, &pat, &items, &n, &e), 0);
		ck_assert_uint_eq(n, 2);
		store_items_free(items, n);
	}
	store_close(s);
}
END_TEST

START_TEST(test_overwrite_delete)
{
	struct store *s = open_file_store();
	struct ldrt_err e = LDRT_ERR_INIT;
	struct store_key renamed = k_rel;
	struct store_item *items;
	size_t n;

	put_ok(s, &k_rel, "rel-old");
	put_ok(s, &k_rel, "rel-new");
	expect_get(s, &k_rel, "rel-new");
	/* relay name is not matched: a rename overwrites the same item */
	renamed.relay_name = "production";
	put_ok(s, &renamed, "rel-newer");
	expect_get(s, &k_rel, "rel-newer");
	ck_assert_int_eq(store_list(s, &k_rel, &items, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(items[0].relay_name, "production");
	store_items_free(items, n);

	put_ok(s, &k_tok, "api-x");
	ck_assert_int_eq(store_delete(s, &k_rel, &e), 0);
	expect_get(s, &k_rel, NULL);
	expect_get(s, &k_tok, "api-x");
	ck_assert_int_eq(store_delete(s, &k_rel, &e), STORE_ABSENT);
	ck_assert_int_eq(store_delete(s, &k_tok, &e), 0);
	ck_assert_int_eq(store_list(s, NULL, &items, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	store_items_free(items, n);
	/* empty secrets are refused */
	ck_assert_int_eq(store_put(s, &k_tok, "", &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	store_close(s);
}
END_TEST

START_TEST(test_absent_without_file)
{
	struct store *s = open_file_store();
	struct ldrt_err e = LDRT_ERR_INIT;
	struct store_item *items;
	struct stat st;
	size_t n;

	/* reads and deletes on a missing store need no passphrase and
	 * create nothing */
	unsetenv("LDRT_PASSPHRASE_FILE");
	expect_get(s, &k_tok, NULL);
	ck_assert_int_eq(store_delete(s, &k_tok, &e), STORE_ABSENT);
	ck_assert_int_eq(store_list(s, NULL, &items, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	store_items_free(items, n);
	ck_assert_int_ne(stat(storepath, &st), 0);
	/* a write needs a passphrase: non-interactive, none configured */
	ck_assert_int_eq(store_put(s, &k_tok, "api-x", &e), -1);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(e.msg, "LDRT_PASSPHRASE_FILE"));
	ck_assert_int_ne(stat(storepath, &st), 0);
	store_close(s);
}
END_TEST

START_TEST(test_credentials_directory)
{
	struct store *s;
	char *cd = xasprintf("%s/creds", tmpdir), *p;

	ck_assert_int_eq(mkdir(cd, 0700), 0);
	p = xasprintf("%s/ld-relay-token.passphrase", cd);
	write_file(p, "from-systemd", 12, 0400);
	unsetenv("LDRT_PASSPHRASE_FILE");
	setenv("CREDENTIALS_DIRECTORY", cd, 1);
	s = open_file_store();
	put_ok(s, &k_tok, "api-cred");
	store_close(s);
	/* the same passphrase from a file reads it */
	unsetenv("CREDENTIALS_DIRECTORY");
	set_pass("from-systemd");
	setenv("LDRT_PASSPHRASE_FILE", passpath, 1);
	s = open_file_store();
	expect_get(s, &k_tok, "api-cred");
	store_close(s);
	unsetenv("CREDENTIALS_DIRECTORY");
	free(p);
	free(cd);
}
END_TEST

/* Odd but legal attribute and secret values survive a round trip and do
 * not collide; malformed keys are refused before any I/O. */
START_TEST(test_hostile_values)
{
	static const char *profiles[] = {
		"a\nb", "a b", "\xc3\xbcn\xc3\xaf" "c\xc3\xb6" "de", "=",
		"[profile x]",
		"default ", " default", "'\";$(rm -rf /)", "\x01\x7f",
	};
	struct store *s = open_file_store();
	struct ldrt_err e = LDRT_ERR_INIT;
	struct store_key k = k_tok, bad;
	char *longp, *val, *got = NULL;
	size_t i;

	longp = xmalloc(5001);
	memset(longp, 'p', 5000);
	longp[5000] = '\0';
	for (i = 0; i < LDRT_ARRAY_SIZE(profiles); i++) {
		k.profile = profiles[i];
		val = xasprintf("api-%zu with spaces=and\ttabs", i);
		put_ok(s, &k, val);
		free(val);
	}
	k.profile = longp;
	put_ok(s, &k, "api-long");
	for (i = 0; i < LDRT_ARRAY_SIZE(profiles); i++) {
		k.profile = profiles[i];
		val = xasprintf("api-%zu with spaces=and\ttabs", i);
		expect_get(s, &k, val);
		free(val);
	}
	k.profile = longp;
	expect_get(s, &k, "api-long");
	expect_get(s, &k_tok, NULL);

	bad = k_tok;
	bad.profile = "";
	ck_assert_int_eq(store_put(s, &bad, "x", &e), -1);
	ck_assert_int_eq(store_get(s, &bad, &got, &e), -1);
	bad = k_tok;
	bad.api_host = NULL;
	ck_assert_int_eq(store_put(s, &bad, "x", &e), -1);
	bad = k_rel;
	bad.relay_id = NULL;
	ck_assert_int_eq(store_put(s, &bad, "x", &e), -1);
	ck_assert_int_eq(store_delete(s, &bad, &e), -1);
	ck_assert_ptr_null(got);
	free(longp);
	store_close(s);
}
END_TEST

/* A handle that cached the key for one store reads a store re-created
 * (new salt) by another handle. */
START_TEST(test_recreated_store)
{
	struct store *a = open_file_store(), *b;

	put_ok(a, &k_tok, "api-first");
	expect_get(a, &k_tok, "api-first");
	ck_assert_int_eq(unlink(storepath), 0);
	b = open_file_store();
	put_ok(b, &k_tok, "api-second");
	store_close(b);
	expect_get(a, &k_tok, "api-second");
	put_ok(a, &k_tok2, "api-third");
	store_close(a);
	b = open_file_store();
	expect_get(b, &k_tok, "api-second");
	expect_get(b, &k_tok2, "api-third");
	store_close(b);
}
END_TEST

START_TEST(test_wrong_passphrase)
{
	struct store *s = open_file_store();
	struct ldrt_err e = LDRT_ERR_INIT;
	unsigned char *before, *after;
	size_t nb, na;
	char *got = NULL;

	put_ok(s, &k_tok, "api-secret-value");
	store_close(s);
	before = read_all(storepath, &nb);

	set_pass("not the passphrase");
	s = open_file_store();
	ck_assert_int_eq(store_get(s, &k_tok, &got, &e), -1);
	ck_assert_ptr_null(got);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(e.msg, "wrong passphrase"));
	ck_assert_ptr_null(strstr(e.msg, "api-secret"));
	/* writes and deletes refuse too and leave the file alone */
	ck_assert_int_eq(store_put(s, &k_tok2, "api-2", &e), -1);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	ck_assert_int_eq(store_delete(s, &k_tok, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	store_close(s);
	after = read_all(storepath, &na);
	ck_assert_uint_eq(na, nb);
	ck_assert(memcmp(before, after, nb) == 0);
	free(before);
	free(after);
}
END_TEST

/* Flips one byte at every offset in turn: never a success, never a
 * change to the file. */
START_TEST(test_tamper_every_byte)
{
	struct store *s = open_file_store();
	struct ldrt_err e = LDRT_ERR_INIT;
	unsigned char *orig, *mod, *after;
	size_t n, na, off;
	char *got;
	int r;

	put_ok(s, &k_tok, "api-tamper");
	put_ok(s, &k_rel, "rel-tamper");
	store_close(s);
	orig = read_all(storepath, &n);
	ck_assert_uint_gt(n, 68 + 16);
	for (off = 0; off < n; off++) {
		mod = xmalloc(n);
		memcpy(mod, orig, n);
		mod[off] ^= 0x01;
		write_file(storepath, mod, n, 0600);
		s = open_file_store();
		got = NULL;
		err_clear(&e);
		r = store_get(s, &k_tok, &got, &e);
		ck_assert_msg(r == -1, "offset %zu: r=%d", off, r);
		ck_assert_ptr_null(got);
		ck_assert_msg(e.ex == EX_DATAERR || e.ex == EX_NOPERM,
		    "offset %zu: ex=%d %s", off, e.ex, e.msg);
		/* header fields after the magic with the KDF check value:
		 * body/tag flips are "damaged" (65), not a passphrase issue */
		if (off >= 68)
			ck_assert_msg(e.ex == EX_DATAERR, "offset %zu: %s",
			    off, e.msg);
		/* a put must not replace a file it cannot read */
		ck_assert_int_eq(store_put(s, &k_tok2, "api-2", &e), -1);
		store_close(s);
		after = read_all(storepath, &na);
		ck_assert_uint_eq(na, n);
		ck_assert_msg(memcmp(after, mod, n) == 0, "offset %zu", off);
		free(after);
		free(mod);
	}
	free(orig);
}
END_TEST

START_TEST(test_truncated)
{
	struct store *s = open_file_store();
	struct ldrt_err e = LDRT_ERR_INIT;
	static const size_t cuts[] = { 0, 1, 8, 9, 10, 40, 67, 68, 83, 84 };
	unsigned char *orig, *after;
	size_t n, na, i, len;
	char *got;

	put_ok(s, &k_tok, "api-trunc");
	store_close(s);
	orig = read_all(storepath, &n);
	for (i = 0; i <= LDRT_ARRAY_SIZE(cuts); i++) {
		len = i < LDRT_ARRAY_SIZE(cuts) ? cuts[i] : n - 1;
		if (len >= n)
			continue;
		write_file(storepath, orig, len, 0600);
		s = open_file_store();
		got = NULL;
		err_clear(&e);
		ck_assert_int_eq(store_get(s, &k_tok, &got, &e), -1);
		ck_assert_msg(e.ex == EX_DATAERR, "len %zu: %d %s", len,
		    e.ex, e.msg);
		ck_assert_ptr_nonnull(strstr(e.msg, "damaged"));
		ck_assert_int_eq(store_put(s, &k_tok, "api-2", &e), -1);
		store_close(s);
		after = read_all(storepath, &na);
		ck_assert_uint_eq(na, len);
		free(after);
	}
	/* trailing garbage is damage too */
	{
		unsigned char *big = xmalloc(n + 3);

		memcpy(big, orig, n);
		memcpy(big + n, "xyz", 3);
		write_file(storepath, big, n + 3, 0600);
		s = open_file_store();
		got = NULL;
		ck_assert_int_eq(store_get(s, &k_tok, &got, &e), -1);
		ck_assert_int_eq(e.ex, EX_DATAERR);
		store_close(s);
		free(big);
	}
	/* not a store at all */
	{
		static const char junk[] = "hello world, this is not a store "
		    "file at all; it is long enough to hold a header and a "
		    "tag, honest";

		write_file(storepath, junk, sizeof(junk) - 1, 0600);
	}
	s = open_file_store();
	got = NULL;
	ck_assert_int_eq(store_get(s, &k_tok, &got, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	store_close(s);
	free(orig);
}
END_TEST

START_TEST(test_modes)
{
	struct store *s = open_file_store();
	struct ldrt_err e = LDRT_ERR_INIT;
	struct stat st;
	char *dir, *got = NULL;

	put_ok(s, &k_tok, "api-modes");
	store_close(s);
	/* creation: dir 0700, file 0600, lock 0600 */
	dir = xasprintf("%s/data/ld-relay-token", tmpdir);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(stat(storepath, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	free(dir);
	dir = xasprintf("%s.lock", storepath);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	free(dir);

	ck_assert_int_eq(chmod(storepath, 0644), 0);
	s = open_file_store();
	ck_assert_int_eq(store_get(s, &k_tok, &got, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(e.msg, "0644"));
	ck_assert_int_eq(store_put(s, &k_tok, "x", &e), -1);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	store_close(s);
	ck_assert_int_eq(stat(storepath, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert_int_eq(chmod(storepath, 0640), 0);
	s = open_file_store();
	ck_assert_int_eq(store_get(s, &k_tok, &got, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	store_close(s);
	ck_assert_int_eq(chmod(storepath, 0600), 0);

	/* passphrase file readable by others */
	ck_assert_int_eq(chmod(passpath, 0644), 0);
	s = open_file_store();
	ck_assert_int_eq(store_get(s, &k_tok, &got, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(e.msg, "0644"));
	store_close(s);
	ck_assert_int_eq(chmod(passpath, 0600), 0);

	/* a symlink in place of the store is refused */
	{
		char *real = xasprintf("%s/real", tmpdir);

		ck_assert_int_eq(rename(storepath, real), 0);
		ck_assert_int_eq(symlink(real, storepath), 0);
		s = open_file_store();
		ck_assert_int_eq(store_get(s, &k_tok, &got, &e), -1);
		ck_assert_int_eq(e.ex, EX_NOPERM);
		store_close(s);
		free(real);
	}
	ck_assert_ptr_null(got);
}
END_TEST

static void
child_writer(int id)
{
	struct store_opts o = { "file", 30, 0, NULL, NULL };
	struct ldrt_err e = LDRT_ERR_INIT;
	struct store_key k = { STORE_RELAY_KEY, "default",
	    "app.launchdarkly.com", NULL, NULL };
	struct store *s = NULL;
	char id_s[32], val[32];
	int i;

	if (store_open(&o, &s, &e) != 0)
		_exit(10);
	for (i = 0; i < 20; i++) {
		snprintf(id_s, sizeof(id_s), "w%d-%02d", id, i);
		snprintf(val, sizeof(val), "rel-%d-%02d", id, i);
		k.relay_id = id_s;
		k.relay_name = id_s;
		if (store_put(s, &k, val, &e) != 0) {
			fprintf(stderr, "child %d: %s\n", id, e.msg);
			_exit(11);
		}
	}
	store_close(s);
	_exit(0);
}

START_TEST(test_concurrent_writers)
{
	struct store_key k = { STORE_RELAY_KEY, "default",
	    "app.launchdarkly.com", NULL, NULL };
	struct ldrt_err e = LDRT_ERR_INIT;
	struct store_item *items;
	struct store *s;
	char id_s[32], val[32];
	pid_t pid[2];
	size_t n;
	int i, w, st;

	for (w = 0; w < 2; w++) {
		pid[w] = fork();
		ck_assert_int_ge(pid[w], 0);
		if (pid[w] == 0)
			child_writer(w);
	}
	for (w = 0; w < 2; w++) {
		ck_assert_int_eq(waitpid(pid[w], &st, 0), pid[w]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "writer %d status %d", w, st);
	}
	s = open_file_store();
	ck_assert_int_eq(store_list(s, NULL, &items, &n, &e), 0);
	store_items_free(items, n);
	{
		struct store_key pat = { STORE_RELAY_KEY, NULL, NULL, NULL,
		    NULL };

		ck_assert_int_eq(store_list(s, &pat, &items, &n, &e), 0);
		ck_assert_uint_eq(n, 40);
		store_items_free(items, n);
	}
	for (w = 0; w < 2; w++)
		for (i = 0; i < 20; i++) {
			snprintf(id_s, sizeof(id_s), "w%d-%02d", w, i);
			snprintf(val, sizeof(val), "rel-%d-%02d", w, i);
			k.relay_id = id_s;
			expect_get(s, &k, val);
		}
	store_close(s);
}
END_TEST

static unsigned
header_log2n(void)
{
	unsigned char *b;
	unsigned l;
	size_t n;

	b = read_all(storepath, &n);
	ck_assert_uint_ge(n, 68);
	ck_assert(memcmp(b, "LDRTSTORE", 9) == 0);
	ck_assert_uint_eq(b[9], 1);		/* version */
	ck_assert_uint_eq(b[10], 1);		/* scrypt */
	ck_assert_uint_eq(b[12] << 24 | b[13] << 16 | b[14] << 8 | b[15], 8);
	ck_assert_uint_eq(b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19], 1);
	l = b[11];
	free(b);
	return l;
}

START_TEST(test_scrypt_params_override)
{
	struct store *s = open_file_store();

	put_ok(s, &k_tok, "api-n");
	store_close(s);
	ck_assert_uint_eq(header_log2n(), 10);
}
END_TEST

START_TEST(test_scrypt_real_params)
{
	struct timespec a, b;
	struct store *s;
	double ms;
	unsigned l;

	unsetenv("LDRT_SCRYPT_N");
	s = open_file_store();
	put_ok(s, &k_tok, "api-real");
	store_close(s);
	l = header_log2n();
	ck_assert_uint_ge(l, 14);
	ck_assert_uint_le(l, 20);
	/* a fresh handle derives the key once at the recorded cost */
	s = open_file_store();
	clock_gettime(CLOCK_MONOTONIC, &a);
	expect_get(s, &k_tok, "api-real");
	clock_gettime(CLOCK_MONOTONIC, &b);
	store_close(s);
	ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
	/* informational only: valgrind makes it 30 times slower */
	fprintf(stderr, "scrypt N=2^%u: read took %.0f ms\n", l, ms);
}
END_TEST

START_TEST(test_default_path)
{
	char *p;

	setenv("XDG_DATA_HOME", "/x/y", 1);
	p = store_file_default_path();
	ck_assert_str_eq(p, "/x/y/ld-relay-token/store");
	free(p);
	setenv("XDG_DATA_HOME", "relative", 1);
	setenv("HOME", "/home/h", 1);
	p = store_file_default_path();
	ck_assert_str_eq(p, "/home/h/.local/share/ld-relay-token/store");
	free(p);
}
END_TEST

START_TEST(test_auto_selection_file)
{
	struct store_opts o = { "auto", 2, 0, NULL, NULL };
	struct ldrt_err e = LDRT_ERR_INIT;
	struct store *s = NULL;
	char *rt = xasprintf("%s/run", tmpdir);

	/* no bus at all: auto falls back to the file store because a
	 * passphrase file is configured, and says why */
	ck_assert_int_eq(mkdir(rt, 0700), 0);
	unsetenv("DBUS_SESSION_BUS_ADDRESS");
	setenv("XDG_RUNTIME_DIR", rt, 1);
	unsetenv("DISPLAY");
	ck_assert_msg(store_open(&o, &s, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(store_backend_name(s), "file");
	ck_assert_ptr_nonnull(strstr(store_reason(s), "passphrase"));
	ck_assert_ptr_nonnull(strstr(store_reason(s), "no D-Bus session bus"));
	store_close(s);
	/* neither: an error naming both options */
	unsetenv("LDRT_PASSPHRASE_FILE");
	ck_assert_int_eq(store_open(&o, &s, &e), -1);
	ck_assert_int_eq(e.ex, EX_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(e.msg, "--store file"));
	ck_assert_ptr_nonnull(strstr(e.msg, "Secret Service"));
	/* bad backend name */
	o.backend = "gpg";
	ck_assert_int_eq(store_open(&o, &s, &e), -1);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	free(rt);
}
END_TEST

static Suite *
store_file_suite(void)
{
	Suite *s = suite_create("store_file");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_overwrite_delete);
	tcase_add_test(tc, test_absent_without_file);
	tcase_add_test(tc, test_credentials_directory);
	tcase_add_test(tc, test_hostile_values);
	tcase_add_test(tc, test_recreated_store);
	tcase_add_test(tc, test_wrong_passphrase);
	tcase_add_test(tc, test_tamper_every_byte);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_modes);
	tcase_add_test(tc, test_concurrent_writers);
	tcase_add_test(tc, test_scrypt_params_override);
	tcase_add_test(tc, test_scrypt_real_params);
	tcase_add_test(tc, test_default_path);
	tcase_add_test(tc, test_auto_selection_file);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(store_file_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
