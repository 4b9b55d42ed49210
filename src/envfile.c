/*
 * envfile.c: merge one variable into an env file, and atomic writes.
 *
 * Merge rules (envfile_merge(), pure):
 *   - A line sets VAR when it is, after optional blanks (space, tab) and an
 *     optional "export" plus blanks, VAR, optional blanks and '='.  Blanks
 *     before '=' are accepted because systemd, node and python-dotenv read
 *     "VAR = x" as setting VAR: leaving such a line would leave the old key
 *     in the file and maybe in effect.  "VAR2=" and "MYVAR=" do not match.
 *   - The first such line is replaced by the new line with the line ending
 *     the old one had (CRLF stays CRLF; a last line without newline stays
 *     without); later ones are dropped, since they would override it.
 *   - A line that sets VAR and continues on the next line (an opening
 *     quote without its closing one, or a trailing backslash) is refused:
 *     replacing only its first line would leave the rest as garbage.
 *   - No line sets VAR: the new line is appended.  If the file does not end
 *     with a newline, one is put in between and the file still does not
 *     end with one (the trailing-newline state is kept).  A file whose last
 *     line ends in CRLF gets CRLF.  An empty or absent file gets "LINE\n".
 *   - Every other byte is kept as it was.  A NUL byte is refused.
 *
 * atomic_write(): see envfile.h and the comments below.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envfile.h"
#include "log.h"
#include "secret.h"

#define ENVFILE_MAX	(1024 * 1024)	/* larger env files are refused */
#define ATOMIC_TMP_TRIES 10		/* temp names lost to a sweeper */
#define ATOMIC_TMP_MARK	"ldrt-"		/* temp names: .BASE.ldrt-XXXXXX */
#define ATOMIC_TMP_XLEN	6		/* mkostemp()'s XXXXXX */

int (*atomic_rename_fn)(const char *, const char *) = rename;
void (*atomic_created_fn)(const char *) = NULL;

/* A growable byte buffer that grows by allocate-copy-wipe. */
struct obuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};
#define OBUF_INIT { NULL, 0, 0 }

static void	 obuf_add(struct obuf *, const void *, size_t);
static void	 obuf_release(struct obuf *);
static size_t	 merge_sets_var(const char *, size_t, const char *);
static int	 merge_continues(const char *, size_t);
static int	 errno_ex(int);
static int	 write_all(int, const void *, size_t);
static int	 read_fd(int, size_t, struct obuf *, int *);
static int	 same_content(const char *, const void *, size_t);
static int	 split_path(const char *, char **, char **);
static int	 atomic_target(const char *, int, char **, struct stat *, int *,
		    struct ldrt_err *);
static int	 atomic_fill(int, const char *, const void *, size_t, mode_t,
		    const struct stat *, struct ldrt_err *);
static int	 atomic_inplace(const char *, const void *, size_t,
		    struct ldrt_err *);
static int	 fsync_dir(const char *, struct ldrt_err *);
static int	 atomic_mktemp(const char *, const char *, char **, int *,
		    struct ldrt_err *);
static int	 atomic_is_temp(const char *, const char *);
static void	 atomic_sweep(const char *, const char *);

static void
obuf_add(struct obuf *b, const void *s, size_t n)
{
	char *np;
	size_t ncap;

	if (b->len + n + 1 > b->cap) {
		ncap = b->cap == 0 ? 256 : b->cap;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		np = xmalloc(ncap);
		if (b->p != NULL) {
			memcpy(np, b->p, b->len);
			secret_wipe(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = ncap;
	}
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
obuf_release(struct obuf *b)
{
	if (b->p != NULL) {
		secret_wipe(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
}

/*
 * If the line s (n bytes, without its line ending) sets var, returns the
 * offset just past its '='; otherwise 0.
 */
static size_t
merge_sets_var(const char *s, size_t n, const char *var)
{
	size_t i = 0, vl = strlen(var);

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (n - i > 6 && memcmp(s + i, "export", 6) == 0 &&
	    (s[i + 6] == ' ' || s[i + 6] == '\t')) {
		i += 6;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
	}
	if (n - i < vl || memcmp(s + i, var, vl) != 0)
		return 0;
	i += vl;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i >= n || s[i] != '=')
		return 0;
	return i + 1;
}

/*
 * Whether the value v (n bytes, rest of the line) goes on to the next line.
 * A value starting with a quote is read as one shell word, so that shell
 * concatenations like 'a'\''b (how the shell format writes a ') are
 * followed to their end; the word ends at an unquoted blank.
 */
static int
merge_continues(const char *v, size_t n)
{
	size_t i = 0;
	char q;

	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (i < n && (v[i] == '\'' || v[i] == '"')) {
		while (i < n && v[i] != ' ' && v[i] != '\t') {
			if (v[i] == '\\') {
				if (i + 1 >= n)
					return 1;
				i += 2;
				continue;
			}
			if (v[i] != '\'' && v[i] != '"') {
				i++;
				continue;
			}
			q = v[i++];
			for (; i < n && v[i] != q; i++)
				if (q == '"' && v[i] == '\\')
					i++;
			if (i >= n)
				return 1;
			i++;
		}
		return 0;
	}
	while (n > i && (v[n - 1] == ' ' || v[n - 1] == '\t' ||
	    v[n - 1] == '\r'))
		n--;
	return n > i && v[n - 1] == '\\';
}

int
envfile_merge(const char *old, size_t oldlen, const char *var,
    const char *line, char **out, size_t *outlen, struct ldrt_err *e)
{
	struct obuf b = OBUF_INIT;
	const char *p, *end, *nl, *eol;
	size_t ll, n, val;
	int done = 0, crlf = 0, r = -1;

	*out = NULL;
	*outlen = 0;
	if (old == NULL) {	/* NULL + 0 below would be undefined */
		old = "";
		oldlen = 0;
	}
	if (oldlen > 0 && memchr(old, '\0', oldlen) != NULL)
		return err_set(e, EX_DATAERR, "it contains a NUL byte");
	ll = strlen(line);
	if (ll > 0 && line[ll - 1] == '\n')
		ll--;
	if (ll > 0 && line[ll - 1] == '\r')
		ll--;
	/* a line that does not set var would be appended on every run */
	if (*var == '\0' || strpbrk(var, " \t\r\n=") != NULL ||
	    merge_sets_var(line, ll, var) == 0)
		return err_set(e, EX_SOFTWARE, "merge: the new line does not "
		    "set %.64s", var);
	for (p = old, end = old + oldlen; p < end; p = eol) {
		nl = memchr(p, '\n', end - p);
		eol = nl == NULL ? end : nl + 1;
		n = nl == NULL ? (size_t)(end - p) : (size_t)(nl - p);
		if (nl != NULL) {	/* the last ending seen sets the style */
			crlf = n > 0 && p[n - 1] == '\r';
			if (crlf)
				n--;
		}
		if ((val = merge_sets_var(p, n, var)) == 0) {
			obuf_add(&b, p, eol - p);
			continue;
		}
		if (merge_continues(p + val, n - val)) {
			err_set(e, EX_DATAERR, "the line setting %s goes on to "
			    "the next line; change it by hand", var);
			goto out;
		}
		if (done)
			continue;	/* a later duplicate: dropped */
		obuf_add(&b, line, ll);
		obuf_add(&b, p + n, eol - (p + n));	/* its own ending */
		done = 1;
	}
	if (!done) {
		if (oldlen > 0 && old[oldlen - 1] != '\n')
			obuf_add(&b, crlf ? "\r\n" : "\n", crlf ? 2 : 1);
		obuf_add(&b, line, ll);
		if (oldlen == 0 || old[oldlen - 1] == '\n')
			obuf_add(&b, crlf ? "\r\n" : "\n", crlf ? 2 : 1);
	}
	if (b.p == NULL)
		obuf_add(&b, "", 0);
	*outlen = b.len;
	*out = b.p;
	b.p = NULL;
	r = 0;
out:
	obuf_release(&b);
	return r;
}

static int
errno_ex(int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
	case EROFS:
		return EX_NOPERM;
	case ENOENT:
	case ENOTDIR:
		return EX_NOINPUT;
	default:
		return EX_IOERR;
	}
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= w;
	}
	return 0;
}

/* Reads fd into b, at most max bytes; *toobig set when there is more. */
static int
read_fd(int fd, size_t max, struct obuf *b, int *toobig)
{
	char buf[8192];
	ssize_t n;

	*toobig = 0;
	for (;;) {
		if ((n = read(fd, buf, sizeof(buf))) < 0) {
			if (errno == EINTR)
				continue;
			secret_wipe(buf, sizeof(buf));
			return -1;
		}
		if (n == 0)
			break;
		if (b->len + n > max) {
			*toobig = 1;
			break;
		}
		obuf_add(b, buf, n);
	}
	secret_wipe(buf, sizeof(buf));
	if (b->p == NULL)
		obuf_add(b, "", 0);
	return 0;
}

/* 1 when the regular file at path holds exactly data; 0 otherwise. */
static int
same_content(const char *path, const void *data, size_t len)
{
	struct obuf b = OBUF_INIT;
	int fd, toobig, same = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) < 0)
		return 0;
	if (read_fd(fd, len, &b, &toobig) == 0 && !toobig && b.len == len &&
	    memcmp(b.p, data, len) == 0)
		same = 1;
	close(fd);
	obuf_release(&b);
	return same;
}

/* Splits path into a directory ("." if none) and a base name. */
static int
split_path(const char *path, char **dir, char **base)
{
	const char *slash = strrchr(path, '/');

	*dir = *base = NULL;
	if (slash == NULL) {
		*dir = xstrdup(".");
		*base = xstrdup(path);
	} else {
		*dir = slash == path ? xstrdup("/") :
		    xstrndup(path, slash - path);
		*base = xstrdup(slash + 1);
	}
	if (**base == '\0' || strcmp(*base, ".") == 0 ||
	    strcmp(*base, "..") == 0) {
		free(*dir);
		free(*base);
		*dir = *base = NULL;
		return -1;
	}
	return 0;
}

/*
 * Finds the file to write: path itself, or the file a symlink points to
 * with ATOMIC_FOLLOW_SYMLINKS.  *exists and *st describe it.
 */
static int
atomic_target(const char *path, int flags, char **target, struct stat *st,
    int *exists, struct ldrt_err *e)
{
	char *real;

	*target = NULL;
	*exists = 0;
	if (lstat(path, st) != 0) {
		if (errno != ENOENT)
			return err_set(e, errno_ex(errno), "'%.200s': %s",
			    path, strerror(errno));
		*target = xstrdup(path);
		return 0;
	}
	if (S_ISLNK(st->st_mode)) {
		if (!(flags & ATOMIC_FOLLOW_SYMLINKS))
			return err_set(e, EX_DATAERR, "'%.200s' is a symlink "
			    "(use --follow-symlinks)", path);
		if ((real = realpath(path, NULL)) == NULL)
			return err_set(e, errno_ex(errno), "cannot resolve "
			    "symlink '%.200s': %s", path, strerror(errno));
		if (stat(real, st) != 0) {
			err_set(e, errno_ex(errno), "'%.200s': %s", real,
			    strerror(errno));
			free(real);
			return -1;
		}
		*target = real;
	} else
		*target = xstrdup(path);
	if (!S_ISREG(st->st_mode)) {
		err_set(e, EX_DATAERR, "'%.200s' is not a regular file",
		    *target);
		free(*target);
		*target = NULL;
		return -1;
	}
	*exists = 1;
	return 0;
}

/* Writes data to the temp file fd and gives it its final owner (st's, when
 * the target exists) and mode new_mode. */
static int
atomic_fill(int fd, const char *tmp, const void *data, size_t len,
    mode_t new_mode, const struct stat *st, struct ldrt_err *e)
{
	struct stat tst;

	if (write_all(fd, data, len) != 0)
		return err_set(e, errno_ex(errno), "cannot write '%.200s': %s",
		    tmp, strerror(errno));
	if (st != NULL) {
		if (fstat(fd, &tst) != 0)
			return err_set(e, EX_IOERR, "cannot stat '%.200s': %s",
			    tmp, strerror(errno));
		/* fchown before fchmod: fchown may clear set-id bits */
		if ((st->st_uid != tst.st_uid || st->st_gid != tst.st_gid) &&
		    fchown(fd, st->st_uid, st->st_gid) != 0) {
			if (st->st_uid != geteuid())
				return err_set(e, EX_NOPERM, "cannot give the "
				    "new file the owner of the old one "
				    "(uid %ld): %s", (long)st->st_uid,
				    strerror(errno));
			log_warn("cannot keep group %ld of the file: %s",
			    (long)st->st_gid, strerror(errno));
		}
	}
	if (fchmod(fd, new_mode) != 0)
		return err_set(e, errno_ex(errno), "cannot set the mode of "
		    "'%.200s': %s", tmp, strerror(errno));
	if (fsync(fd) != 0)
		return err_set(e, EX_IOERR, "cannot sync '%.200s': %s", tmp,
		    strerror(errno));
	return 0;
}

/*
 * The bind-mount fallback: rename cannot replace a mount point, so the
 * file is rewritten in place under an exclusive flock.  A reader that does
 * not lock may see a partial file for a moment.
 */
static int
atomic_inplace(const char *path, const void *data, size_t len,
    struct ldrt_err *e)
{
	int fd, oerrno, r = -1;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return err_set(e, errno_ex(errno), "cannot open '%.200s': %s",
		    path, strerror(errno));
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			err_set(e, EX_IOERR, "cannot lock '%.200s': %s", path,
			    strerror(errno));
			goto out;
		}
	}
	if (lseek(fd, 0, SEEK_SET) != 0 || write_all(fd, data, len) != 0 ||
	    ftruncate(fd, (off_t)len) != 0 || fsync(fd) != 0) {
		oerrno = errno;
		err_set(e, errno_ex(oerrno), "cannot rewrite '%.200s' in "
		    "place: %s", path, strerror(oerrno));
		goto out;
	}
	r = 0;
out:
	if (close(fd) != 0 && r == 0)
		r = err_set(e, EX_IOERR, "cannot close '%.200s': %s", path,
		    strerror(errno));
	return r;
}

static int
fsync_dir(const char *dir, struct ldrt_err *e)
{
	int fd, r = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_set(e, errno_ex(errno), "cannot open directory "
		    "'%.200s': %s", dir, strerror(errno));
	/* some file systems cannot sync a directory (EINVAL): fine */
	if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
		r = err_set(e, EX_IOERR, "cannot sync directory '%.200s': %s",
		    dir, strerror(errno));
	close(fd);
	return r;
}

/*
 * The temp file protocol.  A writer holds flock(LOCK_EX) on its temp file
 * DIR/.BASE.ldrt-XXXXXX from before its first byte until the name is gone
 * (renamed or unlinked), and only then lets go.  A temp file nobody holds
 * a lock on was left by a writer that died, or was just created by one
 * that has not locked it yet.  atomic_sweep() unlinks such a file only
 * while it holds the lock and after checking that the name still is the
 * file it locked; the new writer, once it holds its lock, checks the same
 * and, if a sweeper took the file, starts again with a new name.  A name
 * that is not (or no longer) ours is never unlinked: mkostemp() may have
 * given it to another writer since.
 */

/*
 * Creates DIR/.BASE.ldrt-XXXXXX (O_EXCL, 0600), locks it and checks that the
 * name is still that file; *tmp and *fd set on success.  A file lost to a
 * sweeper is closed and another name tried.  When flock() fails otherwise
 * than with EWOULDBLOCK (no locks on this file system) the file is used
 * unlocked: a sweeper cannot lock it either, so it leaves it alone.
 */
static int
atomic_mktemp(const char *dir, const char *base, char **tmpp, int *fdp,
    struct ldrt_err *e)
{
	struct stat fst, pst;
	char *tmp;
	int fd, i, lk, oerrno;

	*tmpp = NULL;
	*fdp = -1;
	for (i = 0; i < ATOMIC_TMP_TRIES; i++) {
		tmp = xasprintf("%s/.%s." ATOMIC_TMP_MARK "XXXXXX", dir, base);
		if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {	/* O_EXCL, 0600 */
			oerrno = errno;
			free(tmp);
			return err_set(e, errno_ex(oerrno), "cannot create a "
			    "file in '%.200s': %s", dir, strerror(oerrno));
		}
		if (atomic_created_fn != NULL)
			atomic_created_fn(tmp);
		while ((lk = flock(fd, LOCK_EX | LOCK_NB)) != 0 &&
		    errno == EINTR)
			;
		/* EWOULDBLOCK: a sweeper holds it and is unlinking it */
		if ((lk == 0 || errno != EWOULDBLOCK) &&
		    fstat(fd, &fst) == 0 && lstat(tmp, &pst) == 0 &&
		    fst.st_dev == pst.st_dev && fst.st_ino == pst.st_ino) {
			*tmpp = tmp;
			*fdp = fd;
			return 0;
		}
		close(fd);
		free(tmp);
	}
	return err_set(e, EX_TEMPFAIL, "cannot create a file in '%.200s': "
	    "it was removed while being created", dir);
}

/*
 * Whether name is ".BASE.ldrt-" and mkostemp()'s 6 characters.  The mark
 * keeps the sweep off the user's own files: ".env.backup" has the shape
 * of ".env." and 6 letters.
 */
static int
atomic_is_temp(const char *name, const char *base)
{
	size_t bl = strlen(base), ml = strlen(ATOMIC_TMP_MARK), i;
	char c;

	if (name[0] != '.' || strncmp(name + 1, base, bl) != 0 ||
	    name[bl + 1] != '.' ||
	    strncmp(name + bl + 2, ATOMIC_TMP_MARK, ml) != 0 ||
	    strlen(name + bl + 2 + ml) != ATOMIC_TMP_XLEN)
		return 0;
	for (i = bl + 2 + ml; (c = name[i]) != '\0'; i++)
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9')))
			return 0;
	return 1;
}

/*
 * Unlinks the temp files of dir/base left by writers killed between
 * mkostemp() and rename() (see the protocol above): entries named as
 * atomic_is_temp() says that are, opened without following a symlink,
 * regular files of our euid with one link, not the target, and locked by
 * nobody.  No wiping: only the owner could read them.  Best effort, every
 * error is ignored.
 */
static void
atomic_sweep(const char *dir, const char *base)
{
	struct stat tst, st, pst;
	struct dirent *de;
	DIR *d;
	int dfd, fd;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	if (fstatat(dfd, base, &tst, AT_SYMLINK_NOFOLLOW) != 0 ||
	    (d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if ((de->d_type != DT_REG && de->d_type != DT_UNKNOWN) ||
		    !atomic_is_temp(de->d_name, base))
			continue;
		if ((fd = openat(dfd, de->d_name, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0)
			continue;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_uid == geteuid() && st.st_nlink == 1 &&
		    (st.st_dev != tst.st_dev || st.st_ino != tst.st_ino) &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0 &&
		    fstatat(dfd, de->d_name, &pst, AT_SYMLINK_NOFOLLOW) == 0 &&
		    pst.st_dev == st.st_dev && pst.st_ino == st.st_ino)
			unlinkat(dfd, de->d_name, 0);
		close(fd);	/* and unlock */
	}
	closedir(d);
}

int
atomic_write(const char *path, const void *data, size_t len,
    mode_t new_mode, int flags, enum atomic_result *res, struct ldrt_err *e)
{
	char *target = NULL, *dir = NULL, *base = NULL, *tmp = NULL;
	struct stat st, dst;
	int fd = -1, lfd = -1, exists, oerrno, r = -1;

	if (atomic_target(path, flags, &target, &st, &exists, e) != 0)
		goto out;
	if (split_path(target, &dir, &base) != 0) {
		err_set(e, EX_USAGE, "'%.200s' is not a file name", path);
		goto out;
	}
	/* an existing file keeps its mode unless the caller fixes it (-o) */
	if (exists && !(flags & ATOMIC_FORCE_MODE))
		new_mode = st.st_mode & 07777;
	if (exists && same_content(target, data, len) &&
	    (st.st_mode & 07777) == new_mode) {
		*res = ATOMIC_UNCHANGED;
		r = 0;
		goto out;
	}
	if (stat(dir, &dst) != 0 || !S_ISDIR(dst.st_mode)) {
		err_set(e, EX_NOINPUT, "directory '%.200s' does not exist",
		    dir);
		goto out;
	}
	if (atomic_mktemp(dir, base, &tmp, &lfd, e) != 0)
		goto out;
	/* lfd keeps the lock until tmp is gone; fd writes and is closed
	 * (a dup shares the lock) to see write errors before the rename */
	if ((fd = fcntl(lfd, F_DUPFD_CLOEXEC, 0)) < 0) {
		err_set(e, EX_OSERR, "cannot duplicate a descriptor: %s",
		    strerror(errno));
		goto out;
	}
	if (atomic_fill(fd, tmp, data, len, new_mode, exists ? &st : NULL,
	    e) != 0)
		goto out;
	oerrno = close(fd) != 0 ? errno : 0;
	fd = -1;
	if (oerrno != 0) {
		err_set(e, EX_IOERR, "cannot close '%.200s': %s", tmp,
		    strerror(oerrno));
		goto out;
	}
	if (atomic_rename_fn(tmp, target) != 0) {
		oerrno = errno;
		if (!exists || !(flags & ATOMIC_ALLOW_INPLACE) ||
		    (oerrno != EBUSY && oerrno != EXDEV)) {
			err_set(e, errno_ex(oerrno), "cannot rename '%.200s' "
			    "to '%.200s': %s", tmp, target, strerror(oerrno));
			goto out;
		}
		log_warn("'%s' cannot be replaced (%s; a bind mount?): "
		    "rewriting it in place", target, strerror(oerrno));
		if (atomic_inplace(target, data, len, e) != 0)
			goto out;
	} else {
		free(tmp);
		tmp = NULL;	/* renamed: nothing to clean up */
	}
	atomic_sweep(dir, base);	/* before the directory fsync */
	if (fsync_dir(dir, e) != 0)
		goto out;
	*res = ATOMIC_WRITTEN;
	r = 0;
out:
	oerrno = errno;
	if (fd >= 0)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);	/* ours: we hold its lock */
	if (lfd >= 0)
		close(lfd);	/* only now: the name is gone */
	errno = oerrno;
	free(tmp);
	free(target);
	free(dir);
	free(base);
	return r;
}

int
envfile_read(const char *path, int flags, char **data, size_t *len,
    int *exists, struct ldrt_err *e)
{
	struct obuf b = OBUF_INIT;
	struct stat st;
	int fd = -1, toobig, r = -1;

	*data = NULL;
	*len = 0;
	*exists = 0;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		return err_set(e, errno_ex(errno), "'%.200s': %s", path,
		    strerror(errno));
	}
	if (S_ISLNK(st.st_mode) && !(flags & ATOMIC_FOLLOW_SYMLINKS))
		return err_set(e, EX_DATAERR, "'%.200s' is a symlink (use "
		    "--follow-symlinks)", path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
	    ((flags & ATOMIC_FOLLOW_SYMLINKS) ? 0 : O_NOFOLLOW))) < 0)
		return err_set(e, errno_ex(errno), "cannot open '%.200s': %s",
		    path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		err_set(e, EX_DATAERR, "'%.200s' is not a regular file", path);
		goto out;
	}
	if (read_fd(fd, ENVFILE_MAX, &b, &toobig) != 0) {
		err_set(e, EX_IOERR, "cannot read '%.200s': %s", path,
		    strerror(errno));
		goto out;
	}
	if (toobig) {
		err_set(e, EX_DATAERR, "'%.200s' is larger than %d bytes",
		    path, ENVFILE_MAX);
		goto out;
	}
	*len = b.len;
	*data = b.p;
	b.p = NULL;
	*exists = 1;
	r = 0;
out:
	close(fd);
	obuf_release(&b);
	return r;
}

int
envfile_update(const char *path, const char *var, const char *line,
    int flags, enum atomic_result *res, struct ldrt_err *e)
{
	char *old = NULL, *out = NULL;
	size_t oldlen = 0, outlen = 0;
	int exists, r = -1;

	if (envfile_read(path, flags, &old, &oldlen, &exists, e) != 0) {
		err_prefix(e, "env file");
		goto out;
	}
	if (envfile_merge(old, oldlen, var, line, &out, &outlen, e) != 0) {
		err_prefix(e, "env file '%.200s'", path);
		goto out;
	}
	if (atomic_write(path, out, outlen, 0600,
	    flags | ATOMIC_ALLOW_INPLACE, res, e) != 0) {
		err_prefix(e, "env file");
		goto out;
	}
	r = 0;
out:
	if (old != NULL) {
		secret_wipe(old, oldlen);
		free(old);
	}
	if (out != NULL) {
		secret_wipe(out, outlen);
		free(out);
	}
	return r;
}
