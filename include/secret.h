/*
 * secret.h: memory for secrets (API tokens, relay keys, passphrases).
 *
 * A struct secbuf is a capped, always NUL-terminated byte buffer that grows
 * by allocate-copy-wipe (never realloc, which could leave copies behind)
 * and is wiped on reset and on free.  Past its cap an append fails; it never
 * grows without bound.
 *
 * Plain secret strings are ordinary heap strings owned by the caller and
 * released with secret_free(), which wipes strlen(s) bytes before free().
 */
#ifndef LDRT_SECRET_H
#define LDRT_SECRET_H

#include <stddef.h>
#include "ldrt.h"

struct secbuf;

/* A new empty buffer that may hold at most max bytes (plus the NUL). */
struct secbuf	*secbuf_new(size_t max);
/* Appends n bytes; -1 (buffer unchanged) if the cap would be exceeded. */
int		 secbuf_append(struct secbuf *b, const void *p, size_t n);
/* Room for n bytes (at most max) at once, when the size is known ahead:
 * one allocation instead of a copy and a wipe per doubling. */
void		 secbuf_reserve(struct secbuf *b, size_t n);
const char	*secbuf_str(const struct secbuf *b);	/* NUL-terminated */
size_t		 secbuf_len(const struct secbuf *b);
size_t		 secbuf_max(const struct secbuf *b);
void		 secbuf_reset(struct secbuf *b);	/* wipe, length 0 */
void		 secbuf_free(struct secbuf *b);		/* wipe + free; NULL ok */
/* Hands the contents over as a heap string (free with secret_free) and
 * resets the buffer. */
char		*secbuf_detach(struct secbuf *b);

/* Wiping: secret_wipe() is explicit_bzero(); secret_free() wipes a
 * NUL-terminated string then frees it (NULL ok). */
void	 secret_wipe(void *p, size_t n);
void	 secret_free(char *s);
char	*secret_strdup(const char *s);
char	*secret_strndup(const char *s, size_t n);

/* Optional hook for tests: called with (p, n) just before a secret buffer
 * of n bytes at p is released to the allocator. */
extern void (*secret_release_hook)(const void *p, size_t n);

#define SECRET_MAX 8192		/* longest token, key or passphrase we take */

/*
 * Reads a secret from fd until EOF (at most SECRET_MAX bytes) and strips
 * one trailing "\n" or "\r\n".  Empty input, a NUL byte or an inner newline
 * is EX_DATAERR.  *out is a heap string to release with secret_free().
 */
int	secret_read_fd(int fd, const char *what, char **out, struct ldrt_err *e);
/* Reads a secret from a file that must not be readable by group/others
 * (EX_NOPERM naming the mode) and must be a regular file. */
int	secret_read_file(const char *path, const char *what, int check_mode,
	    char **out, struct ldrt_err *e);
/* Prompts on /dev/tty with echo off.  EX_USAGE if there is no tty. */
int	secret_prompt(const char *prompt, char **out, struct ldrt_err *e);

/*
 * Process hardening at start-up: fds 0-2 open (to /dev/null if closed),
 * umask 077, RLIMIT_CORE 0 and PR_SET_DUMPABLE 0 (no core dumps, no
 * ptrace by other users' processes).
 */
void	secret_harden_process(void);

/* SHA-256 of s, first 12 hex characters, into out[13]. */
void	secret_fingerprint(const char *s, char out[13]);

#endif
