/*
 * check_envfile.c: merging one variable into an env file (a table, byte
 * for byte) and atomic writes on a real file system: modes, owners,
 * unchanged files, symlinks, non-regular files, failures that must leave
 * the original intact and no temp file, the bind-mount fallback, and the
 * sweep of temp files killed writers left (flock protocol).
 */
#include "config.h"

#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envfile.h"
#include "secret.h"

struct merge_row {
	const char	*old;	/* NULL: absent file */
	const char	*line;
	const char	*want;	/* NULL: refused (EX_DATAERR) */
};

static const struct merge_row merge_rows[] = {
	{ NULL, "V=new\n", "V=new\n" },
	{ "", "V=new\n", "V=new\n" },
	{ "A=1\n", "V=new\n", "A=1\nV=new\n" },
	/* no trailing newline: one in between, still none at the end */
	{ "A=1", "V=new\n", "A=1\nV=new" },
	{ "V=old\n", "V=new\n", "V=new\n" },
	{ "V=old", "V=new\n", "V=new" },
	{ "V=old\n", "V=new", "V=new\n" },
	{ "# c\n\nV=old\n  # x\n\tB = 2 \n", "V=new\n",
	    "# c\n\nV=new\n  # x\n\tB = 2 \n" },
	/* duplicates: the first is replaced, later ones would override it */
	{ "V=1\nA=2\nV=3\nB=4\n", "V=new\n", "V=new\nA=2\nB=4\n" },
	{ "export V=old\n", "V=new\n", "V=new\n" },
	{ "  export\tV = old\nexport  V\t=x\n", "V=new\n", "V=new\n" },
	{ "A=1\r\nV=old\r\nB=2\r\n", "V=new\n", "A=1\r\nV=new\r\nB=2\r\n" },
	{ "A=1\r\n", "V=new\n", "A=1\r\nV=new\r\n" },
	{ "A=1\r\nB=2", "V=new\n", "A=1\r\nB=2\r\nV=new" },
	{ "A=1\nV=old\r\n", "V=new\r\n", "A=1\nV=new\r\n" },
	/* other variables, comments and prefixes are not touched */
	{ "V2=x\nMYV=y\nV_=z\nexport V2=w\n#V=old\n; V=c\nV\n", "V=new\n",
	    "V2=x\nMYV=y\nV_=z\nexport V2=w\n#V=old\n; V=c\nV\nV=new\n" },
	{ "exportV=x\n", "V=new\n", "exportV=x\nV=new\n" },
	{ "V=\n", "V=new\n", "V=new\n" },
	{ "V='a b' # c\n", "V=new\n", "V=new\n" },
	{ "V=\"a\\\"b\"\n", "V=new\n", "V=new\n" },
	{ "V=a\nB=\xc3\xa9\xff\n", "export V='x\ny'\n",
	    "export V='x\ny'\nB=\xc3\xa9\xff\n" },
	/* a value that goes on to the next line: refused */
	{ "V='a\nb'\n", "V=new\n", NULL },
	{ "V=\"a\\\"\nb\"\n", "V=new\n", NULL },
	{ "V=a\\\nb\n", "V=new\n", NULL },
};

START_TEST(test_merge_table)
{
	const struct merge_row *r = &merge_rows[_i];
	struct ldrt_err e = LDRT_ERR_INIT;
	char *out = (char *)1;
	size_t outlen = 1;
	int rc;

	rc = envfile_merge(r->old, r->old == NULL ? 0 : strlen(r->old), "V",
	    r->line, &out, &outlen, &e);
	if (r->want == NULL) {
		ck_assert_msg(rc == -1, "row %d: not refused", _i);
		ck_assert_int_eq(e.ex, EX_DATAERR);
		ck_assert_ptr_null(out);
		return;
	}
	ck_assert_msg(rc == 0, "row %d: %s", _i, e.msg);
	ck_assert_uint_eq(outlen, strlen(r->want));
	ck_assert_msg(memcmp(out, r->want, outlen) == 0, "row %d: got '%s'",
	    _i, out);
	secret_free(out);
}
END_TEST

START_TEST(test_merge_nul)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char *out;
	size_t outlen;

	ck_assert_int_eq(envfile_merge("A=1\0\nV=2\n", 9, "V", "V=3\n", &out,
	    &outlen, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	/* the new line must set the variable */
	ck_assert_int_eq(envfile_merge("", 0, "V", "W=1\n", &out, &outlen,
	    &e), -1);
	ck_assert_int_eq(envfile_merge("", 0, "V", "V2=1\n", &out, &outlen,
	    &e), -1);
	ck_assert_int_eq(envfile_merge("", 0, "", "=1\n", &out, &outlen,
	    &e), -1);
	ck_assert_int_eq(envfile_merge("", 0, "V", "export V=1\n", &out,
	    &outlen, &e), 0);
	secret_free(out);
}
END_TEST

/* Atomic writes, each test in a fresh directory. */
static char dir[64];

static char	*path_in(const char *);

static void
dir_setup(void)
{
	strcpy(dir, "/tmp/check_envfile.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	atomic_rename_fn = rename;
	atomic_created_fn = NULL;
}

static void
dir_teardown(void)
{
	char *cmd = NULL;

	umount2(path_in("env"), MNT_DETACH);
	if (asprintf(&cmd, "chmod -R u+w %s; rm -rf %s", dir, dir) > 0)
		ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	atomic_rename_fn = rename;
	atomic_created_fn = NULL;
}

static char *
path_in(const char *name)
{
	static char buf[4][256];
	static int n;

	n = (n + 1) % 4;
	snprintf(buf[n], sizeof(buf[n]), "%s/%s", dir, name);
	return buf[n];
}

static void
put(const char *path, const char *s, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void
assert_content(const char *path, const char *want)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, want);
}

/* Number of entries in dir (temp files left behind show up here). */
static int
count_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..")
		    != 0)
			n++;
	closedir(d);
	return n;
}

START_TEST(test_new_file_0600)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	enum atomic_result res = ATOMIC_UNCHANGED;
	struct stat st;
	mode_t old = umask(0);

	ck_assert_int_eq(atomic_write(path_in("out"), "x\n", 2, 0600, 0, &res,
	    &e), 0);
	umask(old);
	ck_assert_int_eq(res, ATOMIC_WRITTEN);
	ck_assert_int_eq(stat(path_in("out"), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	assert_content(path_in("out"), "x\n");
	ck_assert_int_eq(count_entries(), 1);
}
END_TEST

START_TEST(test_mode_owner_kept)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	enum atomic_result res;
	struct stat st0, st;
	const char *p = path_in("env");

	put(p, "A=1\n", 0640);
	if (geteuid() == 0)
		ck_assert_int_eq(chown(p, 1, 2), 0);
	ck_assert_int_eq(stat(p, &st0), 0);
	ck_assert_int_eq(envfile_update(p, "V", "V=k\n", 0, &res, &e), 0);
	ck_assert_int_eq(res, ATOMIC_WRITTEN);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(st.st_uid, st0.st_uid);
	ck_assert_int_eq(st.st_gid, st0.st_gid);
	ck_assert(st.st_ino != st0.st_ino);	/* replaced, not rewritten */
	assert_content(p, "A=1\nV=k\n");
	ck_assert_int_eq(count_entries(), 1);
}
END_TEST

START_TEST(test_unchanged_not_rewritten)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	enum atomic_result res;
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	struct stat st0, st;
	const char *p = path_in("env");

	put(p, "A=1\nV=k\n", 0644);
	ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
	ck_assert_int_eq(stat(p, &st0), 0);
	ck_assert_int_eq(envfile_update(p, "V", "V=k\n", 0, &res, &e), 0);
	ck_assert_int_eq(res, ATOMIC_UNCHANGED);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_ino, st0.st_ino);
	ck_assert_int_eq(st.st_mtime, 1000000000);
	/* and the change is written */
	ck_assert_int_eq(envfile_update(p, "V", "V=k2\n", 0, &res, &e), 0);
	ck_assert_int_eq(res, ATOMIC_WRITTEN);
	assert_content(p, "A=1\nV=k2\n");
}
END_TEST

START_TEST(test_absent_then_unchanged)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	enum atomic_result res;
	struct stat st;
	const char *p = path_in("env");

	ck_assert_int_eq(envfile_update(p, "V", "V=k\n", 0, &res, &e), 0);
	ck_assert_int_eq(res, ATOMIC_WRITTEN);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	assert_content(p, "V=k\n");
	ck_assert_int_eq(envfile_update(p, "V", "V=k\n", 0, &res, &e), 0);
	ck_assert_int_eq(res, ATOMIC_UNCHANGED);
}
END_TEST

START_TEST(test_symlink)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	enum atomic_result res;
	struct stat st;
	char *t = path_in("target"), *l = path_in("link");

	put(t, "V=old\n", 0640);
	ck_assert_int_eq(symlink("target", l), 0);
	ck_assert_int_eq(envfile_update(l, "V", "V=new\n", 0, &res, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_ptr_nonnull(strstr(e.msg, "symlink"));
	ck_assert_ptr_nonnull(strstr(e.msg, "--follow-symlinks"));
	ck_assert_int_eq(atomic_write(l, "x", 1, 0600, 0, &res, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	assert_content(t, "V=old\n");
	ck_assert_int_eq(envfile_update(l, "V", "V=new\n",
	    ATOMIC_FOLLOW_SYMLINKS, &res, &e), 0);
	ck_assert_int_eq(res, ATOMIC_WRITTEN);
	ck_assert_int_eq(lstat(l, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	assert_content(t, "V=new\n");
	ck_assert_int_eq(stat(t, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(count_entries(), 2);
	/* a dangling symlink is not followed into a new file */
	ck_assert_int_eq(unlink(t), 0);
	ck_assert_int_eq(atomic_write(l, "x", 1, 0600, ATOMIC_FOLLOW_SYMLINKS,
	    &res, &e), -1);
	ck_assert_int_eq(count_entries(), 1);
}
END_TEST

START_TEST(test_non_regular)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	enum atomic_result res;
	char *f = path_in("fifo"), *d = path_in("sub");

	ck_assert_int_eq(mkfifo(f, 0600), 0);
	ck_assert_int_eq(mkdir(d, 0700), 0);
	ck_assert_int_eq(envfile_update(f, "V", "V=k\n", 0, &res, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_int_eq(atomic_write(f, "x", 1, 0600, 0, &res, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_int_eq(atomic_write(d, "x", 1, 0600, 0, &res, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_int_eq(atomic_write("/dev/null", "x", 1, 0600, 0, &res,
	    &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_int_eq(count_entries(), 2);
}
END_TEST

START_TEST(test_missing_dir)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	enum atomic_result res;

	ck_assert_int_eq(atomic_write(path_in("nope/env"), "x", 1, 0600, 0,
	    &res, &e), -1);
	ck_assert_int_eq(e.ex, EX_NOINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "nope"));
	put(path_in("file"), "", 0600);
	ck_assert_int_eq(atomic_write(path_in("file/env"), "x", 1, 0600, 0,
	    &res, &e), -1);
	ck_assert_int_eq(count_entries(), 1);
}
END_TEST

/* Runs atomic_write(path) as uid/gid 65534 in a child; its exit status is
 * the EX_ class of the error (0 on success). */
static int
write_as_nobody(const char *path, const char *data)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	enum atomic_result res;
	pid_t pid;
	int st;

	if ((pid = fork()) == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(99);
		if (atomic_write(path, data, strlen(data), 0600, 0, &res,
		    &e) != 0)
			_exit(e.ex);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

START_TEST(test_readonly_dir)
{
	const char *p = path_in("env");

	if (geteuid() != 0) {
		/* not root: the directory itself is read-only for us */
		struct ldrt_err e = LDRT_ERR_INIT;
		enum atomic_result res;

		put(p, "V=old\n", 0666);
		ck_assert_int_eq(chmod(dir, 0555), 0);
		ck_assert_int_eq(atomic_write(p, "V=new\n", 6, 0600, 0, &res,
		    &e), -1);
		ck_assert_int_eq(e.ex, EX_NOPERM);
	} else {
		put(p, "V=old\n", 0666);
		ck_assert_int_eq(chmod(dir, 0755), 0);
		ck_assert_int_eq(write_as_nobody(p, "V=new\n"), EX_NOPERM);
	}
	assert_content(p, "V=old\n");
	ck_assert_int_eq(count_entries(), 1);
}
END_TEST

START_TEST(test_owner_not_keepable)
{
	const char *p = path_in("env");

	if (geteuid() != 0)
		return;		/* needs a file owned by someone else */
	put(p, "V=old\n", 0644);
	ck_assert_int_eq(chmod(dir, 0777), 0);
	ck_assert_int_eq(write_as_nobody(p, "V=new\n"), EX_NOPERM);
	assert_content(p, "V=old\n");
	ck_assert_int_eq(count_entries(), 1);
}
END_TEST

static int
rename_fails(const char *from, const char *to)
{
	errno = EIO;
	return -1;
}

static int
rename_busy(const char *from, const char *to)
{
	errno = EBUSY;
	return -1;
}

START_TEST(test_rename_fails)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	enum atomic_result res;
	const char *p = path_in("env");

	put(p, "V=old\n", 0600);
	atomic_rename_fn = rename_fails;
	ck_assert_int_eq(envfile_update(p, "V", "V=new\n", 0, &res, &e), -1);
	ck_assert_int_eq(e.ex, EX_IOERR);
	assert_content(p, "V=old\n");
	ck_assert_int_eq(count_entries(), 1);
	/* EBUSY without ATOMIC_ALLOW_INPLACE: an error too */
	atomic_rename_fn = rename_busy;
	ck_assert_int_eq(atomic_write(p, "V=new\n", 6, 0600, 0, &res, &e), -1);
	assert_content(p, "V=old\n");
	ck_assert_int_eq(count_entries(), 1);
}
END_TEST

/* A bind-mounted file (as docker -v and systemd BindPaths= make them)
 * cannot be renamed over: it is rewritten in place. */
START_TEST(test_bind_mount_inplace)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	enum atomic_result res;
	struct stat st0, st;
	const char *src = path_in("src"), *p = path_in("env");
	int mounted;

	put(src, "A=1\nV=old\n", 0640);
	put(p, "", 0600);
	mounted = mount(src, p, "none", MS_BIND, NULL) == 0;
	if (!mounted)
		atomic_rename_fn = rename_busy;	/* not root: simulate */
	else {
		/* the real thing: plain atomic_write refuses */
		ck_assert_int_eq(atomic_write(p, "x\n", 2, 0600, 0, &res, &e),
		    -1);
		ck_assert_ptr_nonnull(strstr(e.msg, "busy"));
	}
	ck_assert_int_eq(stat(p, &st0), 0);
	ck_assert_int_eq(envfile_update(p, "V", "V=new\n", 0, &res, &e), 0);
	ck_assert_int_eq(res, ATOMIC_WRITTEN);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_ino, st0.st_ino);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	assert_content(p, "A=1\nV=new\n");
	if (mounted) {
		assert_content(src, "A=1\nV=new\n");
		ck_assert_int_eq(umount(p), 0);
	}
	ck_assert_int_eq(count_entries(), 2);
}
END_TEST

static int
present(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Opens path and takes flock(LOCK_EX) on it, as a live writer does. */
static int
hold_lock(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	return fd;
}

/*
 * Leftovers of killed writers go with the next write; a temp file whose
 * writer is alive (locked), symlinks, other names, non-regular files and
 * files with another link stay.
 */
START_TEST(test_sweep_leftovers)
{
	static const char *const kept[] = {
		".env.ldrt-abc1234", ".env.ldrt-abc12", ".env.ldrt-ab-123",
		".other.ldrt-abc123", "env.ldrt-abc123", "..env.ldrt-abc123",
		".env.ldrt-abc123.tmp", ".env.ldrtxabc123",
		/* the user's own files of the same shape, without the mark */
		".env.backup", ".env.abc123",
	};
	struct ldrt_err e = LDRT_ERR_INIT;
	enum atomic_result res;
	char p[256], dead[256], live[256];
	size_t i;
	int lfd, fd;

	/* path_in() reuses its buffers */
	snprintf(p, sizeof(p), "%s", path_in("env"));
	snprintf(dead, sizeof(dead), "%s", path_in(".env.ldrt-abc123"));
	snprintf(live, sizeof(live), "%s", path_in(".env.ldrt-xyz789"));

	put(p, "A=1\nV=old\n", 0640);
	put(dead, "V=dead\n", 0600);
	put(live, "V=live\n", 0600);
	lfd = hold_lock(live);
	/* flock locks belong to the open file description: a second open
	 * in this process conflicts, as a sweeper's would */
	fd = open(live, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), -1);
	ck_assert(errno == EWOULDBLOCK);
	close(fd);
	put(path_in("victim"), "keep\n", 0600);
	ck_assert_int_eq(symlink("victim", path_in(".env.ldrt-sym123")), 0);
	ck_assert_int_eq(link(path_in("victim"), path_in(".env.ldrt-lnk123")), 0);
	ck_assert_int_eq(mkfifo(path_in(".env.ldrt-fif123"), 0600), 0);
	ck_assert_int_eq(mkdir(path_in(".env.ldrt-dir123"), 0700), 0);
	for (i = 0; i < LDRT_ARRAY_SIZE(kept); i++)
		put(path_in(kept[i]), "x\n", 0600);
	if (geteuid() == 0) {
		put(path_in(".env.ldrt-own123"), "x\n", 0600);
		ck_assert_int_eq(chown(path_in(".env.ldrt-own123"), 1, 1), 0);
	}

	ck_assert_int_eq(envfile_update(p, "V", "V=new\n", 0, &res, &e), 0);
	ck_assert_int_eq(res, ATOMIC_WRITTEN);
	assert_content(p, "A=1\nV=new\n");
	ck_assert(!present(dead));
	assert_content(live, "V=live\n");
	ck_assert(present(path_in(".env.ldrt-sym123")));
	assert_content(path_in("victim"), "keep\n");
	assert_content(path_in(".env.ldrt-lnk123"), "keep\n");
	ck_assert(present(path_in(".env.ldrt-fif123")));
	ck_assert(present(path_in(".env.ldrt-dir123")));
	for (i = 0; i < LDRT_ARRAY_SIZE(kept); i++)
		assert_content(path_in(kept[i]), "x\n");
	if (geteuid() == 0)
		ck_assert(present(path_in(".env.ldrt-own123")));
	/* env, live, victim, sym, lnk, fif, dir, kept[], own: no new temp */
	ck_assert_int_eq(count_entries(), 7 + (int)LDRT_ARRAY_SIZE(kept) +
	    (geteuid() == 0));

	/* the live writer dies: its file goes with the next write */
	close(lfd);
	ck_assert_int_eq(envfile_update(p, "V", "V=new2\n", 0, &res, &e), 0);
	ck_assert(!present(live));
	ck_assert_int_eq(count_entries(), 6 + (int)LDRT_ARRAY_SIZE(kept) +
	    (geteuid() == 0));
}
END_TEST

/* The window between mkostemp() and flock(), played by a hook. */
static int window_calls;
static int window_fds[2] = { -1, -1 };
static char window_names[2][256];

static void
window_sweeper(const char *tmp)
{
	switch (window_calls++) {
	case 0:
		/* a sweeper unlinked the new file, and another writer got
		 * the same name from mkostemp() and locked it */
		ck_assert_int_eq(unlink(tmp), 0);
		put(tmp, "other\n", 0600);
		snprintf(window_names[0], sizeof(window_names[0]), "%s", tmp);
		window_fds[0] = hold_lock(tmp);
		break;
	case 1:
		/* a sweeper holds the lock and is about to unlink it */
		snprintf(window_names[1], sizeof(window_names[1]), "%s", tmp);
		window_fds[1] = hold_lock(tmp);
		break;
	case 2:
		/* a sweeper unlinked it and got out of the way */
		ck_assert_int_eq(unlink(tmp), 0);
		break;
	default:
		break;
	}
}

/* The writer still holds its lock when it renames: no sweeper can take
 * the file between the verification and the rename. */
static int
rename_locked(const char *from, const char *to)
{
	int fd = open(from, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), -1);
	ck_assert(errno == EWOULDBLOCK);
	close(fd);
	window_calls += 100;
	return rename(from, to);
}

START_TEST(test_sweep_window)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	enum atomic_result res;
	const char *p = path_in("env");
	struct stat st;

	put(p, "V=old\n", 0600);
	window_calls = 0;
	atomic_created_fn = window_sweeper;
	atomic_rename_fn = rename_locked;
	ck_assert_int_eq(envfile_update(p, "V", "V=new\n", 0, &res, &e), 0);
	atomic_created_fn = NULL;
	atomic_rename_fn = rename;
	ck_assert_int_eq(res, ATOMIC_WRITTEN);
	ck_assert_int_eq(window_calls, 104);
	assert_content(p, "V=new\n");
	/* the lost names were not written to or unlinked by the writer */
	assert_content(window_names[0], "other\n");
	ck_assert_int_eq(stat(window_names[1], &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_int_eq(count_entries(), 3);
	close(window_fds[0]);
	close(window_fds[1]);
	ck_assert_int_eq(envfile_update(p, "V", "V=new2\n", 0, &res, &e), 0);
	ck_assert_int_eq(count_entries(), 1);
}
END_TEST

static void
always_swept(const char *tmp)
{
	ck_assert_int_eq(unlink(tmp), 0);
}

START_TEST(test_sweep_window_gives_up)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	enum atomic_result res;
	const char *p = path_in("env");

	put(p, "V=old\n", 0600);
	atomic_created_fn = always_swept;
	ck_assert_int_eq(envfile_update(p, "V", "V=new\n", 0, &res, &e), -1);
	atomic_created_fn = NULL;
	ck_assert_int_eq(e.ex, EX_TEMPFAIL);
	assert_content(p, "V=old\n");
	ck_assert_int_eq(count_entries(), 1);
}
END_TEST

START_TEST(test_read_limits)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char *data;
	size_t len;
	int exists = 1, fd;
	const char *p = path_in("big");

	ck_assert_int_eq(envfile_read(path_in("absent"), 0, &data, &len,
	    &exists, &e), 0);
	ck_assert_int_eq(exists, 0);
	ck_assert_ptr_null(data);
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_eq(ftruncate(fd, 2 * 1024 * 1024), 0);
	close(fd);
	ck_assert_int_eq(envfile_read(p, 0, &data, &len, &exists, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
}
END_TEST

static Suite *
envfile_suite(void)
{
	Suite *s = suite_create("envfile");
	TCase *tc;

	tc = tcase_create("merge");
	tcase_add_loop_test(tc, test_merge_table, 0,
	    LDRT_ARRAY_SIZE(merge_rows));
	tcase_add_test(tc, test_merge_nul);
	suite_add_tcase(s, tc);
	tc = tcase_create("atomic");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_new_file_0600);
	tcase_add_test(tc, test_mode_owner_kept);
	tcase_add_test(tc, test_unchanged_not_rewritten);
	tcase_add_test(tc, test_absent_then_unchanged);
	tcase_add_test(tc, test_symlink);
	tcase_add_test(tc, test_non_regular);
	tcase_add_test(tc, test_missing_dir);
	tcase_add_test(tc, test_readonly_dir);
	tcase_add_test(tc, test_owner_not_keepable);
	tcase_add_test(tc, test_rename_fails);
	tcase_add_test(tc, test_bind_mount_inplace);
	tcase_add_test(tc, test_read_limits);
	tcase_add_test(tc, test_sweep_leftovers);
	tcase_add_test(tc, test_sweep_window);
	tcase_add_test(tc, test_sweep_window_gives_up);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(envfile_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
