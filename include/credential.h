/*
 * credential.h: git's credential-helper protocol (pure: buffers in,
 * structs and buffers out).  See /work/shared/protocols/git-credential.md.
 *
 * Wire format: "key=value\n" lines up to a blank line or end of input.  The
 * key is everything before the first '='; the value is the rest of the line
 * byte for byte (only the "\n" is removed).  A repeated key replaces the
 * earlier value; "key[]" appends to a list and an empty "key[]=" clears it.
 * Unknown keys (and state[], authtype, credential, continue) are ignored.
 *
 * Carriage returns: git's own reader drops a "\r" before "\n", the
 * reference libsecret helper keeps it, and git >= 2.48.1 refuses to send a
 * value containing "\r" at all.  We take the conservative reading: a "\r"
 * is part of the value (no trimming, so "host=x\r" never silently becomes
 * "x"), and because such a value can be read differently by other
 * implementations we refuse it (EX_DATAERR) in every attribute we keep as
 * a single value (protocol, host, path, username, password, url, quit,
 * ephemeral, password_expiry_utc, oauth_refresh_token).  A CRLF-terminated
 * request is therefore an error, never a credential for a different host.
 * A "\r\n" on its own is not a blank line; it is a line without '='.
 *
 * Ownership: every char * in struct credential is owned by the struct.
 * password and oauth_refresh_token are secrets: they are released with
 * secret_free() (wiped first), including when a repeated key replaces them.
 * Nothing here prints; error messages never contain a value.
 */
#ifndef LDRT_CREDENTIAL_H
#define LDRT_CREDENTIAL_H

#include <stddef.h>
#include <stdint.h>
#include "ldrt.h"

/* Longest line, including its "\n" (git >= 2.46 documents this cap). */
#define CREDENTIAL_LINE_MAX	65535
/* Most bytes credential_read_fd() reads before giving up. */
#define CREDENTIAL_INPUT_MAX	(1024 * 1024)
/* Most entries in one key[] list. */
#define CREDENTIAL_LIST_MAX	256

/* Return value of credential_ldrelay_target() for requests not for us. */
#define CREDENTIAL_NOT_OURS	1

struct credential_list {
	char	**v;		/* n strings, owned */
	size_t	  n;
};

struct credential {
	char	*protocol;		/* "https", "ldrelay"; NULL: absent */
	char	*host;			/* includes ":port"; may be "" */
	char	*path;
	char	*username;		/* "" is a value, distinct from NULL */
	char	*password;		/* secret */
	char	*oauth_refresh_token;	/* secret */
	int64_t	 password_expiry_utc;	/* Unix seconds; 0: absent */
	int	 quit;			/* quit=1/true seen */
	int	 ephemeral;		/* ephemeral=1/true seen */
	struct credential_list capability;	/* capability[] values */
	/* wwwauth[]: attacker-controlled (from the HTTP server); kept for
	 * information only, never echoed and never used for matching. */
	struct credential_list wwwauth;
};
#define CREDENTIAL_INIT { NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, \
	{ NULL, 0 }, { NULL, 0 } }

void	credential_init(struct credential *c);
/* Frees (secrets: wipes) the contents; c itself is not freed.  NULL ok. */
void	credential_release(struct credential *c);
/* credential_release() then credential_init(). NULL ok. */
void	credential_clear(struct credential *c);

/*
 * Parses len bytes at buf (no NUL terminator needed) into c, on top of
 * what c already holds (a key read again replaces the old value).  Stops
 * after the first blank line or at the end of buf, whichever comes first;
 * *consumed (if not NULL) is set to the number of bytes used, including
 * the blank line, so the caller can see that data followed it.
 *
 * "url=" is parsed as git's credential_from_url() does: it first clears
 * everything read so far (as git does), then sets protocol, host, path,
 * username and password from scheme://[user[:pass]@]host[:port]/path.
 * user, password, host and path are percent-decoded (%XX only; "+" stays);
 * leading and trailing slashes are trimmed from the path; "?" or "#" ends
 * the host part.  Missing parts stay absent, except host, which is "" when
 * empty ("cert:///file").  An IPv6 literal stays in brackets:
 * "https://[::1]:8080/x" gives host "[::1]:8080".  A URL without a scheme
 * or decoding to a NUL, "\n" or "\r" is EX_DATAERR.
 *
 * Booleans (quit, ephemeral) accept git's spellings: true/yes/on/1 (any
 * non-zero integer), false/no/off/0/empty; anything else is EX_DATAERR.
 * password_expiry_utc must be decimal digits that fit int64_t (0 means
 * absent, as git treats it); anything else is EX_DATAERR.
 *
 * Errors (all EX_DATAERR; the message names the line number, never its
 * contents): a line longer than CREDENTIAL_LINE_MAX bytes including its
 * newline, a NUL byte in a line, a line without '=' ("invalid credential
 * line N"), a "\r" in a kept value (see above), more than
 * CREDENTIAL_LIST_MAX list entries, a bad url/boolean/expiry.  On error c
 * is cleared (no half-read secret stays behind) and *consumed is not set.
 * The caller owns buf and should wipe it: it held the password.
 */
int	credential_parse(const char *buf, size_t len, struct credential *c,
	    size_t *consumed, struct ldrt_err *e);

/*
 * Reads a request from fd into a secret buffer (at most
 * CREDENTIAL_INPUT_MAX bytes, else EX_DATAERR) until end of file or the
 * first blank line, parses it with credential_parse() into c and wipes the
 * buffer.  Read errors are EX_IOERR.  EINTR is retried.
 */
int	credential_read_fd(int fd, struct credential *c, struct ldrt_err *e);

/*
 * Formats the answer to a "get": username=, password=, then
 * password_expiry_utc= and oauth_refresh_token= when set, and quit=1 when
 * quit is set; absent fields are skipped (an empty string is written as
 * "key=").  Nothing else is ever written (no protocol/host/path, never
 * wwwauth[]).  A value containing "\n" or "\r" (or a line longer than
 * CREDENTIAL_LINE_MAX) is EX_DATAERR and nothing is produced.  *out is NULL
 * on entry and on error; on success it is a heap string (possibly "")
 * holding the secret: release it with secret_free().
 */
int	credential_format_get(const struct credential *answer, char **out,
	    struct ldrt_err *e);

/*
 * git's matching rule: 1 if every field present in want (protocol, host
 * with its port, path, username) is present in have and byte-equal; fields
 * absent from want are wildcards.  With match_password, a password present
 * in want must also equal have's (compared without an early exit).
 * wwwauth[] never takes part.  0 otherwise.
 */
int	credential_match(const struct credential *want,
	    const struct credential *have, int match_password);

/* 1 if none of protocol, host, path, username is present: an erase with
 * such a pattern would erase everything and must be refused. */
int	credential_is_empty_pattern(const struct credential *c);

/* 1 if c can be stored as git's helpers require: protocol, host or path,
 * username and password all present (empty strings count as present). */
int	credential_is_complete(const struct credential *c);

/*
 * Splits host at its last ':' as git-credential-libsecret does and returns
 * the part before it (heap string, free()); NULL if host is NULL.  *port
 * (may be NULL) is set to the number after the ':' when that is 1-65535
 * written in decimal digits, else 0; the ':' and what follows are dropped
 * either way ("h:" -> "h", port 0).  Unlike libsecret, a ':' inside an
 * IPv6 literal is not a port separator: "[::1]" -> "[::1]", port 0;
 * "[::1]:8080" -> "[::1]", 8080.
 */
char	*credential_split_host(const char *host, int *port);

/*
 * The label git-credential-libsecret gives its items:
 * "Git: <protocol>://<server>[:<port>]/<path>", server and port from
 * credential_split_host(), path "" when absent, and "(null)" for an absent
 * protocol or host (what glibc prints for libsecret).  Heap string, free().
 */
char	*credential_label(const struct credential *c);

/*
 * Our own protocol: "protocol=ldrelay" with host = relay config name or id
 * (e.g. from url=ldrelay://prod).  Returns CREDENTIAL_NOT_OURS when the
 * protocol is absent or not exactly "ldrelay" (a helper configured for all
 * hosts must stay silent for those), 0 with *target pointing into c->host
 * (borrowed) and *is_id (may be NULL) set when it is a 24-hex-digit
 * config id, or -1 with EX_DATAERR when the host is absent, empty, longer
 * than 256 bytes or contains a control byte or '/', or when a non-empty
 * path is present.
 */
int	credential_ldrelay_target(const struct credential *c,
	    const char **target, int *is_id, struct ldrt_err *e);
/* 1 if s is a relay config id: exactly 24 hexadecimal digits. */
int	credential_ldrelay_is_id(const char *s);

#endif /* LDRT_CREDENTIAL_H */
