/*
 * ldrt.h: types shared by every module of ld-relay-token.
 *
 * Errors: a function that can fail returns 0 on success or -1 on failure
 * and fills a caller-provided struct ldrt_err with an exit class (a
 * sysexits.h EX_* code, so cron and monitoring can tell kinds apart) and one
 * line of text.  Lower layers never print; main() prints the message once.
 * Messages are lower case, have no full stop and never contain a secret.
 */
#ifndef LDRT_H
#define LDRT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sysexits.h>

#define LDRT_ERR_MSG_MAX 256

struct ldrt_err {
	int	ex;			/* EX_* exit class; 0 when unset */
	char	msg[LDRT_ERR_MSG_MAX];	/* one line, no secret */
};
#define LDRT_ERR_INIT { 0, "" }

/* Sets e (if not NULL) and returns -1.  Newlines in msg become spaces. */
int	err_set(struct ldrt_err *e, int ex, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Prepends "CONTEXT: " to an already set message; returns -1. */
int	err_prefix(struct ldrt_err *e, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	err_clear(struct ldrt_err *e);

/*
 * Text from elsewhere (the API's names, a state file) made safe to print
 * on a terminal: every control character (C0, DEL, and C1 written in
 * UTF-8) becomes '?', byte for byte, so column widths do not change and
 * no escape sequence reaches the terminal.  Other UTF-8 is kept.
 * text_safe_dup returns a sanitized copy (NULL gives ""; free it).
 */
void	 text_sanitize(char *s);
/* The same, and newlines, CRs and tabs become spaces: one line. */
void	 text_oneline(char *s);
char	*text_safe_dup(const char *s);

/* Die on out-of-memory (the only condition where we abort). */
void	*xmalloc(size_t n);
void	*xcalloc(size_t nmemb, size_t size);
void	*xrealloc(void *p, size_t n);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 ldrt_fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Internal, never an exit status: the keyring-only binary (ldrt-keyring,
 * built with LDRT_CORE) met something only the full binary can do (an API
 * request, the file store, JSON state) and hands the run over to it.
 */
#define LDRT_EX_FULL 1000
#define LDRT_NEED_FULL(e, what) \
	err_set((e), LDRT_EX_FULL, "%s needs the full binary", (what))

#define LDRT_UNUSED(x) ((void)(x))
#define LDRT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes used throughout (sysexits.h); see DESIGN.md and the man page. */
/* EX_OK 0, EX_USAGE 64, EX_DATAERR 65, EX_NOINPUT 66, EX_NOUSER 67,
 * EX_UNAVAILABLE 69, EX_SOFTWARE 70, EX_IOERR 74, EX_TEMPFAIL 75,
 * EX_PROTOCOL 76, EX_NOPERM 77, EX_CONFIG 78 */

#endif /* LDRT_H */
