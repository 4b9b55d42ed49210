/*
 * state.c: the state directory that makes rotation crash-safe: per-relay
 * locks, the rotation journal, per-relay records (old key's expiry, exec
 * failure, rejection), recovery files and the rotation log.
 *
 * Every file operation goes through a directory fd opened with O_NOFOLLOW
 * and checked with fstat (owner, mode) and the *at() calls, so a directory
 * swapped for a symlink after the check is not followed.  Records and
 * journals are replaced atomically: a temp file created O_CREAT|O_EXCL
 * 0600 in the same directory, written, fsynced, renamed (or linked, when
 * an existing file must not be replaced), and the directory fsynced.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ldrt.h"
#include "ldrt_config.h"
#include "state.h"
#include "timeutil.h"

#define STATE_FILE_MAX		(64 * 1024)	/* ceiling for a state file */
#define STATE_LOCK_POLL_MS	100
#define STATE_DISPLAY_MAX	8		/* longer is cut to 4 chars */
#define STATE_EXISTS		2		/* noreplace write: file exists */

struct state_lock {
	int	 fd;
	char	*path;
};

static char	*state_dir_override;
static unsigned	 state_tmp_counter;

static const char *state_shown_id(const char *, char *, size_t);
static int	 state_check_id(const char *, struct ldrt_err *);
static int	 state_mkdir_p(const char *, struct ldrt_err *);
static int	 state_check_fd_dir(int, const char *, struct ldrt_err *);
static int	 state_open_dir_failed(int, const char *, const char *,
		    struct ldrt_err *);
static int	 state_open_top(char **, int *, struct ldrt_err *);
static int	 state_open_dir(const char *, int *, char **,
		    struct ldrt_err *);
static int	 state_check_fd_file(int, const char *, int,
		    struct ldrt_err *);
static int	 state_write_all(int, const void *, size_t);
static int	 state_write_atomic(int, const char *, const char *,
		    const char *, size_t, int, struct ldrt_err *);
static int	 state_read_json(const char *, const char *,
		    struct json_object **, struct ldrt_err *);
static int	 state_write_json(const char *, const char *,
		    struct json_object *, int, struct ldrt_err *);
static int	 state_unlink(const char *, const char *, struct ldrt_err *);
static int	 state_json_str(struct json_object *, const char *, char **,
		    const char *, struct ldrt_err *);
static int	 state_json_i64(struct json_object *, const char *, int64_t *,
		    const char *, struct ldrt_err *);
static int	 state_json_bool(struct json_object *, const char *, bool *,
		    const char *, struct ldrt_err *);
static void	 state_json_add_str(struct json_object *, const char *,
		    const char *);
static void	 state_json_add_i64(struct json_object *, const char *,
		    int64_t);
static const char *state_safe_display(const char *, char *, size_t);
static void	 state_sweep_temps(const char *, const char *);
static int	 state_journal_write(const struct state_journal *, int,
		    struct ldrt_err *);
static int	 state_cmp_str(const void *, const void *);
static int	 state_list_dir(const char *, char ***, size_t *,
		    struct ldrt_err *);

/* ---- the directory ----------------------------------------------------- */

void
state_set_dir(const char *dir)
{
	free(state_dir_override);
	state_dir_override = dir != NULL ? xstrdup(dir) : NULL;
}

static int
state_mkdir_p(const char *dir, struct ldrt_err *e)
{
	char	*p, *s;
	int	 r = -1;

	p = xstrdup(dir);
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (s[-1] != '/') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0700) == -1 && errno != EEXIST) {
				err_set(e, errno == EACCES ? EX_NOPERM :
				    EX_CANTCREAT, "cannot create state "
				    "directory '%s': %s", p, strerror(errno));
				goto out;
			}
			*s = c;
		}
		if (*s == '\0')
			break;
	}
	r = 0;
out:
	free(p);
	return r;
}

/* The checks of a state (sub)directory, on its open fd. */
static int
state_check_fd_dir(int fd, const char *path, struct ldrt_err *e)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return err_set(e, EX_IOERR, "state directory '%s': %s", path,
		    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(e, EX_NOPERM,
		    "state directory '%s' is not a directory", path);
	if (st.st_uid != geteuid())
		return err_set(e, EX_NOPERM, "state directory '%s' is owned "
		    "by uid %u, not by uid %u", path, (unsigned)st.st_uid,
		    (unsigned)geteuid());
	if ((st.st_mode & 077) != 0)
		return err_set(e, EX_NOPERM, "state directory '%s' is "
		    "accessible by group or others (mode %04o); run "
		    "'chmod 700' on it", path, (unsigned)(st.st_mode & 07777));
	return 0;
}

/* Explains why opening directory name (relative to at) failed. */
static int
state_open_dir_failed(int at, const char *name, const char *path,
    struct ldrt_err *e)
{
	struct stat st;
	int	 oerrno = errno;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode))
			return err_set(e, EX_NOPERM, "state directory '%s' "
			    "is a symlink", path);
		if (!S_ISDIR(st.st_mode))
			return err_set(e, EX_NOPERM, "state directory '%s' "
			    "is not a directory", path);
	}
	return err_set(e, oerrno == EACCES ? EX_NOPERM : EX_IOERR,
	    "state directory '%s': %s", path, strerror(oerrno));
}

/*
 * Opens the state directory itself, creating it (and missing parents)
 * 0700, and checks it on the open fd.  *top and *fd set on success.
 */
static int
state_open_top(char **top, int *fd, struct ldrt_err *e)
{
	char	*dir;
	int	 d;

	*top = NULL;
	*fd = -1;
	dir = state_dir_override != NULL ? xstrdup(state_dir_override) :
	    paths_state_dir();
	if (dir == NULL)
		return err_set(e, EX_CONFIG, "cannot find the state directory: "
		    "no absolute XDG_STATE_HOME and no home directory");
	if (dir[0] != '/') {
		err_set(e, EX_CONFIG, "state directory '%s' is not an "
		    "absolute path", dir);
		goto fail;
	}
	if (state_mkdir_p(dir, e) != 0)
		goto fail;
	if ((d = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		state_open_dir_failed(AT_FDCWD, dir, dir, e);
		goto fail;
	}
	if (state_check_fd_dir(d, dir, e) != 0) {
		close(d);
		goto fail;
	}
	*top = dir;
	*fd = d;
	return 0;
fail:
	free(dir);
	return -1;
}

int
state_dir(char **out, struct ldrt_err *e)
{
	int fd;

	if (state_open_top(out, &fd, e) != 0)
		return -1;
	close(fd);
	return 0;
}

/*
 * Opens the state directory (sub NULL) or its subdirectory sub, creating
 * it 0700, and checks it.  *dfd and *path (NULL ok) are set on success.
 */
static int
state_open_dir(const char *sub, int *dfd, char **path, struct ldrt_err *e)
{
	char	*top = NULL, *p = NULL;
	int	 fd = -1, sfd = -1, r = -1;

	*dfd = -1;
	if (path != NULL)
		*path = NULL;
	if (state_open_top(&top, &fd, e) != 0)
		goto out;
	if (sub == NULL) {
		p = top;
		top = NULL;
		sfd = fd;
		fd = -1;
	} else {
		p = xasprintf("%s/%s", top, sub);
		if (mkdirat(fd, sub, 0700) == -1 && errno != EEXIST) {
			err_set(e, EX_CANTCREAT, "cannot create state "
			    "directory '%s': %s", p, strerror(errno));
			goto out;
		}
		if ((sfd = openat(fd, sub, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1) {
			state_open_dir_failed(fd, sub, p, e);
			goto out;
		}
		if (state_check_fd_dir(sfd, p, e) != 0)
			goto out;
	}
	*dfd = sfd;
	sfd = -1;
	if (path != NULL) {
		*path = p;
		p = NULL;
	}
	r = 0;
out:
	if (sfd != -1)
		close(sfd);
	if (fd != -1)
		close(fd);
	free(p);
	free(top);
	return r;
}

bool
state_id_valid(const char *id)
{
	size_t i;

	if (id == NULL || id[0] == '\0')
		return false;
	for (i = 0; id[i] != '\0'; i++) {
		if (i >= STATE_ID_MAX)
			return false;
		if (!((id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= '0' && id[i] <= '9') ||
		    id[i] == '_' || id[i] == '-'))
			return false;
	}
	return true;
}

/* A hostile id shown in a message: printable ASCII only, shortened. */
static const char *
state_shown_id(const char *id, char *buf, size_t len)
{
	size_t i;

	if (id == NULL)
		return "(null)";
	for (i = 0; id[i] != '\0' && i + 4 < len && i < 32; i++)
		buf[i] = (id[i] > ' ' && id[i] < 0x7f && id[i] != '\'') ?
		    id[i] : '?';
	if (id[i] != '\0' && i + 4 <= len) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static int
state_check_id(const char *id, struct ldrt_err *e)
{
	char buf[40];

	if (state_id_valid(id))
		return 0;
	return err_set(e, EX_DATAERR, "invalid relay config id '%s' "
	    "(expected 1 to %d of A-Z a-z 0-9 _ -)",
	    state_shown_id(id, buf, sizeof(buf)), STATE_ID_MAX);
}

/* ---- files ------------------------------------------------------------- */

static int
state_check_fd_file(int fd, const char *path, int strict, struct ldrt_err *e)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return err_set(e, EX_IOERR, "state file '%s': %s", path,
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(e, EX_NOPERM, "state file '%s' is not a "
		    "regular file", path);
	if (st.st_uid != geteuid())
		return err_set(e, EX_NOPERM, "state file '%s' is owned by "
		    "uid %u, not by uid %u", path, (unsigned)st.st_uid,
		    (unsigned)geteuid());
	if (strict && (st.st_mode & 077) != 0)
		return err_set(e, EX_NOPERM, "state file '%s' is accessible "
		    "by group or others (mode %04o)", path,
		    (unsigned)(st.st_mode & 07777));
	return 0;
}

static int
state_write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	ssize_t	    w;

	while (n > 0) {
		if ((w = write(fd, s, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Replaces (or, with noreplace, creates) name in the directory dfd (path
 * dpath, for messages) with data, atomically.  With noreplace an existing
 * file is left alone and STATE_EXISTS returned (e unset).
 */
static int
state_write_atomic(int dfd, const char *dpath, const char *name,
    const char *data, size_t len, int noreplace, struct ldrt_err *e)
{
	char	 tmp[256];
	int	 fd = -1, r = -1, oerrno, i, made = 0;

	for (i = 0; i < 100; i++) {
		snprintf(tmp, sizeof(tmp), ".%s.%ld.%u.%lld.tmp", name,
		    (long)getpid(), state_tmp_counter++,
		    (long long)(time_mono_ms() % 1000000));
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	if (fd == -1) {
		err_set(e, EX_CANTCREAT, "cannot create a temporary file in "
		    "'%s': %s", dpath, strerror(errno));
		goto out;
	}
	made = 1;
	if (state_write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		err_set(e, EX_IOERR, "cannot write '%s/%s': %s", dpath, tmp,
		    strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		err_set(e, EX_IOERR, "cannot write '%s/%s': %s", dpath, tmp,
		    strerror(errno));
		goto out;
	}
	fd = -1;
	if (noreplace) {
		/* link() fails on an existing target where rename() would
		 * silently replace it. */
		if (linkat(dfd, tmp, dfd, name, 0) == -1) {
			if (errno == EEXIST)
				r = STATE_EXISTS;
			else
				err_set(e, EX_IOERR, "cannot create '%s/%s': "
				    "%s", dpath, name, strerror(errno));
			goto out;
		}
		unlinkat(dfd, tmp, 0);
	} else if (renameat(dfd, tmp, dfd, name) == -1) {
		err_set(e, EX_IOERR, "cannot rename '%s/%s' to '%s': %s",
		    dpath, tmp, name, strerror(errno));
		goto out;
	}
	made = 0;
	if (fsync(dfd) == -1) {
		err_set(e, EX_IOERR, "cannot sync directory '%s': %s", dpath,
		    strerror(errno));
		goto out;
	}
	r = 0;
out:
	oerrno = errno;
	if (fd != -1)
		close(fd);
	if (made)
		unlinkat(dfd, tmp, 0);
	errno = oerrno;
	return r;
}

/*
 * Reads and parses sub/name.  STATE_ABSENT if it does not exist; *out (an
 * object) owned by the caller on success.
 */
static int
state_read_json(const char *sub, const char *name, struct json_object **out,
    struct ldrt_err *e)
{
	struct json_tokener *tok = NULL;
	struct json_object *o = NULL;
	char	*dpath = NULL, *fpath = NULL, *buf = NULL;
	size_t	 len = 0, end;
	ssize_t	 n;
	int	 dfd = -1, fd = -1, r = -1;

	*out = NULL;
	if (state_open_dir(sub, &dfd, &dpath, e) != 0)
		goto out;
	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1) {
		if (errno == ENOENT) {
			r = STATE_ABSENT;
			goto out;
		}
		err_set(e, errno == ELOOP ? EX_NOPERM : EX_IOERR,
		    "cannot open '%s/%s': %s", dpath, name, errno == ELOOP ?
		    "is a symlink" : strerror(errno));
		goto out;
	}
	fpath = xasprintf("%s/%s", dpath, name);
	if (state_check_fd_file(fd, fpath, 0, e) != 0)
		goto out;
	buf = xmalloc(STATE_FILE_MAX + 1);
	for (;;) {
		n = read(fd, buf + len, STATE_FILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			err_set(e, EX_IOERR, "cannot read '%s/%s': %s", dpath,
			    name, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > STATE_FILE_MAX) {
			err_set(e, EX_DATAERR, "state file '%s/%s' is larger "
			    "than %d bytes", dpath, name, STATE_FILE_MAX);
			goto out;
		}
	}
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, buf, (int)len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		err_set(e, EX_DATAERR, "state file '%s/%s': malformed JSON at "
		    "offset %zu: %s", dpath, name,
		    json_tokener_get_parse_end(tok), json_tokener_error_desc(
		    json_tokener_get_error(tok)));
		goto out;
	}
	for (end = json_tokener_get_parse_end(tok); end < len; end++) {
		if (buf[end] != ' ' && buf[end] != '\n' && buf[end] != '\t' &&
		    buf[end] != '\r') {
			err_set(e, EX_DATAERR, "state file '%s/%s': trailing "
			    "data at offset %zu", dpath, name, end);
			goto out;
		}
	}
	if (!json_object_is_type(o, json_type_object)) {
		err_set(e, EX_DATAERR, "state file '%s/%s': not a JSON object",
		    dpath, name);
		goto out;
	}
	*out = o;
	o = NULL;
	r = 0;
out:
	if (tok != NULL)
		json_tokener_free(tok);
	json_object_put(o);
	if (fd != -1)
		close(fd);
	if (dfd != -1)
		close(dfd);
	free(buf);
	free(fpath);
	free(dpath);
	return r;
}

static int
state_write_json(const char *sub, const char *name, struct json_object *o,
    int noreplace, struct ldrt_err *e)
{
	const char *s;
	char	*dpath = NULL, *line = NULL;
	int	 dfd = -1, r = -1;

	if (state_open_dir(sub, &dfd, &dpath, e) != 0)
		goto out;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	line = xasprintf("%s\n", s);
	r = state_write_atomic(dfd, dpath, name, line, strlen(line),
	    noreplace, e);
out:
	if (dfd != -1)
		close(dfd);
	free(line);
	free(dpath);
	return r;
}

static int
state_unlink(const char *sub, const char *name, struct ldrt_err *e)
{
	char	*dpath = NULL;
	int	 dfd = -1, r = -1;

	if (state_open_dir(sub, &dfd, &dpath, e) != 0)
		goto out;
	if (unlinkat(dfd, name, 0) == -1) {
		if (errno == ENOENT) {
			r = 0;
			goto out;
		}
		err_set(e, EX_IOERR, "cannot remove '%s/%s': %s", dpath, name,
		    strerror(errno));
		goto out;
	}
	if (fsync(dfd) == -1) {
		err_set(e, EX_IOERR, "cannot sync directory '%s': %s", dpath,
		    strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (dfd != -1)
		close(dfd);
	free(dpath);
	return r;
}

/* ---- json fields ------------------------------------------------------- */

static int
state_json_str(struct json_object *o, const char *key, char **out,
    const char *what, struct ldrt_err *e)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return err_set(e, EX_DATAERR, "%s: field '%s' is not a string",
		    what, key);
	free(*out);
	*out = xstrdup(json_object_get_string(v));
	return 0;
}

static int
state_json_i64(struct json_object *o, const char *key, int64_t *out,
    const char *what, struct ldrt_err *e)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return err_set(e, EX_DATAERR, "%s: field '%s' is not an "
		    "integer", what, key);
	*out = json_object_get_int64(v);
	return 0;
}

static int
state_json_bool(struct json_object *o, const char *key, bool *out,
    const char *what, struct ldrt_err *e)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return err_set(e, EX_DATAERR, "%s: field '%s' is not a "
		    "boolean", what, key);
	*out = json_object_get_boolean(v) != 0;
	return 0;
}

static void
state_json_add_str(struct json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, s != NULL ?
	    json_object_new_string(s) : NULL);
}

static void
state_json_add_i64(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

/*
 * Removes the temp files of sub/<id>.json left by a writer that died
 * (kill -9 between create and rename).  The writer's pid is in the name;
 * a live writer's file is left alone.  Best effort, never an error.
 */
static void
state_sweep_temps(const char *sub, const char *id)
{
	struct dirent *d;
	DIR	*dir;
	char	*prefix, *end;
	size_t	 plen;
	long	 pid;
	int	 dfd;

	if (state_open_dir(sub, &dfd, NULL, NULL) != 0)
		return;
	if ((dir = fdopendir(dfd)) == NULL) {
		close(dfd);
		return;
	}
	prefix = xasprintf(".%s.json.", id);
	plen = strlen(prefix);
	while ((d = readdir(dir)) != NULL) {
		if (strncmp(d->d_name, prefix, plen) != 0 ||
		    strlen(d->d_name) < plen + 4 ||
		    strcmp(d->d_name + strlen(d->d_name) - 4, ".tmp") != 0)
			continue;
		errno = 0;
		pid = strtol(d->d_name + plen, &end, 10);
		if (errno != 0 || *end != '.' || pid <= 0)
			continue;
		if (pid != (long)getpid() && kill((pid_t)pid, 0) == -1 &&
		    errno == ESRCH)
			unlinkat(dirfd(dir), d->d_name, 0);
	}
	free(prefix);
	closedir(dir);
}

/* ---- lock -------------------------------------------------------------- */

int
state_lock(const char *id, int wait_seconds, struct state_lock **out,
    struct ldrt_err *e)
{
	struct timespec ts;
	char	*dpath = NULL, *name = NULL, *path = NULL;
	int64_t	 deadline, left;
	int	 dfd = -1, fd = -1, r = -1;

	*out = NULL;
	if (state_check_id(id, e) != 0)
		return -1;
	if (state_open_dir("locks", &dfd, &dpath, e) != 0)
		goto out;
	name = xasprintf("%s.lock", id);
	path = xasprintf("%s/%s", dpath, name);
	/* O_CLOEXEC: the exec'd restart command must not hold the lock. */
	if ((fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1) {
		err_set(e, errno == ELOOP ? EX_NOPERM : EX_CANTCREAT,
		    "cannot open lock '%s': %s", path, errno == ELOOP ?
		    "is a symlink" : strerror(errno));
		goto out;
	}
	if (state_check_fd_file(fd, path, 1, e) != 0)
		goto out;
	deadline = time_mono_ms() + (int64_t)(wait_seconds > 0 ?
	    wait_seconds : 0) * 1000;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			err_set(e, EX_IOERR, "cannot lock '%s': %s", path,
			    strerror(errno));
			goto out;
		}
		if ((left = deadline - time_mono_ms()) <= 0) {
			err_set(e, EX_TEMPFAIL, "another rotation of '%s' is "
			    "running (lock '%s' held)", id, path);
			goto out;
		}
		if (left > STATE_LOCK_POLL_MS)
			left = STATE_LOCK_POLL_MS;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000L;
		nanosleep(&ts, NULL);	/* EINTR: just try again sooner */
	}
	/* Under the lock: tidy what a killed rotation left behind. */
	state_sweep_temps("journal", id);
	state_sweep_temps("relays", id);
	*out = xcalloc(1, sizeof(**out));
	(*out)->fd = fd;
	(*out)->path = path;
	fd = -1;
	path = NULL;
	r = 0;
out:
	if (fd != -1)
		close(fd);
	if (dfd != -1)
		close(dfd);
	free(path);
	free(name);
	free(dpath);
	return r;
}

void
state_unlock(struct state_lock *lk)
{
	if (lk == NULL)
		return;
	/* The file stays: unlinking it would let a waiter lock a file
	 * that a newcomer no longer sees. */
	if (lk->fd != -1) {
		flock(lk->fd, LOCK_UN);
		close(lk->fd);
	}
	free(lk->path);
	free(lk);
}

const char *
state_lock_path(const struct state_lock *lk)
{
	return lk != NULL ? lk->path : NULL;
}

/* ---- record ------------------------------------------------------------ */

void
state_record_init(struct state_record *r)
{
	struct state_record z = STATE_RECORD_INIT;

	*r = z;
}

void
state_record_release(struct state_record *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r->display_key);
	free(r->old_display_key);
	state_record_init(r);
}

void
state_record_set(char **field, const char *s)
{
	free(*field);
	*field = s != NULL ? xstrdup(s) : NULL;
}

int
state_record_load(const char *id, struct state_record *out,
    struct ldrt_err *e)
{
	struct json_object *o = NULL;
	char	*name = NULL, *what = NULL;
	int	 r;

	state_record_init(out);
	if (state_check_id(id, e) != 0)
		return -1;
	name = xasprintf("%s.json", id);
	if ((r = state_read_json("relays", name, &o, e)) != 0)
		goto out;
	what = xasprintf("state record '%s'", name);
	r = -1;
	if (state_json_str(o, "name", &out->name, what, e) != 0 ||
	    state_json_str(o, "display_key", &out->display_key, what, e) != 0 ||
	    state_json_i64(o, "created_or_rotated_at_ms",
	    &out->created_or_rotated_at_ms, what, e) != 0 ||
	    state_json_str(o, "old_display_key", &out->old_display_key, what,
	    e) != 0 ||
	    state_json_i64(o, "old_key_expires_at_ms",
	    &out->old_key_expires_at_ms, what, e) != 0 ||
	    state_json_bool(o, "exec_failed", &out->exec_failed, what, e) != 0 ||
	    state_json_i64(o, "exec_failed_at_ms", &out->exec_failed_at_ms,
	    what, e) != 0 ||
	    state_json_i64(o, "rejected_at_ms", &out->rejected_at_ms, what,
	    e) != 0 ||
	    state_json_i64(o, "updated_at_ms", &out->updated_at_ms, what,
	    e) != 0) {
		state_record_release(out);
		goto out;
	}
	r = 0;
out:
	json_object_put(o);
	free(what);
	free(name);
	return r;
}

int
state_record_save(const char *id, const struct state_record *rec,
    struct ldrt_err *e)
{
	struct json_object *o;
	char	*name;
	int	 r;

	if (state_check_id(id, e) != 0)
		return -1;
	o = json_object_new_object();
	state_json_add_str(o, "id", id);
	state_json_add_str(o, "name", rec->name);
	state_json_add_str(o, "display_key", rec->display_key);
	state_json_add_i64(o, "created_or_rotated_at_ms",
	    rec->created_or_rotated_at_ms);
	state_json_add_str(o, "old_display_key", rec->old_display_key);
	state_json_add_i64(o, "old_key_expires_at_ms",
	    rec->old_key_expires_at_ms);
	json_object_object_add(o, "exec_failed",
	    json_object_new_boolean(rec->exec_failed));
	state_json_add_i64(o, "exec_failed_at_ms", rec->exec_failed_at_ms);
	state_json_add_i64(o, "rejected_at_ms", rec->rejected_at_ms);
	state_json_add_i64(o, "updated_at_ms", time_now_ms());
	name = xasprintf("%s.json", id);
	r = state_write_json("relays", name, o, 0, e);
	free(name);
	json_object_put(o);
	return r;
}

int
state_record_delete(const char *id, struct ldrt_err *e)
{
	char	*name;
	int	 r;

	if (state_check_id(id, e) != 0)
		return -1;
	name = xasprintf("%s.json", id);
	r = state_unlink("relays", name, e);
	free(name);
	return r;
}

int
state_record_mark_rejected(const char *id, const char *name,
    struct ldrt_err *e)
{
	struct state_record rec;
	int	 r;

	if ((r = state_record_load(id, &rec, e)) == -1)
		goto out;
	if (name != NULL)
		state_record_set(&rec.name, name);
	rec.rejected_at_ms = time_now_ms();
	r = state_record_save(id, &rec, e);
out:
	state_record_release(&rec);
	return r;
}

int
state_record_rotated(const struct state_rotation_event *ev,
    struct ldrt_err *e)
{
	struct state_record rec;
	int64_t	 now;
	int	 r;

	switch (ev->outcome) {
	case STATE_OUTCOME_OK:
	case STATE_OUTCOME_REPAIRED:
	case STATE_OUTCOME_EXEC_FAILED:
	case STATE_OUTCOME_OUTPUT_FAILED:
		break;
	default:
		return err_set(e, EX_SOFTWARE, "rotation of '%s': outcome "
		    "'%s' stored no new key", ev->relay_id,
		    state_outcome_name(ev->outcome) != NULL ?
		    state_outcome_name(ev->outcome) : "?");
	}
	if ((r = state_record_load(ev->relay_id, &rec, e)) == -1)
		goto out;
	now = ev->time_ms != 0 ? ev->time_ms : time_now_ms();
	if (ev->relay_name != NULL)
		state_record_set(&rec.name, ev->relay_name);
	state_record_set(&rec.display_key, ev->new_display_key);
	state_record_set(&rec.old_display_key, ev->old_display_key);
	rec.created_or_rotated_at_ms = now;
	rec.old_key_expires_at_ms = ev->old_key_expires_at_ms;
	/* Outputs not written means no restart with the new key either. */
	rec.exec_failed = ev->outcome == STATE_OUTCOME_EXEC_FAILED ||
	    ev->outcome == STATE_OUTCOME_OUTPUT_FAILED;
	rec.exec_failed_at_ms = rec.exec_failed ? now : 0;
	rec.rejected_at_ms = 0;		/* a rejection was of the old key */
	r = state_record_save(ev->relay_id, &rec, e);
out:
	state_record_release(&rec);
	return r;
}

enum state_warning
state_record_warning(const struct state_record *r, int64_t now_ms,
    int64_t near_ms)
{
	if (r == NULL || !r->exec_failed || r->old_key_expires_at_ms <= 0)
		return STATE_WARN_NONE;
	if (r->old_key_expires_at_ms <= now_ms)
		return STATE_WARN_RESTART_OVERDUE;
	if (r->old_key_expires_at_ms - now_ms <= near_ms)
		return STATE_WARN_RESTART_DUE;
	return STATE_WARN_NONE;
}

bool
state_changed_elsewhere(const struct state_record *r, bool journal_present,
    const char *api_display_key)
{
	if (r == NULL || journal_present || r->display_key == NULL ||
	    r->display_key[0] == '\0' || api_display_key == NULL)
		return false;
	return strcmp(r->display_key, api_display_key) != 0;
}

void
state_display_key(const char *key, char *out, size_t len)
{
	size_t n;

	if (len == 0)
		return;
	out[0] = '\0';
	if (key == NULL)
		return;
	n = strlen(key);
	key += n > 4 ? n - 4 : 0;
	snprintf(out, len, "%s", key);
}

/* ---- journal ----------------------------------------------------------- */

static const char *const state_phase_names[] = {
	"reset-requested",
	"reset-done-key-stored",
	"outputs-written",
	"exec-done",
	"reset-outcome-unknown",
};

const char *
state_phase_name(enum state_phase p)
{
	if ((unsigned)p >= LDRT_ARRAY_SIZE(state_phase_names))
		return NULL;
	return state_phase_names[p];
}

int
state_phase_parse(const char *s, enum state_phase *out)
{
	size_t i;

	for (i = 0; s != NULL && i < LDRT_ARRAY_SIZE(state_phase_names); i++) {
		if (strcmp(s, state_phase_names[i]) == 0) {
			*out = (enum state_phase)i;
			return 0;
		}
	}
	return -1;
}

void
state_journal_init(struct state_journal *j)
{
	struct state_journal z = STATE_JOURNAL_INIT;

	*j = z;
}

void
state_journal_release(struct state_journal *j)
{
	if (j == NULL)
		return;
	free(j->id);
	free(j->name);
	free(j->old_display_key);
	state_journal_init(j);
}

static int
state_journal_write(const struct state_journal *j, int noreplace,
    struct ldrt_err *e)
{
	struct json_object *o;
	const char *phase;
	char	*name;
	int	 r;

	if (state_check_id(j->id, e) != 0)
		return -1;
	if ((phase = state_phase_name(j->phase)) == NULL)
		return err_set(e, EX_SOFTWARE, "journal of '%s': invalid "
		    "phase %d", j->id, (int)j->phase);
	o = json_object_new_object();
	state_json_add_str(o, "id", j->id);
	state_json_add_str(o, "name", j->name);
	state_json_add_i64(o, "started_at_ms", j->started_at_ms != 0 ?
	    j->started_at_ms : time_now_ms());
	state_json_add_i64(o, "grace_s", j->grace_s);
	state_json_add_i64(o, "expiry_ms", j->expiry_ms);
	state_json_add_str(o, "old_display_key", j->old_display_key);
	state_json_add_str(o, "phase", phase);
	state_json_add_i64(o, "updated_at_ms", time_now_ms());
	name = xasprintf("%s.json", j->id);
	r = state_write_json("journal", name, o, noreplace, e);
	if (r == STATE_EXISTS)
		r = err_set(e, EX_SOFTWARE, "a rotation journal for '%s' "
		    "already exists (an earlier rotation was interrupted: "
		    "repair it first)", j->id);
	free(name);
	json_object_put(o);
	return r;
}

int
state_journal_begin(const struct state_journal *j, struct ldrt_err *e)
{
	return state_journal_write(j, 1, e);
}

int
state_journal_save(const struct state_journal *j, struct ldrt_err *e)
{
	return state_journal_write(j, 0, e);
}

int
state_journal_load(const char *id, struct state_journal *out,
    struct ldrt_err *e)
{
	struct json_object *o = NULL;
	char	*name = NULL, *what = NULL, *phase = NULL;
	int	 r;

	state_journal_init(out);
	if (state_check_id(id, e) != 0)
		return -1;
	name = xasprintf("%s.json", id);
	if ((r = state_read_json("journal", name, &o, e)) != 0)
		goto out;
	what = xasprintf("rotation journal '%s'", name);
	r = -1;
	if (state_json_str(o, "name", &out->name, what, e) != 0 ||
	    state_json_i64(o, "started_at_ms", &out->started_at_ms, what,
	    e) != 0 ||
	    state_json_i64(o, "grace_s", &out->grace_s, what, e) != 0 ||
	    state_json_i64(o, "expiry_ms", &out->expiry_ms, what, e) != 0 ||
	    state_json_str(o, "old_display_key", &out->old_display_key, what,
	    e) != 0 ||
	    state_json_str(o, "phase", &phase, what, e) != 0 ||
	    state_json_i64(o, "updated_at_ms", &out->updated_at_ms, what,
	    e) != 0)
		goto fail;
	if (state_phase_parse(phase, &out->phase) != 0) {
		err_set(e, EX_DATAERR, "%s: unknown phase", what);
		goto fail;
	}
	/* The file name, not the content, says whose journal it is. */
	out->id = xstrdup(id);
	r = 0;
	goto out;
fail:
	state_journal_release(out);
out:
	json_object_put(o);
	free(phase);
	free(what);
	free(name);
	return r;
}

int
state_journal_advance(const char *id, enum state_phase phase,
    struct ldrt_err *e)
{
	struct state_journal j;
	int	 r;

	if ((r = state_journal_load(id, &j, e)) == -1)
		goto out;
	if (r == STATE_ABSENT) {
		r = err_set(e, EX_SOFTWARE, "no rotation journal for '%s'",
		    id);
		goto out;
	}
	j.phase = phase;
	r = state_journal_save(&j, e);
out:
	state_journal_release(&j);
	return r;
}

int
state_journal_clear(const char *id, struct ldrt_err *e)
{
	char	*name;
	int	 r;

	if (state_check_id(id, e) != 0)
		return -1;
	name = xasprintf("%s.json", id);
	r = state_unlink("journal", name, e);
	free(name);
	return r;
}

static int
state_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
state_journal_list(char ***ids, size_t *n, struct ldrt_err *e)
{
	return state_list_dir("journal", ids, n, e);
}

int
state_record_list(char ***ids, size_t *n, struct ldrt_err *e)
{
	return state_list_dir("relays", ids, n, e);
}

/* The ids of the ID.json files in subdirectory sub, sorted. */
static int
state_list_dir(const char *sub, char ***ids, size_t *n, struct ldrt_err *e)
{
	struct dirent *d;
	DIR	*dir = NULL;
	char	*dpath = NULL, **v = NULL, *stem;
	size_t	 nv = 0, cap = 0, len, i;
	int	 dfd = -1, r = -1;

	*ids = NULL;
	if (n != NULL)
		*n = 0;
	if (state_open_dir(sub, &dfd, &dpath, e) != 0)
		goto out;
	if ((dir = fdopendir(dfd)) == NULL) {
		err_set(e, EX_IOERR, "cannot read '%s': %s", dpath,
		    strerror(errno));
		goto out;
	}
	dfd = -1;	/* owned by dir now */
	v = xcalloc(1, sizeof(*v));
	while ((d = readdir(dir)) != NULL) {
		len = strlen(d->d_name);
		if (d->d_name[0] == '.' || len <= 5 ||
		    strcmp(d->d_name + len - 5, ".json") != 0)
			continue;
		stem = xstrndup(d->d_name, len - 5);
		if (!state_id_valid(stem)) {
			free(stem);
			continue;
		}
		if (nv + 1 >= cap) {
			cap = cap == 0 ? 8 : cap * 2;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[nv++] = stem;
		v[nv] = NULL;
	}
	qsort(v, nv, sizeof(*v), state_cmp_str);
	*ids = v;
	v = NULL;
	if (n != NULL)
		*n = nv;
	r = 0;
out:
	if (v != NULL) {
		for (i = 0; i < nv; i++)
			free(v[i]);
		free(v);
	}
	if (dir != NULL)
		closedir(dir);
	if (dfd != -1)
		close(dfd);
	free(dpath);
	return r;
}

void
state_list_free(char **ids)
{
	size_t i;

	if (ids == NULL)
		return;
	for (i = 0; ids[i] != NULL; i++)
		free(ids[i]);
	free(ids);
}

int
state_note_unknown_reset(const char *id, const char *name, int64_t expiry_ms,
    struct ldrt_err *e)
{
	struct state_journal j;
	int	 r;

	if ((r = state_journal_load(id, &j, e)) == -1)
		goto out;
	if (r == STATE_ABSENT) {
		j.id = xstrdup(id);
		j.started_at_ms = time_now_ms();
	}
	if (j.name == NULL && name != NULL)
		j.name = xstrdup(name);
	j.expiry_ms = expiry_ms;
	j.phase = STATE_PHASE_OUTCOME_UNKNOWN;
	r = state_journal_save(&j, e);
out:
	state_journal_release(&j);
	return r;
}

enum state_repair
state_repair_decide(const struct state_journal *j, const char *stored_display,
    const char *api_display, int64_t now_ms)
{
	if (stored_display != NULL && api_display != NULL &&
	    stored_display[0] != '\0' &&
	    strcmp(stored_display, api_display) == 0)
		return STATE_REPAIR_CLEAR;
	if (j != NULL && j->expiry_ms > now_ms)
		return STATE_REPAIR_RESET;
	return STATE_REPAIR_KEY_LOST;
}

/* ---- recovery file ----------------------------------------------------- */

int
state_write_recovery(const char *id, const char *key, char **path_out,
    struct ldrt_err *e)
{
	char	*dpath = NULL, *name = NULL;
	int64_t	 now;
	int	 dfd = -1, fd = -1, r = -1, i;

	*path_out = NULL;
	if (state_check_id(id, e) != 0)
		return -1;
	if (key == NULL || key[0] == '\0')
		return err_set(e, EX_SOFTWARE, "no key to write to a recovery "
		    "file for '%s'", id);
	if (state_open_dir("recovery", &dfd, &dpath, e) != 0)
		goto out;
	now = time_now_ms();
	for (i = 0; i < 100; i++) {
		free(name);
		name = i == 0 ? xasprintf("%s-%lld.key", id, (long long)now) :
		    xasprintf("%s-%lld-%d.key", id, (long long)now, i);
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	if (fd == -1) {
		err_set(e, EX_CANTCREAT, "cannot create a recovery file in "
		    "'%s': %s", dpath, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) == -1 ||
	    state_write_all(fd, key, strlen(key)) == -1 ||
	    state_write_all(fd, "\n", 1) == -1 || fsync(fd) == -1) {
		err_set(e, EX_IOERR, "cannot write recovery file '%s/%s': %s",
		    dpath, name, strerror(errno));
		close(fd);
		fd = -1;
		unlinkat(dfd, name, 0);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		err_set(e, EX_IOERR, "cannot write recovery file '%s/%s': %s",
		    dpath, name, strerror(errno));
		unlinkat(dfd, name, 0);
		goto out;
	}
	fd = -1;
	if (fsync(dfd) == -1) {
		err_set(e, EX_IOERR, "cannot sync directory '%s': %s", dpath,
		    strerror(errno));
		goto out;
	}
	*path_out = xasprintf("%s/%s", dpath, name);
	r = 0;
out:
	if (fd != -1)
		close(fd);
	if (dfd != -1)
		close(dfd);
	free(name);
	free(dpath);
	return r;
}

/* ---- rotation log ------------------------------------------------------ */

static const char *const state_outcome_names[] = {
	"ok",
	"exec-failed",
	"store-failed",
	"output-failed",
	"reset-failed",
	"outcome-unknown",
	"repaired",
	"journal-cleared",
	"key-lost",
};

const char *
state_outcome_name(enum state_outcome o)
{
	if ((unsigned)o >= LDRT_ARRAY_SIZE(state_outcome_names))
		return NULL;
	return state_outcome_names[o];
}

/* A display key as logged: never more than a key's last 4 characters. */
static const char *
state_safe_display(const char *d, char *buf, size_t len)
{
	if (d == NULL)
		return NULL;
	if (strlen(d) <= STATE_DISPLAY_MAX && strncmp(d, "rel-", 4) != 0)
		return d;
	state_display_key(d, buf, len);
	return buf;
}

int
state_log_rotation(const struct state_rotation_event *ev, struct ldrt_err *e)
{
	struct json_object *o = NULL;
	const char *outcome;
	char	*dpath = NULL, *line = NULL, tbuf[64], d1[8], d2[8];
	int64_t	 t;
	int	 dfd = -1, fd = -1, r = -1, created = 0;

	if (state_check_id(ev->relay_id, e) != 0)
		return -1;
	if ((outcome = state_outcome_name(ev->outcome)) == NULL)
		return err_set(e, EX_SOFTWARE, "rotation log: invalid outcome "
		    "%d", (int)ev->outcome);
	if (state_open_dir(NULL, &dfd, &dpath, e) != 0)
		goto out;
	t = ev->time_ms != 0 ? ev->time_ms : time_now_ms();
	o = json_object_new_object();
	time_format_ms(t, tbuf, sizeof(tbuf));
	state_json_add_str(o, "time", tbuf);
	state_json_add_i64(o, "time_ms", t);
	state_json_add_str(o, "relay_id", ev->relay_id);
	state_json_add_str(o, "relay_name", ev->relay_name);
	state_json_add_str(o, "old_display_key",
	    state_safe_display(ev->old_display_key, d1, sizeof(d1)));
	state_json_add_str(o, "new_display_key",
	    state_safe_display(ev->new_display_key, d2, sizeof(d2)));
	if (ev->old_key_expires_at_ms > 0) {
		time_format_ms(ev->old_key_expires_at_ms, tbuf, sizeof(tbuf));
		state_json_add_str(o, "old_key_expires_at", tbuf);
		state_json_add_i64(o, "old_key_expires_at_ms",
		    ev->old_key_expires_at_ms);
	} else {
		state_json_add_str(o, "old_key_expires_at", NULL);
		json_object_object_add(o, "old_key_expires_at_ms", NULL);
	}
	state_json_add_str(o, "outcome", outcome);
	state_json_add_str(o, "message", ev->message);
	line = xasprintf("%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	/*
	 * The directory is synced only when this call may have created the
	 * log: an append to an existing file changes no directory entry.
	 */
	fd = openat(dfd, "rotations.jsonl", O_WRONLY | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		created = 1;
		fd = openat(dfd, "rotations.jsonl", O_WRONLY | O_APPEND |
		    O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	if (fd == -1) {
		err_set(e, errno == ELOOP ? EX_NOPERM : EX_CANTCREAT,
		    "cannot open rotation log '%s/rotations.jsonl': %s",
		    dpath, errno == ELOOP ? "is a symlink" : strerror(errno));
		goto out;
	}
	if (state_check_fd_file(fd, "rotations.jsonl", 0, e) != 0)
		goto out;
	/* One write(): O_APPEND keeps concurrent lines whole. */
	if (state_write_all(fd, line, strlen(line)) == -1 || fsync(fd) == -1 ||
	    (created && fsync(dfd) == -1)) {
		err_set(e, EX_IOERR, "cannot write rotation log "
		    "'%s/rotations.jsonl': %s", dpath, strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (fd != -1)
		close(fd);
	if (dfd != -1)
		close(dfd);
	json_object_put(o);
	free(line);
	free(dpath);
	return r;
}
