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
 */
#ifndef LDRT_ENVFILE_H
#define LDRT_ENVFILE_H

#include <stddef.h>
#include <sys/types.h>
#include "ldrt.h"

/* *out: heap buffer holding the secret, release with secret_free(). */
int	envfile_merge(const char *old, size_t oldlen, const char *var,
	    const char *line, char **out, size_t *outlen, struct ldrt_err *e);

#define ATOMIC_FOLLOW_SYMLINKS	0x1	/* write through a symlink */
#define ATOMIC_ALLOW_INPLACE	0x2	/* bind mount fallback (EBUSY/EXDEV) */

enum atomic_result { ATOMIC_WRITTEN, ATOMIC_UNCHANGED };

int	atomic_write(const char *path, const void *data, size_t len,
	    mode_t new_mode, int flags, enum atomic_result *res,
	    struct ldrt_err *e);
/* Reads path into a secret heap buffer (*exists 0 when absent). */
int	envfile_read(const char *path, int flags, char **data, size_t *len,
	    int *exists, struct ldrt_err *e);
/* Reads path, merges "line" for var, writes atomically if changed. */
int	envfile_update(const char *path, const char *var, const char *line,
	    int flags, enum atomic_result *res, struct ldrt_err *e);

#endif
