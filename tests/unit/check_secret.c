/*
 * check_secret.c: secret buffers (cap, growth, wipe on free), reading
 * secrets from fds and files, the token fingerprint.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"

/* The release hook sees each secret block just before free(): record
 * whether every byte was already zero. */
static int hook_calls, hook_dirty;

static void
hook(const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	hook_calls++;
	for (i = 0; i < n; i++)
		if (c[i] != 0)
			hook_dirty++;
}

static void
hook_setup(void)
{
	hook_calls = hook_dirty = 0;
	secret_release_hook = hook;
}

static void
hook_teardown(void)
{
	secret_release_hook = NULL;
}

START_TEST(test_secbuf_append_and_cap)
{
	struct secbuf *b = secbuf_new(10);

	ck_assert_int_eq(secbuf_append(b, "hello", 5), 0);
	ck_assert_int_eq(secbuf_append(b, "world", 5), 0);
	ck_assert_str_eq(secbuf_str(b), "helloworld");
	ck_assert_uint_eq(secbuf_len(b), 10);
	ck_assert_int_eq(secbuf_append(b, "!", 1), -1);
	ck_assert_str_eq(secbuf_str(b), "helloworld");
	secbuf_free(b);
}
END_TEST

START_TEST(test_secbuf_growth_wipes_old_block)
{
	struct secbuf *b = secbuf_new(4096);
	char chunk[100];
	int i;

	memset(chunk, 'k', sizeof(chunk));
	for (i = 0; i < 30; i++)
		ck_assert_int_eq(secbuf_append(b, chunk, sizeof(chunk)), 0);
	ck_assert_uint_eq(secbuf_len(b), 3000);
	/* 256 -> 512 -> 1024 -> 2048 -> 3000: four old blocks released */
	ck_assert_int_ge(hook_calls, 4);
	secbuf_free(b);
	ck_assert_int_ge(hook_calls, 5);
	ck_assert_int_eq(hook_dirty, 0);
}
END_TEST

/* A reserve keeps the contents, wipes the old block, and makes the
 * appends that fit it allocate nothing; it is capped at max. */
START_TEST(test_secbuf_reserve)
{
	struct secbuf *b = secbuf_new(5000);
	char chunk[100];
	int i, calls;

	ck_assert_int_eq(secbuf_append(b, "ab", 2), 0);
	secbuf_reserve(b, 3000);
	ck_assert_int_eq(hook_calls, 1);
	ck_assert_int_eq(hook_dirty, 0);
	ck_assert_str_eq(secbuf_str(b), "ab");
	memset(chunk, 'k', sizeof(chunk));
	calls = hook_calls;
	for (i = 0; i < 29; i++)
		ck_assert_int_eq(secbuf_append(b, chunk, sizeof(chunk)), 0);
	ck_assert_int_eq(hook_calls, calls);	/* no growth */
	ck_assert_uint_eq(secbuf_len(b), 2902);
	secbuf_reserve(b, 100);			/* smaller: nothing */
	ck_assert_int_eq(hook_calls, calls);
	secbuf_reserve(b, 1000000);		/* capped at max */
	ck_assert_int_eq(secbuf_append(b, chunk, sizeof(chunk)), 0);
	ck_assert_uint_eq(secbuf_len(b), 3002);
	ck_assert_int_eq(strncmp(secbuf_str(b), "abkkk", 5), 0);
	for (i = 0; i < 19; i++)
		ck_assert_int_eq(secbuf_append(b, chunk, sizeof(chunk)), 0);
	ck_assert_int_eq(secbuf_append(b, chunk, 99), -1);	/* 5001 > max */
	secbuf_free(b);
	ck_assert_int_eq(hook_dirty, 0);
}
END_TEST

START_TEST(test_secret_free_wipes)
{
	char *s = secret_strdup("rel-0123-secret");

	secret_free(s);
	ck_assert_int_eq(hook_calls, 1);
	ck_assert_int_eq(hook_dirty, 0);
	secret_free(NULL);
	ck_assert_int_eq(hook_calls, 1);
}
END_TEST

START_TEST(test_secbuf_detach_and_reset)
{
	struct secbuf *b = secbuf_new(64);
	char *s;

	secbuf_append(b, "abc", 3);
	s = secbuf_detach(b);
	ck_assert_str_eq(s, "abc");
	ck_assert_uint_eq(secbuf_len(b), 0);
	ck_assert_str_eq(secbuf_str(b), "");
	secret_free(s);
	secbuf_free(b);
	ck_assert_int_eq(hook_dirty, 0);
}
END_TEST

/* Feeds data through a pipe to secret_read_fd. */
static int
read_via_pipe(const char *data, size_t len, char **out, struct ldrt_err *e)
{
	int fds[2], r;

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], data, len), (ssize_t)len);
	close(fds[1]);
	r = secret_read_fd(fds[0], "token", out, e);
	close(fds[0]);
	return r;
}

static const struct {
	const char	*in;
	size_t		 len;
	const char	*want;	/* NULL: error */
	int		 ex;
} read_rows[] = {
	{ "api-123\n", 8, "api-123", 0 },
	{ "api-123", 7, "api-123", 0 },
	{ "api-123\r\n", 9, "api-123", 0 },
	{ "", 0, NULL, EX_DATAERR },
	{ "\n", 1, NULL, EX_DATAERR },
	{ "a\nb\n", 4, NULL, EX_DATAERR },
	{ "a\0b", 3, NULL, EX_DATAERR },
	{ "a\rb", 3, NULL, EX_DATAERR },
};

START_TEST(test_read_fd_table)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char *out = (char *)1;
	int r;

	r = read_via_pipe(read_rows[_i].in, read_rows[_i].len, &out, &e);
	if (read_rows[_i].want != NULL) {
		ck_assert_int_eq(r, 0);
		ck_assert_str_eq(out, read_rows[_i].want);
		secret_free(out);
	} else {
		ck_assert_int_eq(r, -1);
		ck_assert_ptr_null(out);
		ck_assert_int_eq(e.ex, read_rows[_i].ex);
		ck_assert_ptr_null(strstr(e.msg, "a\n"));
	}
}
END_TEST

START_TEST(test_read_fd_too_long)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char *big = malloc(SECRET_MAX + 10), *out = NULL;
	int fds[2];
	pid_t pid;

	memset(big, 'x', SECRET_MAX + 10);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		(void)!write(fds[1], big, SECRET_MAX + 10);
		_exit(0);
	}
	close(fds[1]);
	ck_assert_int_eq(secret_read_fd(fds[0], "token", &out, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_ptr_nonnull(strstr(e.msg, "longer than"));
	close(fds[0]);
	free(big);
}
END_TEST

START_TEST(test_read_file_mode)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char path[] = "/tmp/check_secret.XXXXXX", *out = NULL;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "api-x\n", 6), 6);
	close(fd);
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(secret_read_file(path, "token file", 1, &out, &e), 0);
	ck_assert_str_eq(out, "api-x");
	secret_free(out);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(secret_read_file(path, "token file", 1, &out, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(e.msg, "0644"));
	ck_assert_int_eq(secret_read_file(path, "token file", 0, &out, &e), 0);
	secret_free(out);
	unlink(path);
	ck_assert_int_eq(secret_read_file(path, "token file", 1, &out, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOINPUT);
}
END_TEST

START_TEST(test_fingerprint)
{
	char fp[13];

	/* sha256("abc") = ba7816bf8f01cfea414140de5dae2223... */
	secret_fingerprint("abc", fp);
	ck_assert_str_eq(fp, "ba7816bf8f01");
	secret_fingerprint("", fp);
	ck_assert_str_eq(fp, "e3b0c44298fc");
}
END_TEST

START_TEST(test_harden_process)
{
	struct rlimit rl;
	mode_t old;

	secret_harden_process();
	ck_assert_int_eq(getrlimit(RLIMIT_CORE, &rl), 0);
	ck_assert_uint_eq(rl.rlim_cur, 0);
	old = umask(0);
	ck_assert_uint_eq(old, 077);
	umask(old);
#ifdef PR_GET_DUMPABLE
	ck_assert_int_eq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
#endif
}
END_TEST

static Suite *
secret_suite(void)
{
	Suite *s = suite_create("secret");
	TCase *tc = tcase_create("buffers");

	tcase_add_checked_fixture(tc, hook_setup, hook_teardown);
	tcase_add_test(tc, test_secbuf_append_and_cap);
	tcase_add_test(tc, test_secbuf_growth_wipes_old_block);
	tcase_add_test(tc, test_secbuf_reserve);
	tcase_add_test(tc, test_secret_free_wipes);
	tcase_add_test(tc, test_secbuf_detach_and_reset);
	suite_add_tcase(s, tc);
	tc = tcase_create("read");
	tcase_add_loop_test(tc, test_read_fd_table, 0,
	    (int)(sizeof(read_rows) / sizeof(read_rows[0])));
	tcase_add_test(tc, test_read_fd_too_long);
	tcase_add_test(tc, test_read_file_mode);
	suite_add_tcase(s, tc);
	tc = tcase_create("misc");
	tcase_add_test(tc, test_fingerprint);
	tcase_add_test(tc, test_harden_process);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(secret_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
