/*
 * envfile.h: merge one variable into an env file, and atomic writes.
 *
 * envfile_merge() is pure: it replaces the line(s) that set VAR (also the
 * "export VAR=" form) by one new line, keeps every other byte (comments,
 * blank lines, order, CRLF endings, the trailing-newline state), and
 * appends when VAR is absent.
 *
 * atomic_write() writes a temp file in the same directory (O_CREAT|O_EXCL,
 * 0600), fsyncs it, gives it the original's mode/owner/group (or new_mode
 * for a new file), renames it over the target and fsyncs the directory.
 * The temp file is DIR/.BASE.ldrt-XXXXXX, held under flock(LOCK_EX) from its
 * creation, before any byte is written, until it is renamed or unlinked.
 * After a write, temp files of the same target that a killed writer left
 * (same name pattern, regular, ours, one link, not locked by anyone) are
 * unlinked; this sweep is best effort and never fails the write.
 */
#ifndef LDRT_ENVFILE_H
#define LDRT_ENVFILE_H

#include <stddef.h>
#include <sys/types.h>
#include "ldrt.h"

/*
 * old may be NULL (absent file).  line is one "VAR=value" line as
 * emit_env_line() makes it (its trailing newline is replaced by the ending
 * of the line it replaces).  EX_DATAERR for a NUL byte in old or a line
 * setting var that goes on to the next line.  *out: NUL-terminated heap
 * buffer of *outlen bytes holding the secret, release with secret_free().
 * The rules are at the top of envfile.c.
 */
int	envfile_merge(const char *old, size_t oldlen, const char *var,
	    const char *line, char **out, size_t *outlen, struct ldrt_err *e);

#define ATOMIC_FOLLOW_SYMLINKS	0x1	/* write through a symlink */
#define ATOMIC_ALLOW_INPLACE	0x2	/* bind mount fallback (EBUSY/EXDEV) */
#define ATOMIC_FORCE_MODE	0x4	/* new_mode also for an existing file */

enum atomic_result { ATOMIC_WRITTEN, ATOMIC_UNCHANGED };

/*
 * A symlink is EX_DATAERR unless ATOMIC_FOLLOW_SYMLINKS (then the file it
 * resolves to is written, the temp file in that file's directory); any
 * other non-regular file is EX_DATAERR.  When path already holds exactly
 * data nothing is written and *res is ATOMIC_UNCHANGED (mtime and inode
 * stay).  A missing directory is EX_NOINPUT, EACCES/EPERM/EROFS EX_NOPERM,
 * other failures EX_IOERR (EX_TEMPFAIL if sweepers keep taking the temp
 * file); on failure the original is intact and no temp file is left.  If the owner cannot be kept (not root) that is EX_NOPERM
 * unless the uid already matches (only the group differs: a warning).
 * With ATOMIC_ALLOW_INPLACE, a rename failing with EBUSY or EXDEV (a bind
 * mounted file) is followed by an in-place rewrite under flock, with a
 * log_warn().
 */
int	atomic_write(const char *path, const void *data, size_t len,
	    mode_t new_mode, int flags, enum atomic_result *res,
	    struct ldrt_err *e);
/* Reads path into a secret heap buffer (*exists 0 when absent, *data
 * NULL); symlinks as for atomic_write(); EX_DATAERR past 1 MiB.  *data is
 * NUL-terminated; release it with secret_wipe(*data, *len) and free(). */
int	envfile_read(const char *path, int flags, char **data, size_t *len,
	    int *exists, struct ldrt_err *e);
/* Reads path, merges "line" for var, writes atomically if changed (new
 * files 0600; ATOMIC_ALLOW_INPLACE always on).  Errors start "env file". */
int	envfile_update(const char *path, const char *var, const char *line,
	    int flags, enum atomic_result *res, struct ldrt_err *e);

/* For tests only: the rename(2) atomic_write() uses, and a hook called
 * with the temp file's path between its creation and its flock. */
extern int (*atomic_rename_fn)(const char *, const char *);
extern void (*atomic_created_fn)(const char *);

#endif
