/*
 * check_state.c: unit tests for the state directory (src/state.c): dir
 * creation and refusal, per-relay locks across processes, records,
 * journal, outcome-unknown notes, repair decisions, recovery files and the
 * rotation log.  Each test runs in a fresh temporary state directory.
 * Processes are sequenced with pipes, never with sleeps.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ldrt.h"
#include "state.h"
#include "timeutil.h"

#define ID1	"64b7f3c2a1d4e5f6a7b8c9d0"
#define ID2	"51d440e30c9ff61457c710f6"

static char	 tmpdir[256];
static char	 stdir[PATH_MAX];	/* the state dir under test */

/* ---- helpers ----------------------------------------------------------- */

static int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(p);
}

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_state.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(stdir, sizeof(stdir), "%s/st", tmpdir);
	state_set_dir(stdir);
}

static void
teardown(void)
{
	state_set_dir(NULL);
	nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static char *
path_in(const char *rel)
{
	return xasprintf("%s/%s", stdir, rel);
}

static char *
slurp(const char *path)
{
	FILE	*f;
	char	*buf;
	size_t	 n;

	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
	buf = xcalloc(1, 1 << 20);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
spit(const char *path, const char *s)
{
	FILE *f;

	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
	fputs(s, f);
	fclose(f);
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	ck_assert_msg(lstat(path, &st) == 0, "lstat %s", path);
	return st.st_mode & 07777;
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Number of entries of dir whose name starts with '.' (temp files). */
static int
count_dot_files(const char *dir)
{
	DIR	*d;
	struct dirent *de;
	int	 n = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] == '.' && strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static mode_t
mode_in(const char *rel)
{
	char	*p = path_in(rel);
	mode_t	 m = mode_of(p);

	free(p);
	return m;
}

static int
dots_in(const char *rel)
{
	char	*p = path_in(rel);
	int	 n = count_dot_files(p);

	free(p);
	return n;
}

static void
write_journal(const char *id, const char *name, int64_t expiry_ms)
{
	struct state_journal j = STATE_JOURNAL_INIT;
	struct ldrt_err e = LDRT_ERR_INIT;

	j.id = (char *)id;
	j.name = (char *)name;
	j.grace_s = 3600;
	j.expiry_ms = expiry_ms;
	j.old_display_key = (char *)"ab12";
	ck_assert_msg(state_journal_begin(&j, &e) == 0, "%s", e.msg);
}

/* ---- directory --------------------------------------------------------- */

START_TEST(test_dir_created_0700)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char	*d = NULL, *deep;

	ck_assert(!exists(stdir));
	ck_assert_msg(state_dir(&d, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(d, stdir);
	ck_assert_uint_eq(mode_of(stdir), 0700);
	free(d);

	/* missing parents too, each 0700 */
	deep = xasprintf("%s/a/b/c", tmpdir);
	state_set_dir(deep);
	ck_assert_msg(state_dir(&d, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(d, deep);
	ck_assert_uint_eq(mode_of(deep), 0700);
	free(d);
	d = xasprintf("%s/a", tmpdir);
	ck_assert_uint_eq(mode_of(d), 0700);
	free(d);
	free(deep);
}
END_TEST

START_TEST(test_dir_default_xdg)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char	*d = NULL, *want, *x;

	state_set_dir(NULL);
	x = xasprintf("%s/xdg", tmpdir);
	setenv("XDG_STATE_HOME", x, 1);
	ck_assert_msg(state_dir(&d, &e) == 0, "%s", e.msg);
	want = xasprintf("%s/ld-relay-token", x);
	ck_assert_str_eq(d, want);
	free(d);
	free(want);

	/* a relative XDG_STATE_HOME is ignored (XDG spec) */
	setenv("XDG_STATE_HOME", "relative/dir", 1);
	setenv("HOME", tmpdir, 1);
	ck_assert_msg(state_dir(&d, &e) == 0, "%s", e.msg);
	want = xasprintf("%s/.local/state/ld-relay-token", tmpdir);
	ck_assert_str_eq(d, want);
	ck_assert_uint_eq(mode_of(want), 0700);
	free(d);
	free(want);
	free(x);

	state_set_dir("relative");
	ck_assert_int_eq(state_dir(&d, &e), -1);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_ptr_null(d);
}
END_TEST

static const struct {
	const char	*what;
	mode_t		 mode;
} bad_modes[] = {
	{ "world readable", 0755 },
	{ "group readable", 0750 },
	{ "other search", 0701 },
	{ "group writable", 0720 },
	{ "world writable sticky", 01777 },
};

START_TEST(test_dir_refused_mode)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char	*d = NULL;

	ck_assert_int_eq(mkdir(stdir, 0700), 0);
	ck_assert_int_eq(chmod(stdir, bad_modes[_i].mode), 0);
	ck_assert_msg(state_dir(&d, &e) == -1, "%s accepted",
	    bad_modes[_i].what);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(e.msg, stdir));
	ck_assert_ptr_null(d);
	/* and every operation refuses it, creating nothing */
	ck_assert_int_eq(state_journal_clear(ID1, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	d = path_in("journal");
	ck_assert(!exists(d));
	free(d);
}
END_TEST

START_TEST(test_dir_refused_symlink_file_owner)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char	*d = NULL, *real;

	/* a symlink to a perfectly good 0700 directory */
	real = xasprintf("%s/real", tmpdir);
	ck_assert_int_eq(mkdir(real, 0700), 0);
	ck_assert_int_eq(symlink(real, stdir), 0);
	ck_assert_int_eq(state_dir(&d, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(e.msg, "symlink"));
	ck_assert_ptr_nonnull(strstr(e.msg, stdir));
	ck_assert_ptr_null(d);
	struct state_lock *lk = NULL;
	ck_assert_int_eq(state_lock(ID1, 0, &lk, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	ck_assert_ptr_null(lk);
	ck_assert_int_eq(unlink(stdir), 0);

	/* a regular file */
	spit(stdir, "x");
	ck_assert_int_eq(state_dir(&d, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	ck_assert_int_eq(unlink(stdir), 0);

	/* owned by someone else (only root can arrange that) */
	if (geteuid() == 0) {
		ck_assert_int_eq(mkdir(stdir, 0700), 0);
		ck_assert_int_eq(chown(stdir, 4242, 4242), 0);
		ck_assert_int_eq(state_dir(&d, &e), -1);
		ck_assert_int_eq(e.ex, EX_NOPERM);
		ck_assert_ptr_nonnull(strstr(e.msg, "4242"));
	}
	free(real);
}
END_TEST

START_TEST(test_subdir_refused)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char	**ids = NULL, *j, *other;
	size_t	 n;

	ck_assert_msg(state_journal_list(&ids, &n, &e) == 0, "%s", e.msg);
	state_list_free(ids);
	j = path_in("journal");
	ck_assert_uint_eq(mode_of(j), 0700);
	ck_assert_int_eq(chmod(j, 0755), 0);
	ck_assert_int_eq(state_journal_list(&ids, &n, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	ck_assert_ptr_nonnull(strstr(e.msg, j));
	ck_assert_ptr_null(ids);

	/* journal/ replaced by a symlink to a 0700 directory */
	ck_assert_int_eq(rmdir(j), 0);
	other = xasprintf("%s/elsewhere", tmpdir);
	ck_assert_int_eq(mkdir(other, 0700), 0);
	ck_assert_int_eq(symlink(other, j), 0);
	ck_assert_int_eq(state_journal_clear(ID1, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	{
		struct state_journal jr = STATE_JOURNAL_INIT;

		jr.id = (char *)ID1;
		ck_assert_int_eq(state_journal_begin(&jr, &e), -1);
		ck_assert_int_eq(e.ex, EX_NOPERM);
	}
	/* nothing was written through the link */
	ck_assert_int_eq(count_dot_files(other), 0);
	ck_assert_int_eq(rmdir(other), 0);	/* still empty */
	free(other);
	free(j);
}
END_TEST

/* ---- ids --------------------------------------------------------------- */

static const struct {
	const char	*id;
	bool		 ok;
} ids_table[] = {
	{ ID1, true },
	{ "a", true },
	{ "A_b-9", true },
	{ "0123456789012345678901234567890123456789012345678901234567890123",
	  true },				/* 64 */
	{ "01234567890123456789012345678901234567890123456789012345678901234",
	  false },				/* 65 */
	{ "", false },
	{ NULL, false },
	{ ".", false },
	{ "..", false },
	{ "../../etc/passwd", false },
	{ "a/b", false },
	{ "a b", false },
	{ "a\nb", false },
	{ "a.json", false },
	{ "-\t", false },
	{ "\xc3\xa9t\xc3\xa9", false },
	{ "a'b", false },
	{ "$(id)", false },
};

START_TEST(test_id_validation)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_lock *lk = NULL;
	struct state_record rec;
	struct state_journal j = STATE_JOURNAL_INIT;
	struct state_rotation_event ev = { 0 };
	const char *id = ids_table[_i].id;
	char	*p = NULL;

	ck_assert_int_eq(state_id_valid(id), ids_table[_i].ok);
	if (ids_table[_i].ok)
		return;
	/* refused before the file system is touched */
	ck_assert_int_eq(state_lock(id, 0, &lk, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_ptr_null(strchr(e.msg, '\n'));
	ck_assert_ptr_null(lk);
	ck_assert_int_eq(state_record_load(id, &rec, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_int_eq(state_record_save(id, &rec, &e), -1);
	ck_assert_int_eq(state_record_delete(id, &e), -1);
	j.id = (char *)id;
	ck_assert_int_eq(state_journal_begin(&j, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_int_eq(state_journal_advance(id,
	    STATE_PHASE_KEY_STORED, &e), -1);
	ck_assert_int_eq(state_journal_clear(id, &e), -1);
	ck_assert_int_eq(state_note_unknown_reset(id, "n", 1, &e), -1);
	ck_assert_int_eq(state_write_recovery(id, "rel-x", &p, &e), -1);
	ck_assert_ptr_null(p);
	ev.relay_id = id;
	ck_assert_int_eq(state_log_rotation(&ev, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_msg(!exists(stdir), "state dir created for a bad id");
}
END_TEST

/* ---- locks ------------------------------------------------------------- */

/* 1 if an fd of this process open on path is close-on-exec, 0 if not,
 * -1 if none is open on it. */
static int
lock_fd_cloexec(const char *path)
{
	char	 link[64], target[PATH_MAX];
	ssize_t	 n;
	int	 fd;

	for (fd = 3; fd < 1024; fd++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		if ((n = readlink(link, target, sizeof(target) - 1)) <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, path) == 0)
			return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
	}
	return -1;
}

START_TEST(test_lock_same_process)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_lock *a = NULL, *b = NULL, *c = NULL;
	char	*want, *lp;

	ck_assert_msg(state_lock(ID1, 0, &a, &e) == 0, "%s", e.msg);
	lp = path_in("locks/" ID1 ".lock");
	ck_assert_str_eq(state_lock_path(a), lp);
	ck_assert_uint_eq(mode_of(lp), 0600);
	ck_assert_uint_eq(mode_in("locks"), 0700);
	ck_assert_int_eq(lock_fd_cloexec(lp), 1);
	/* flock conflicts between open file descriptions, even here */
	ck_assert_int_eq(state_lock(ID1, 0, &b, &e), -1);
	ck_assert_int_eq(e.ex, EX_TEMPFAIL);
	ck_assert_ptr_null(b);
	want = xasprintf("another rotation of '%s' is running (lock '%s' "
	    "held)", ID1, lp);
	ck_assert_str_eq(e.msg, want);
	/* other relays are independent */
	ck_assert_msg(state_lock(ID2, 0, &c, &e) == 0, "%s", e.msg);
	state_unlock(a);
	ck_assert_msg(state_lock(ID1, 0, &b, &e) == 0, "%s", e.msg);
	state_unlock(b);
	state_unlock(c);
	state_unlock(NULL);
	ck_assert(exists(lp));		/* the file stays */
	free(want);
	free(lp);
}
END_TEST

/* Child: take the lock, report 'L' (or 'F'), wait for a byte, exit. */
static pid_t
spawn_holder(const char *id, int *to_child, int *from_child)
{
	int	 up[2], down[2];
	pid_t	 pid;
	char	 c;

	ck_assert_int_eq(pipe(up), 0);
	ck_assert_int_eq(pipe(down), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		struct ldrt_err e = LDRT_ERR_INIT;
		struct state_lock *lk = NULL;

		close(up[0]);
		close(down[1]);
		c = state_lock(id, 0, &lk, &e) == 0 ? 'L' : 'F';
		if (write(up[1], &c, 1) != 1)
			_exit(2);
		if (read(down[0], &c, 1) < 0)
			_exit(3);
		state_unlock(lk);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	ck_assert_int_eq(read(up[0], &c, 1), 1);
	ck_assert_msg(c == 'L', "child could not take the lock");
	*to_child = down[1];
	*from_child = up[0];
	return pid;
}

START_TEST(test_lock_across_processes)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_lock *lk = NULL;
	int64_t	 t0, dt;
	int	 to, from, status;
	pid_t	 pid;

	pid = spawn_holder(ID1, &to, &from);

	/* wait 0: fails at once */
	t0 = time_mono_ms();
	ck_assert_int_eq(state_lock(ID1, 0, &lk, &e), -1);
	dt = time_mono_ms() - t0;
	ck_assert_int_eq(e.ex, EX_TEMPFAIL);
	ck_assert_ptr_nonnull(strstr(e.msg, "another rotation of '" ID1));
	ck_assert_msg(dt < 500, "a try without wait took %lld ms",
	    (long long)dt);

	/* wait 1 while the child keeps it: fails after about a second */
	t0 = time_mono_ms();
	ck_assert_int_eq(state_lock(ID1, 1, &lk, &e), -1);
	dt = time_mono_ms() - t0;
	ck_assert_int_eq(e.ex, EX_TEMPFAIL);
	ck_assert_msg(dt >= 950 && dt < 3000, "wait 1 took %lld ms",
	    (long long)dt);

	/* tell the child to release, then wait up to 1 s: succeeds */
	ck_assert_int_eq(write(to, "x", 1), 1);
	ck_assert_msg(state_lock(ID1, 1, &lk, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	state_unlock(lk);
	close(to);
	close(from);
}
END_TEST

START_TEST(test_lock_released_by_kill9)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_lock *lk = NULL;
	int	 to, from, status;
	pid_t	 pid;

	pid = spawn_holder(ID2, &to, &from);
	ck_assert_int_eq(state_lock(ID2, 0, &lk, &e), -1);
	ck_assert_int_eq(e.ex, EX_TEMPFAIL);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_msg(state_lock(ID2, 0, &lk, &e) == 0, "%s", e.msg);
	state_unlock(lk);
	close(to);
	close(from);
}
END_TEST

START_TEST(test_lock_refuses_bad_file)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_lock *lk = NULL;
	char	*lp, *target;

	ck_assert_msg(state_lock(ID1, 0, &lk, &e) == 0, "%s", e.msg);
	state_unlock(lk);
	lp = path_in("locks/" ID1 ".lock");
	ck_assert_int_eq(chmod(lp, 0644), 0);
	ck_assert_int_eq(state_lock(ID1, 0, &lk, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	ck_assert_ptr_null(lk);
	ck_assert_int_eq(unlink(lp), 0);
	target = xasprintf("%s/target", tmpdir);
	ck_assert_int_eq(symlink(target, lp), 0);
	ck_assert_int_eq(state_lock(ID1, 0, &lk, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	ck_assert_msg(!exists(target), "lock followed a symlink");
	free(target);
	free(lp);
}
END_TEST

/* ---- records ----------------------------------------------------------- */

START_TEST(test_record_round_trip)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_record r = STATE_RECORD_INIT, back;
	const char *name = "prod \"eu\"\n\\ \xc3\xbc </script>";
	char	*fp;
	int64_t	 t0;

	ck_assert_int_eq(state_record_load(ID1, &back, &e), STATE_ABSENT);
	ck_assert_ptr_null(back.name);
	ck_assert_ptr_null(back.display_key);
	ck_assert_int_eq(back.old_key_expires_at_ms, 0);
	ck_assert(!back.exec_failed);

	state_record_set(&r.name, name);
	state_record_set(&r.display_key, "1c2d");
	r.created_or_rotated_at_ms = 1702592000000LL;
	state_record_set(&r.old_display_key, "66eo");
	r.old_key_expires_at_ms = 1702595600000LL;
	r.exec_failed = true;
	r.exec_failed_at_ms = 1702592001234LL;
	r.rejected_at_ms = 9007199254740993LL;	/* > 2^53: stays exact */
	t0 = time_now_ms();
	ck_assert_msg(state_record_save(ID1, &r, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(state_record_load(ID1, &back, &e), 0);
	ck_assert_str_eq(back.name, name);
	ck_assert_str_eq(back.display_key, "1c2d");
	ck_assert_int_eq(back.created_or_rotated_at_ms, 1702592000000LL);
	ck_assert_str_eq(back.old_display_key, "66eo");
	ck_assert_int_eq(back.old_key_expires_at_ms, 1702595600000LL);
	ck_assert(back.exec_failed);
	ck_assert_int_eq(back.exec_failed_at_ms, 1702592001234LL);
	ck_assert_int_eq(back.rejected_at_ms, 9007199254740993LL);
	ck_assert_int_ge(back.updated_at_ms, t0);
	ck_assert_int_le(back.updated_at_ms, time_now_ms());
	fp = path_in("relays/" ID1 ".json");
	ck_assert_uint_eq(mode_of(fp), 0600);

	/* overwrite: cleared fields come back cleared */
	state_record_set(&r.old_display_key, NULL);
	r.exec_failed = false;
	ck_assert_msg(state_record_save(ID1, &r, &e) == 0, "%s", e.msg);
	state_record_release(&back);
	ck_assert_int_eq(state_record_load(ID1, &back, &e), 0);
	ck_assert_ptr_null(back.old_display_key);
	ck_assert(!back.exec_failed);
	state_record_release(&back);

	ck_assert_int_eq(state_record_delete(ID1, &e), 0);
	ck_assert(!exists(fp));
	ck_assert_int_eq(state_record_load(ID1, &back, &e), STATE_ABSENT);
	ck_assert_int_eq(state_record_delete(ID1, &e), 0);	/* absent ok */
	ck_assert_int_eq(dots_in("relays"), 0);
	state_record_release(&r);
	state_record_release(NULL);
	free(fp);
}
END_TEST

static const struct {
	const char	*content;
	int		 ex;
} bad_records[] = {
	{ "", EX_DATAERR },
	{ "{", EX_DATAERR },
	{ "[1,2]", EX_DATAERR },
	{ "\"str\"", EX_DATAERR },
	{ "{\"name\": 5}", EX_DATAERR },
	{ "{\"display_key\": [\"a\"]}", EX_DATAERR },
	{ "{\"old_key_expires_at_ms\": \"soon\"}", EX_DATAERR },
	{ "{\"old_key_expires_at_ms\": 1.5}", EX_DATAERR },
	{ "{\"exec_failed\": \"yes\"}", EX_DATAERR },
	{ "{\"name\": \"a\"} {\"name\": \"b\"}", EX_DATAERR },
	{ "{\"name\": \"a\"} trailing", EX_DATAERR },
	{ "{\"name\": \"a\\u0000b\"}", 0 },	/* tolerated, cut at NUL */
	{ "{\"name\": \"a\"}\n\n", 0 },
	{ "{\"unknown\": {\"x\": 1}}", 0 },
};

START_TEST(test_record_malformed)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_record back;
	char	*fp;
	int	 r;

	ck_assert_int_eq(state_record_delete(ID1, &e), 0);	/* mkdirs */
	fp = path_in("relays/" ID1 ".json");
	spit(fp, bad_records[_i].content);
	r = state_record_load(ID1, &back, &e);
	if (bad_records[_i].ex == 0) {
		ck_assert_msg(r == 0, "'%s': %s", bad_records[_i].content,
		    e.msg);
	} else {
		ck_assert_msg(r == -1, "'%s' accepted",
		    bad_records[_i].content);
		ck_assert_int_eq(e.ex, bad_records[_i].ex);
		ck_assert_ptr_nonnull(strstr(e.msg, ID1));
		ck_assert_ptr_null(back.name);
	}
	state_record_release(&back);
	free(fp);
}
END_TEST

START_TEST(test_record_symlink_and_huge)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_record back;
	char	*fp, *target, *big;

	ck_assert_int_eq(state_record_delete(ID1, &e), 0);
	fp = path_in("relays/" ID1 ".json");
	target = xasprintf("%s/target.json", tmpdir);
	spit(target, "{\"name\": \"x\"}");
	ck_assert_int_eq(symlink(target, fp), 0);
	ck_assert_int_eq(state_record_load(ID1, &back, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOPERM);
	state_record_release(&back);
	ck_assert_int_eq(unlink(fp), 0);

	big = xmalloc(200000);
	memset(big, ' ', 199999);
	big[0] = '{';
	big[199998] = '}';
	big[199999] = '\0';
	spit(fp, big);
	ck_assert_int_eq(state_record_load(ID1, &back, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_ptr_nonnull(strstr(e.msg, "larger"));
	state_record_release(&back);
	free(big);
	free(target);
	free(fp);
}
END_TEST

START_TEST(test_record_mark_rejected)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_record r = STATE_RECORD_INIT, back;
	int64_t	 t0 = time_now_ms();

	ck_assert_msg(state_record_mark_rejected(ID1, "prod", &e) == 0, "%s",
	    e.msg);
	ck_assert_int_eq(state_record_load(ID1, &back, &e), 0);
	ck_assert_str_eq(back.name, "prod");
	ck_assert_int_ge(back.rejected_at_ms, t0);
	ck_assert_ptr_null(back.display_key);
	state_record_release(&back);

	/* keeps the other fields of an existing record */
	state_record_set(&r.display_key, "1c2d");
	r.old_key_expires_at_ms = 77;
	ck_assert_int_eq(state_record_save(ID2, &r, &e), 0);
	ck_assert_int_eq(state_record_mark_rejected(ID2, NULL, &e), 0);
	ck_assert_int_eq(state_record_load(ID2, &back, &e), 0);
	ck_assert_str_eq(back.display_key, "1c2d");
	ck_assert_int_eq(back.old_key_expires_at_ms, 77);
	ck_assert_int_ge(back.rejected_at_ms, t0);
	ck_assert_ptr_null(back.name);
	state_record_release(&back);
	state_record_release(&r);
}
END_TEST

static const struct {
	bool		 exec_failed;
	int64_t		 expires;	/* relative to now; 0: unset */
	enum state_warning want;
} warn_table[] = {
	{ false, 0, STATE_WARN_NONE },
	{ false, -1000, STATE_WARN_NONE },	/* restarted fine */
	{ true, 0, STATE_WARN_NONE },		/* no expiry known */
	{ true, 86400000, STATE_WARN_NONE },	/* a day left, near = 1 h */
	{ true, 3600000, STATE_WARN_RESTART_DUE },
	{ true, 60000, STATE_WARN_RESTART_DUE },
	{ true, -1, STATE_WARN_RESTART_OVERDUE },
	{ true, -86400000, STATE_WARN_RESTART_OVERDUE },
};

START_TEST(test_record_warning)
{
	struct state_record r = STATE_RECORD_INIT;
	int64_t	 now = 1800000000000LL;

	r.exec_failed = warn_table[_i].exec_failed;
	r.old_key_expires_at_ms = warn_table[_i].expires != 0 ?
	    now + warn_table[_i].expires : 0;
	ck_assert_int_eq(state_record_warning(&r, now, 3600000),
	    warn_table[_i].want);
	ck_assert_int_eq(state_record_warning(NULL, now, 1), STATE_WARN_NONE);
}
END_TEST

START_TEST(test_changed_elsewhere)
{
	struct state_record r = STATE_RECORD_INIT;

	ck_assert(!state_changed_elsewhere(&r, false, "1c2d"));	/* unknown */
	r.display_key = (char *)"1c2d";
	ck_assert(!state_changed_elsewhere(&r, false, "1c2d"));
	ck_assert(state_changed_elsewhere(&r, false, "9z9z"));
	ck_assert(!state_changed_elsewhere(&r, true, "9z9z")); /* journal */
	ck_assert(!state_changed_elsewhere(&r, false, NULL));
	ck_assert(!state_changed_elsewhere(NULL, false, "9z9z"));
}
END_TEST

static const struct {
	const char	*key;
	const char	*want;
} display_table[] = {
	{ "rel-0b9e4d21-6c3a-4f7e-a1d2-5e8f9a0b1c2d", "1c2d" },
	{ "rel-8a3a773d-b75e-48eb-a850-492cda9266eo", "66eo" },
	{ "abcd", "abcd" },
	{ "abc", "abc" },
	{ "", "" },
	{ NULL, "" },
};

START_TEST(test_display_key)
{
	char	 buf[5], small[3];

	memset(buf, 'X', sizeof(buf));
	state_display_key(display_table[_i].key, buf, sizeof(buf));
	ck_assert_str_eq(buf, display_table[_i].want);
	state_display_key(display_table[_i].key, small, sizeof(small));
	ck_assert_uint_le(strlen(small), 2);
}
END_TEST

/* ---- journal ----------------------------------------------------------- */

START_TEST(test_journal_cycle)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_journal j = STATE_JOURNAL_INIT, back;
	static const enum state_phase phases[] = {
		STATE_PHASE_KEY_STORED, STATE_PHASE_OUTPUTS_WRITTEN,
		STATE_PHASE_EXEC_DONE,
	};
	struct json_object *o, *v;
	char	*fp, *raw, **ids = NULL;
	size_t	 i, n = 9;
	int64_t	 t0 = time_now_ms();

	ck_assert_int_eq(state_journal_load(ID1, &back, &e), STATE_ABSENT);
	ck_assert_ptr_null(back.id);
	ck_assert_int_eq(state_journal_list(&ids, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(ids[0]);
	state_list_free(ids);

	j.id = (char *)ID1;
	j.name = (char *)"prod";
	j.grace_s = 3600;
	j.expiry_ms = t0 + 3600000;
	j.old_display_key = (char *)"66eo";
	ck_assert_msg(state_journal_begin(&j, &e) == 0, "%s", e.msg);
	fp = path_in("journal/" ID1 ".json");
	ck_assert_uint_eq(mode_of(fp), 0600);
	ck_assert_int_eq(state_journal_load(ID1, &back, &e), 0);
	ck_assert_str_eq(back.id, ID1);
	ck_assert_str_eq(back.name, "prod");
	ck_assert_int_ge(back.started_at_ms, t0);
	ck_assert_int_eq(back.grace_s, 3600);
	ck_assert_int_eq(back.expiry_ms, t0 + 3600000);
	ck_assert_str_eq(back.old_display_key, "66eo");
	ck_assert_int_eq(back.phase, STATE_PHASE_RESET_REQUESTED);
	state_journal_release(&back);

	/* a second begin must not replace a leftover journal */
	j.name = (char *)"other";
	ck_assert_int_eq(state_journal_begin(&j, &e), -1);
	ck_assert_int_eq(e.ex, EX_SOFTWARE);
	ck_assert_ptr_nonnull(strstr(e.msg, ID1));
	ck_assert_int_eq(state_journal_load(ID1, &back, &e), 0);
	ck_assert_str_eq(back.name, "prod");
	state_journal_release(&back);

	for (i = 0; i < LDRT_ARRAY_SIZE(phases); i++) {
		ck_assert_msg(state_journal_advance(ID1, phases[i], &e) == 0,
		    "%s", e.msg);
		ck_assert_int_eq(state_journal_load(ID1, &back, &e), 0);
		ck_assert_int_eq(back.phase, phases[i]);
		ck_assert_int_eq(back.expiry_ms, t0 + 3600000);
		ck_assert_str_eq(back.old_display_key, "66eo");
		state_journal_release(&back);
		/* the file spells the phase as documented */
		raw = slurp(fp);
		o = json_tokener_parse(raw);
		ck_assert_ptr_nonnull(o);
		ck_assert(json_object_object_get_ex(o, "phase", &v));
		ck_assert_str_eq(json_object_get_string(v),
		    state_phase_name(phases[i]));
		json_object_put(o);
		free(raw);
	}

	write_journal(ID2, "staging", 0);
	ck_assert_int_eq(state_journal_list(&ids, &n, &e), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(ids[0], ID2);	/* sorted */
	ck_assert_str_eq(ids[1], ID1);
	ck_assert_ptr_null(ids[2]);
	state_list_free(ids);

	ck_assert_int_eq(state_journal_clear(ID1, &e), 0);
	ck_assert(!exists(fp));
	ck_assert_int_eq(state_journal_load(ID1, &back, &e), STATE_ABSENT);
	ck_assert_int_eq(state_journal_clear(ID1, &e), 0);	/* absent ok */
	ck_assert_int_eq(state_journal_advance(ID1, STATE_PHASE_EXEC_DONE,
	    &e), -1);
	ck_assert_int_eq(e.ex, EX_SOFTWARE);
	ck_assert_int_eq(state_journal_list(&ids, NULL, &e), 0);
	ck_assert_str_eq(ids[0], ID2);
	ck_assert_ptr_null(ids[1]);
	state_list_free(ids);

	/* begin works again once cleared */
	j.name = (char *)"prod";
	ck_assert_msg(state_journal_begin(&j, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(dots_in("journal"), 0);
	free(fp);
}
END_TEST

START_TEST(test_journal_list_ignores_junk)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char	**ids = NULL, *p;
	size_t	 n;
	static const char *junk[] = {
		"journal/." ID2 ".json.123.0.456.tmp", "journal/notes.txt",
		"journal/bad id.json", "journal/.json", "journal/x.json.bak",
	};
	size_t	 i;

	write_journal(ID1, "prod", 0);
	for (i = 0; i < LDRT_ARRAY_SIZE(junk); i++) {
		p = path_in(junk[i]);
		spit(p, "{");
		free(p);
	}
	ck_assert_int_eq(state_journal_list(&ids, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(ids[0], ID1);
	state_list_free(ids);
}
END_TEST

START_TEST(test_journal_malformed)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_journal back;
	char	*fp;

	write_journal(ID1, "prod", 0);
	fp = path_in("journal/" ID1 ".json");
	spit(fp, "{\"phase\": \"teleported\"}");
	ck_assert_int_eq(state_journal_load(ID1, &back, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_ptr_null(back.id);
	spit(fp, "{\"name\": \"x\"}");		/* no phase */
	ck_assert_int_eq(state_journal_load(ID1, &back, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	spit(fp, "{\"phase\": \"exec-done\", \"grace_s\"");
	ck_assert_int_eq(state_journal_load(ID1, &back, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_ptr_nonnull(strstr(e.msg, "offset"));
	free(fp);
}
END_TEST

static const struct {
	enum state_phase p;
	const char	*name;
} phase_table[] = {
	{ STATE_PHASE_RESET_REQUESTED, "reset-requested" },
	{ STATE_PHASE_KEY_STORED, "reset-done-key-stored" },
	{ STATE_PHASE_OUTPUTS_WRITTEN, "outputs-written" },
	{ STATE_PHASE_EXEC_DONE, "exec-done" },
	{ STATE_PHASE_OUTCOME_UNKNOWN, "reset-outcome-unknown" },
};

START_TEST(test_phase_names)
{
	enum state_phase p = STATE_PHASE_EXEC_DONE;

	ck_assert_str_eq(state_phase_name(phase_table[_i].p),
	    phase_table[_i].name);
	ck_assert_int_eq(state_phase_parse(phase_table[_i].name, &p), 0);
	ck_assert_int_eq(p, phase_table[_i].p);
	ck_assert_int_eq(state_phase_parse("Reset-Requested", &p), -1);
	ck_assert_int_eq(state_phase_parse("", &p), -1);
	ck_assert_int_eq(state_phase_parse(NULL, &p), -1);
	ck_assert_ptr_null(state_phase_name((enum state_phase)99));
}
END_TEST

START_TEST(test_note_unknown_reset)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_journal back;
	char	**ids = NULL;
	size_t	 n;

	/* no journal: the note is created */
	ck_assert_msg(state_note_unknown_reset(ID2, "staging", 1234, &e) == 0,
	    "%s", e.msg);
	ck_assert_int_eq(state_journal_load(ID2, &back, &e), 0);
	ck_assert_int_eq(back.phase, STATE_PHASE_OUTCOME_UNKNOWN);
	ck_assert_str_eq(back.name, "staging");
	ck_assert_int_eq(back.expiry_ms, 1234);
	ck_assert_int_gt(back.started_at_ms, 0);
	state_journal_release(&back);

	/* over a journal: keeps what it knew, changes phase and expiry */
	write_journal(ID1, "prod", 1000);
	ck_assert_int_eq(state_note_unknown_reset(ID1, "ignored", 5000, &e),
	    0);
	ck_assert_int_eq(state_journal_load(ID1, &back, &e), 0);
	ck_assert_int_eq(back.phase, STATE_PHASE_OUTCOME_UNKNOWN);
	ck_assert_str_eq(back.name, "prod");
	ck_assert_str_eq(back.old_display_key, "ab12");
	ck_assert_int_eq(back.grace_s, 3600);
	ck_assert_int_eq(back.expiry_ms, 5000);
	state_journal_release(&back);

	/* both are leftovers the next run finds */
	ck_assert_int_eq(state_journal_list(&ids, &n, &e), 0);
	ck_assert_uint_eq(n, 2);
	state_list_free(ids);
}
END_TEST

static const struct {
	const char	*stored;
	const char	*api;
	int64_t		 expiry;	/* relative to now; 0: none */
	enum state_repair want;
} repair_table[] = {
	{ "1c2d", "1c2d", 0, STATE_REPAIR_CLEAR },	  /* reset never done */
	{ "1c2d", "1c2d", -5000, STATE_REPAIR_CLEAR },
	{ "1c2d", "9z9z", 60000, STATE_REPAIR_RESET },	  /* still in grace */
	{ "1c2d", "9z9z", 1, STATE_REPAIR_RESET },
	{ "1c2d", "9z9z", 0, STATE_REPAIR_KEY_LOST },	  /* no grace */
	{ "1c2d", "9z9z", -1, STATE_REPAIR_KEY_LOST },	  /* grace over */
	{ NULL, "9z9z", 60000, STATE_REPAIR_RESET },	  /* nothing stored */
	{ "", "", 60000, STATE_REPAIR_RESET },		  /* empty = unknown */
	{ "1c2d", NULL, -1, STATE_REPAIR_KEY_LOST },
};

START_TEST(test_repair_decide)
{
	struct state_journal j = STATE_JOURNAL_INIT;
	int64_t	 now = 1800000000000LL;

	j.expiry_ms = repair_table[_i].expiry != 0 ?
	    now + repair_table[_i].expiry : 0;
	ck_assert_int_eq(state_repair_decide(&j, repair_table[_i].stored,
	    repair_table[_i].api, now), repair_table[_i].want);
}
END_TEST

/* kill -9 at any instant: the journal is the old or the new one */
START_TEST(test_journal_survives_kill9)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_journal back;
	struct state_lock *lk = NULL;
	int	 round, p[2], status;
	char	 c;
	pid_t	 pid;

	write_journal(ID1, "prod", 1);
	for (round = 0; round < 20; round++) {
		ck_assert_int_eq(pipe(p), 0);
		pid = fork();
		ck_assert_int_ne(pid, -1);
		if (pid == 0) {
			static const enum state_phase ph[] = {
				STATE_PHASE_KEY_STORED,
				STATE_PHASE_OUTPUTS_WRITTEN,
				STATE_PHASE_EXEC_DONE,
			};
			unsigned i;

			close(p[0]);
			for (i = 0; ; i++) {
				if (state_journal_advance(ID1, ph[i % 3], &e)
				    != 0)
					_exit(1);
				if (i == (unsigned)round)
					(void)!write(p[1], "g", 1);
			}
		}
		close(p[1]);
		ck_assert_int_eq(read(p[0], &c, 1), 1);
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFSIGNALED(status), "writer failed");
		close(p[0]);
		ck_assert_msg(state_journal_load(ID1, &back, &e) == 0,
		    "round %d: %s", round, e.msg);
		ck_assert_str_eq(back.name, "prod");
		ck_assert_int_eq(back.expiry_ms, 1);
		ck_assert(back.phase == STATE_PHASE_KEY_STORED ||
		    back.phase == STATE_PHASE_OUTPUTS_WRITTEN ||
		    back.phase == STATE_PHASE_EXEC_DONE);
		state_journal_release(&back);
	}
	/* the next run's lock tidies the killed writers' temp files */
	ck_assert_int_eq(state_lock(ID1, 0, &lk, &e), 0);
	ck_assert_int_eq(dots_in("journal"), 0);
	state_unlock(lk);
}
END_TEST

/* ---- recovery file ----------------------------------------------------- */

START_TEST(test_recovery_file)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	const char *key = "rel-0b9e4d21-6c3a-4f7e-a1d2-5e8f9a0b1c2d";
	char	*p1 = NULL, *p2 = NULL, *raw, *prefix;

	ck_assert_msg(state_write_recovery(ID1, key, &p1, &e) == 0, "%s",
	    e.msg);
	prefix = path_in("recovery/" ID1 "-");
	ck_assert_msg(strncmp(p1, prefix, strlen(prefix)) == 0, "%s", p1);
	ck_assert_str_eq(p1 + strlen(p1) - 4, ".key");
	ck_assert_ptr_null(strstr(p1, "0b9e"));	/* path, not key */
	ck_assert_uint_eq(mode_of(p1), 0600);
	ck_assert_uint_eq(mode_in("recovery"), 0700);
	raw = slurp(p1);
	ck_assert_str_eq(raw, "rel-0b9e4d21-6c3a-4f7e-a1d2-5e8f9a0b1c2d\n");
	free(raw);

	/* a second one in the same millisecond gets its own file */
	ck_assert_msg(state_write_recovery(ID1, key, &p2, &e) == 0, "%s",
	    e.msg);
	ck_assert_str_ne(p1, p2);
	ck_assert(exists(p1) && exists(p2));
	free(p2);

	ck_assert_int_eq(state_write_recovery(ID1, "", &p2, &e), -1);
	ck_assert_ptr_null(p2);
	ck_assert_ptr_null(strstr(e.msg, "rel-"));
	free(prefix);
	free(p1);
}
END_TEST

/* ---- rotation log ------------------------------------------------------ */

static struct json_object *
field(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(o, k, &v), "no field '%s'", k);
	return v;
}

START_TEST(test_rotation_log)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_rotation_event ev[3] = {
		{ 1702592000000LL, ID1, "prod", "66eo", "1c2d",
		  1702595600000LL, STATE_OUTCOME_OK, NULL },
		{ 0, ID2, "st\"ag\ning \\ \xc3\xbc", NULL, "9z9z", 0,
		  STATE_OUTCOME_EXEC_FAILED, "exec 'systemctl restart' exit 1" },
		/* a key passed by mistake as a display key is cut */
		{ 0, ID1, NULL, "rel-SECRETMARKER-aaaa", "rel-SECRETMARKER-bbbb",
		  5, STATE_OUTCOME_REPAIRED, "again" },
	};
	static const char *outcomes[] = { "ok", "exec-failed", "repaired" };
	struct json_object *o;
	char	*lp, *raw, *line, *save = NULL;
	int	 i;
	int64_t	 t0 = time_now_ms();

	for (i = 0; i < 3; i++)
		ck_assert_msg(state_log_rotation(&ev[i], &e) == 0, "%s", e.msg);
	lp = path_in("rotations.jsonl");
	ck_assert_uint_eq(mode_of(lp), 0600);
	raw = slurp(lp);
	ck_assert_ptr_null(strstr(raw, "SECRETMARKER"));
	ck_assert_ptr_null(strstr(raw, "rel-"));
	ck_assert_int_eq(raw[strlen(raw) - 1], '\n');
	for (i = 0, line = strtok_r(raw, "\n", &save); line != NULL;
	    i++, line = strtok_r(NULL, "\n", &save)) {
		ck_assert_int_lt(i, 3);
		o = json_tokener_parse(line);
		ck_assert_msg(o != NULL && json_object_is_type(o,
		    json_type_object), "line %d not JSON: %s", i, line);
		ck_assert_str_eq(json_object_get_string(field(o, "relay_id")),
		    ev[i].relay_id);
		ck_assert_str_eq(json_object_get_string(field(o, "outcome")),
		    outcomes[i]);
		ck_assert(json_object_is_type(field(o, "time"),
		    json_type_string));
		ck_assert_uint_eq(strlen(json_object_get_string(
		    field(o, "time"))), 20);	/* 2023-12-14T22:13:20Z */
		ck_assert(json_object_is_type(field(o, "time_ms"),
		    json_type_int));
		(void)field(o, "relay_name");
		(void)field(o, "old_display_key");
		(void)field(o, "new_display_key");
		(void)field(o, "old_key_expires_at");
		(void)field(o, "old_key_expires_at_ms");
		(void)field(o, "message");
		ck_assert_int_eq(json_object_object_length(o), 10);
		if (i == 0) {
			ck_assert_str_eq(json_object_get_string(
			    field(o, "time")), "2023-12-14T22:13:20Z");
			ck_assert_int_eq(json_object_get_int64(
			    field(o, "time_ms")), 1702592000000LL);
			ck_assert_str_eq(json_object_get_string(
			    field(o, "relay_name")), "prod");
			ck_assert_str_eq(json_object_get_string(
			    field(o, "old_display_key")), "66eo");
			ck_assert_str_eq(json_object_get_string(
			    field(o, "new_display_key")), "1c2d");
			ck_assert_str_eq(json_object_get_string(
			    field(o, "old_key_expires_at")),
			    "2023-12-14T23:13:20Z");
			ck_assert_int_eq(json_object_get_int64(
			    field(o, "old_key_expires_at_ms")),
			    1702595600000LL);
			ck_assert(json_object_is_type(field(o, "message"),
			    json_type_null));
		} else if (i == 1) {
			ck_assert_int_ge(json_object_get_int64(
			    field(o, "time_ms")), t0);
			ck_assert_str_eq(json_object_get_string(
			    field(o, "relay_name")), ev[1].relay_name);
			ck_assert(json_object_is_type(field(o,
			    "old_display_key"), json_type_null));
			ck_assert(json_object_is_type(field(o,
			    "old_key_expires_at_ms"), json_type_null));
			ck_assert_str_eq(json_object_get_string(
			    field(o, "message")), ev[1].message);
		} else {
			ck_assert_str_eq(json_object_get_string(
			    field(o, "old_display_key")), "aaaa");
			ck_assert_str_eq(json_object_get_string(
			    field(o, "new_display_key")), "bbbb");
		}
		json_object_put(o);
	}
	ck_assert_int_eq(i, 3);
	free(raw);

	ev[0].outcome = (enum state_outcome)42;
	ck_assert_int_eq(state_log_rotation(&ev[0], &e), -1);
	ck_assert_int_eq(e.ex, EX_SOFTWARE);
	free(lp);
}
END_TEST

START_TEST(test_outcome_names)
{
	ck_assert_str_eq(state_outcome_name(STATE_OUTCOME_OK), "ok");
	ck_assert_str_eq(state_outcome_name(STATE_OUTCOME_EXEC_FAILED),
	    "exec-failed");
	ck_assert_str_eq(state_outcome_name(STATE_OUTCOME_STORE_FAILED),
	    "store-failed");
	ck_assert_str_eq(state_outcome_name(STATE_OUTCOME_UNKNOWN),
	    "outcome-unknown");
	ck_assert_str_eq(state_outcome_name(STATE_OUTCOME_REPAIRED),
	    "repaired");
	ck_assert_str_eq(state_outcome_name(STATE_OUTCOME_KEY_LOST),
	    "key-lost");
	ck_assert_ptr_null(state_outcome_name((enum state_outcome)-1));
}
END_TEST

START_TEST(test_record_rotated)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_record back;
	struct state_rotation_event ev = { 1800000000000LL, ID1, "prod",
	    "66eo", "1c2d", 1800003600000LL, STATE_OUTCOME_OK, NULL };

	ck_assert_int_eq(state_record_mark_rejected(ID1, "old name", &e), 0);
	ck_assert_msg(state_record_rotated(&ev, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(state_record_load(ID1, &back, &e), 0);
	ck_assert_str_eq(back.name, "prod");
	ck_assert_str_eq(back.display_key, "1c2d");
	ck_assert_str_eq(back.old_display_key, "66eo");
	ck_assert_int_eq(back.created_or_rotated_at_ms, 1800000000000LL);
	ck_assert_int_eq(back.old_key_expires_at_ms, 1800003600000LL);
	ck_assert(!back.exec_failed);
	ck_assert_int_eq(back.rejected_at_ms, 0);
	state_record_release(&back);

	/* exec failed: status/list warn as the expiry nears */
	ev.outcome = STATE_OUTCOME_EXEC_FAILED;
	ev.old_display_key = "1c2d";
	ev.new_display_key = "9z9z";
	ck_assert_int_eq(state_record_rotated(&ev, &e), 0);
	ck_assert_int_eq(state_record_load(ID1, &back, &e), 0);
	ck_assert(back.exec_failed);
	ck_assert_int_eq(back.exec_failed_at_ms, 1800000000000LL);
	ck_assert_int_eq(state_record_warning(&back, 1800003000000LL,
	    3600000), STATE_WARN_RESTART_DUE);
	ck_assert_int_eq(state_record_warning(&back, 1800003600001LL,
	    3600000), STATE_WARN_RESTART_OVERDUE);
	state_record_release(&back);

	/* outcomes that stored no new key leave the record alone */
	ev.outcome = STATE_OUTCOME_STORE_FAILED;
	ev.new_display_key = "zzzz";
	ck_assert_int_eq(state_record_rotated(&ev, &e), -1);
	ck_assert_int_eq(e.ex, EX_SOFTWARE);
	ev.outcome = STATE_OUTCOME_UNKNOWN;
	ck_assert_int_eq(state_record_rotated(&ev, &e), -1);
	ck_assert_int_eq(state_record_load(ID1, &back, &e), 0);
	ck_assert_str_eq(back.display_key, "9z9z");
	state_record_release(&back);
}
END_TEST

START_TEST(test_lock_sweeps_dead_temps)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_lock *lk = NULL;
	char	*dead, *mine, *other, *rdead, name[200];

	ck_assert_int_eq(state_journal_clear(ID1, &e), 0);	/* mkdirs */
	ck_assert_int_eq(state_record_delete(ID1, &e), 0);
	/* pid 999999999 is above any pid_max: no such process */
	dead = path_in("journal/." ID1 ".json.999999999.0.1.tmp");
	rdead = path_in("relays/." ID1 ".json.999999999.3.1.tmp");
	snprintf(name, sizeof(name), "journal/." ID1 ".json.%ld.0.1.tmp",
	    (long)getpid());
	mine = path_in(name);
	other = path_in("journal/." ID2 ".json.999999999.0.1.tmp");
	spit(dead, "{");
	spit(rdead, "{");
	spit(mine, "{");
	spit(other, "{");
	ck_assert_msg(state_lock(ID1, 0, &lk, &e) == 0, "%s", e.msg);
	ck_assert(!exists(dead));
	ck_assert(!exists(rdead));
	ck_assert(exists(mine));	/* a live writer's */
	ck_assert(exists(other));	/* another relay's: its own lock */
	state_unlock(lk);
	free(dead);
	free(rdead);
	free(mine);
	free(other);
}
END_TEST

/* ---- permissions and temp files over everything ------------------------ */

static int	bad_perm_count;

static int
perm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)f;
	if (flag == FTW_SL || (st->st_mode & 077) != 0 ||
	    ((flag == FTW_D || flag == FTW_DP) && (st->st_mode & 0700) !=
	    0700)) {
		fprintf(stderr, "bad mode %04o: %s\n",
		    (unsigned)(st->st_mode & 07777), p);
		bad_perm_count++;
	}
	if (strstr(p, ".tmp") != NULL) {
		fprintf(stderr, "temp file left: %s\n", p);
		bad_perm_count++;
	}
	return 0;
}

START_TEST(test_modes_under_umask0)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_record r = STATE_RECORD_INIT;
	struct state_rotation_event ev = { 0, ID1, "prod", "a", "b", 0,
	    STATE_OUTCOME_OK, NULL };
	struct state_lock *lk = NULL;
	char	*p = NULL;
	int	 i;

	umask(0);	/* modes must not depend on the caller's umask */
	ck_assert_int_eq(state_lock(ID1, 0, &lk, &e), 0);
	write_journal(ID1, "prod", 0);
	for (i = 0; i < 10; i++) {
		r.created_or_rotated_at_ms = i;
		ck_assert_int_eq(state_record_save(ID1, &r, &e), 0);
		ck_assert_int_eq(state_journal_advance(ID1,
		    (enum state_phase)(i % 4), &e), 0);
	}
	ck_assert_int_eq(state_record_mark_rejected(ID2, "x", &e), 0);
	ck_assert_int_eq(state_note_unknown_reset(ID2, "x", 1, &e), 0);
	ck_assert_int_eq(state_write_recovery(ID1, "rel-k", &p, &e), 0);
	ck_assert_int_eq(state_log_rotation(&ev, &e), 0);
	state_unlock(lk);
	bad_perm_count = 0;
	ck_assert_int_eq(nftw(stdir, perm_cb, 16, FTW_PHYS), 0);
	ck_assert_int_eq(bad_perm_count, 0);
	ck_assert_int_eq(dots_in("relays"), 0);
	ck_assert_int_eq(dots_in("journal"), 0);
	free(p);
}
END_TEST

/* ---- suite ------------------------------------------------------------- */

static Suite *
state_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("state");

	tc = tcase_create("dir");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dir_created_0700);
	tcase_add_test(tc, test_dir_default_xdg);
	tcase_add_loop_test(tc, test_dir_refused_mode, 0,
	    LDRT_ARRAY_SIZE(bad_modes));
	tcase_add_test(tc, test_dir_refused_symlink_file_owner);
	tcase_add_test(tc, test_subdir_refused);
	tcase_add_loop_test(tc, test_id_validation, 0,
	    LDRT_ARRAY_SIZE(ids_table));
	tcase_add_test(tc, test_modes_under_umask0);
	suite_add_tcase(s, tc);

	tc = tcase_create("lock");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_lock_same_process);
	tcase_add_test(tc, test_lock_across_processes);
	tcase_add_test(tc, test_lock_released_by_kill9);
	tcase_add_test(tc, test_lock_refuses_bad_file);
	tcase_add_test(tc, test_lock_sweeps_dead_temps);
	suite_add_tcase(s, tc);

	tc = tcase_create("record");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_record_round_trip);
	tcase_add_loop_test(tc, test_record_malformed, 0,
	    LDRT_ARRAY_SIZE(bad_records));
	tcase_add_test(tc, test_record_symlink_and_huge);
	tcase_add_test(tc, test_record_mark_rejected);
	tcase_add_test(tc, test_record_rotated);
	tcase_add_loop_test(tc, test_record_warning, 0,
	    LDRT_ARRAY_SIZE(warn_table));
	tcase_add_test(tc, test_changed_elsewhere);
	tcase_add_loop_test(tc, test_display_key, 0,
	    LDRT_ARRAY_SIZE(display_table));
	suite_add_tcase(s, tc);

	tc = tcase_create("journal");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_journal_cycle);
	tcase_add_test(tc, test_journal_list_ignores_junk);
	tcase_add_test(tc, test_journal_malformed);
	tcase_add_loop_test(tc, test_phase_names, 0,
	    LDRT_ARRAY_SIZE(phase_table));
	tcase_add_test(tc, test_note_unknown_reset);
	tcase_add_loop_test(tc, test_repair_decide, 0,
	    LDRT_ARRAY_SIZE(repair_table));
	tcase_add_test(tc, test_journal_survives_kill9);
	suite_add_tcase(s, tc);

	tc = tcase_create("recovery+log");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_recovery_file);
	tcase_add_test(tc, test_rotation_log);
	tcase_add_test(tc, test_outcome_names);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(state_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
