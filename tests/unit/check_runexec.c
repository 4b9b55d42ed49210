/*
 * check_runexec.c: the after-change command: exit status and stderr tail,
 * timeouts that end the whole process group, and what the child gets (no
 * key in argv or environment, no inherited descriptors, stdin from
 * /dev/null, its stdout on our stderr).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runexec.h"

static char dir[64];

static void
dir_setup(void)
{
	strcpy(dir, "/tmp/check_runexec.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
dir_teardown(void)
{
	char *cmd = NULL;

	if (asprintf(&cmd, "rm -rf %s", dir) > 0)
		ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* Reads a whole small file into a static buffer (NULs kept as is). */
static const char *
slurp(const char *name, size_t *lenp)
{
	static char buf[65536];
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	if (lenp != NULL)
		*lenp = n;
	return buf;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(test_success)
{
	struct runexec_result res;
	struct ldrt_err e = LDRT_ERR_INIT;

	ck_assert_int_eq(runexec("echo hello >&2; exit 0", 5, &res, &e), 0);
	ck_assert(res.started);
	ck_assert(res.exited);
	ck_assert_int_eq(res.status, 0);
	ck_assert(!res.timed_out);
	ck_assert_str_eq(res.stderr_tail, "hello");
}
END_TEST

START_TEST(test_failure)
{
	struct runexec_result res;
	struct ldrt_err e = LDRT_ERR_INIT;

	ck_assert_int_eq(runexec("echo one >&2; echo two >&2; exit 3", 5,
	    &res, &e), -1);
	ck_assert_int_eq(e.ex, EX_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(e.msg, "status 3"));
	ck_assert(res.exited);
	ck_assert_int_eq(res.status, 3);
	ck_assert_str_eq(res.stderr_tail, "one\ntwo");
	ck_assert_int_eq(runexec("no-such-command-ldrt", 5, &res, &e), -1);
	ck_assert_int_eq(res.status, 127);
	ck_assert_int_eq(runexec("kill -USR1 $$", 5, &res, &e), -1);
	ck_assert(res.signaled);
	ck_assert_int_eq(res.sig, SIGUSR1);
}
END_TEST

START_TEST(test_tail_last_lines)
{
	struct runexec_result res;
	struct ldrt_err e = LDRT_ERR_INIT;

	ck_assert_int_eq(runexec("i=0; while [ $i -lt 500 ]; do i=$((i+1)); "
	    "echo line$i >&2; done; printf 'a\\033b\\r\\n\\303\\251\\n' >&2",
	    5, &res, &e), 0);
	ck_assert_str_eq(res.stderr_tail, "line493\nline494\nline495\n"
	    "line496\nline497\nline498\nline499\nline500\na?b\n??");
	/* one huge line: capped */
	ck_assert_int_eq(runexec("head -c 100000 /dev/zero | tr '\\0' x >&2",
	    5, &res, &e), 0);
	ck_assert_uint_eq(strlen(res.stderr_tail), RUNEXEC_TAIL_MAX);
}
END_TEST

START_TEST(test_timeout_kills_group)
{
	struct runexec_result res;
	struct ldrt_err e = LDRT_ERR_INIT;
	char cmd[512], proc[64];
	int64_t t0 = now_ms(), took;
	long bgpid;

	/* a child of the shell in the background, and one in front */
	snprintf(cmd, sizeof(cmd), "sleep 30 & echo $! > %s/bg; sleep 30",
	    dir);
	ck_assert_int_eq(runexec_ms(cmd, 1000, 1000, &res, &e), -1);
	took = now_ms() - t0;
	ck_assert_int_eq(e.ex, EX_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(e.msg, "timed out"));
	ck_assert(res.timed_out);
	ck_assert(res.signaled);
	ck_assert_int_eq(res.sig, SIGTERM);
	ck_assert_int_lt(took, 2900);
	ck_assert_int_ge(took, 1000);
	bgpid = strtol(slurp("bg", NULL), NULL, 10);
	ck_assert_int_gt(bgpid, 1);
	usleep(200000);
	/* gone, or at most a zombie waiting for its new parent */
	snprintf(proc, sizeof(proc), "/proc/%ld/stat", bgpid);
	if (access(proc, F_OK) == 0) {
		FILE *f = fopen(proc, "r");
		char state = '?';

		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(fscanf(f, "%*d (%*[^)]) %c", &state), 1);
		fclose(f);
		ck_assert_msg(state == 'Z', "background sleep still running");
	}
}
END_TEST

START_TEST(test_timeout_term_ignored)
{
	struct runexec_result res;
	struct ldrt_err e = LDRT_ERR_INIT;
	int64_t t0 = now_ms(), took;

	ck_assert_int_eq(runexec_ms("trap '' TERM; sleep 30", 500, 1000, &res,
	    &e), -1);
	took = now_ms() - t0;
	ck_assert(res.timed_out);
	ck_assert(res.signaled);
	ck_assert_int_eq(res.sig, SIGKILL);
	ck_assert_int_ge(took, 1500);
	ck_assert_int_lt(took, 3500);
}
END_TEST

/* What the child sees: argv, environment, descriptors, stdin, stdout. */
START_TEST(test_child_sees_no_key)
{
	static const char key[] = "rel-8c6f7d3e-0000-4000-8000-5ec7e7c0ffee";
	struct runexec_result res;
	struct ldrt_err e = LDRT_ERR_INIT;
	char cmd[1024], path[256];
	const char *s;
	size_t len;
	int fd, out, err, saved1, saved2;

	/* the key in our memory and in an open descriptor */
	snprintf(path, sizeof(path), "%s/secret", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);	/* no O_CLOEXEC */
	ck_assert_int_ge(fd, 3);
	ck_assert_int_eq(write(fd, key, sizeof(key) - 1),
	    (ssize_t)sizeof(key) - 1);
	snprintf(cmd, sizeof(cmd), "cd %s && env > env && "
	    "cat /proc/$$/cmdline > argv && readlink /proc/$$/fd/* > fds; "
	    "cat > stdin && echo to-stdout", dir);
	snprintf(path, sizeof(path), "%s/out", dir);
	out = open(path, O_WRONLY | O_CREAT, 0600);
	snprintf(path, sizeof(path), "%s/err", dir);
	err = open(path, O_WRONLY | O_CREAT, 0600);
	saved1 = dup(1);
	saved2 = dup(2);
	dup2(out, 1);
	dup2(err, 2);
	ck_assert_int_eq(runexec(cmd, 5, &res, &e), 0);
	dup2(saved1, 1);
	dup2(saved2, 2);
	close(fd);
	ck_assert_ptr_null(strstr(slurp("env", NULL), key));
	ck_assert_ptr_null(strstr(slurp("env", NULL), "8c6f7d3e"));
	s = slurp("argv", &len);
	ck_assert_uint_eq(len, strlen("sh") + 1 + strlen("-c") + 1 +
	    strlen(cmd) + 1);
	ck_assert_str_eq(s, "sh");
	ck_assert_str_eq(s + 3, "-c");
	ck_assert_str_eq(s + 6, cmd);
	/* the descriptor holding the key was not inherited */
	ck_assert_ptr_nonnull(strstr(slurp("fds", NULL), "/dev/null"));
	ck_assert_ptr_null(strstr(slurp("fds", NULL), "/secret"));
	ck_assert_str_eq(slurp("stdin", NULL), "");
	ck_assert_str_eq(slurp("out", NULL), "");
	ck_assert_str_eq(slurp("err", NULL), "to-stdout\n");
}
END_TEST

static Suite *
runexec_suite(void)
{
	Suite *s = suite_create("runexec");
	TCase *tc;

	tc = tcase_create("status");
	tcase_add_test(tc, test_success);
	tcase_add_test(tc, test_failure);
	tcase_add_test(tc, test_tail_last_lines);
	suite_add_tcase(s, tc);
	tc = tcase_create("child");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_timeout_kills_group);
	tcase_add_test(tc, test_timeout_term_ignored);
	tcase_add_test(tc, test_child_sees_no_key);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(runexec_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
