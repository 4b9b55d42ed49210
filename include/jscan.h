/*
 * jscan.h: a validating pull scanner over a JSON document held in memory
 * (RFC 8259), for responses too large to build a json-c tree for: the
 * relay config list of an account with thousands of configs.  It allocates
 * nothing while scanning; values are slices of the caller's buffer, decoded
 * only when asked.
 *
 * Stricter than json-c's "strict" mode, never looser: no leading zeros,
 * no "1.", no NaN or Infinity, no raw control characters in strings, and
 * UTF-8 per RFC 3629 (no overlong forms, no surrogates, nothing above
 * U+10FFFF).  Decoding follows json-c so both parsers give the same text:
 * a \u escape of an unpaired surrogate becomes U+FFFD, and \u0000 a NUL.
 * Containers nest at most max_depth - 1 deep (json-c's rule for the same
 * depth).  tests/fuzz/fuzz_jscan.c checks every document it accepts
 * against json-c.
 *
 * Use: jscan_init, then jscan_peek to see what comes, jscan_object or
 * jscan_array to enter a container and jscan_member/jscan_element to walk
 * it, jscan_value to take (and validate) any whole value, jscan_end at the
 * end.  After a -1 the scanner is dead: err and err_off say what and where,
 * truncated that the document simply ended too early.
 */
#ifndef LDRT_JSCAN_H
#define LDRT_JSCAN_H

#include <stddef.h>
#include <stdint.h>

#define JSCAN_MAX_DEPTH	64

enum jscan_type {
	JSCAN_NONE,	/* nothing there: end of input or a syntax error */
	JSCAN_OBJECT,
	JSCAN_ARRAY,
	JSCAN_STRING,
	JSCAN_NUMBER,
	JSCAN_TRUE,
	JSCAN_FALSE,
	JSCAN_NULL
};

struct jscan {
	const char	*start;
	const char	*p;		/* next byte */
	const char	*end;
	int		 depth;		/* containers open */
	int		 max_depth;
	uint64_t	 first;		/* bit d: container d has no entry yet */
	const char	*err;		/* NULL, or a static description */
	size_t		 err_off;	/* offset of the offending byte */
	int		 truncated;	/* the input ended inside a value */
};

/* A string: the bytes between its quotes, as in the document. */
struct jscan_str {
	const char	*raw;
	size_t		 len;
	int		 escaped;	/* has a backslash: decode before use */
};

struct jscan_val {
	enum jscan_type	 type;
	const char	*start;		/* first byte of the value */
	size_t		 len;		/* its length in the document */
	struct jscan_str str;		/* JSCAN_STRING */
	int		 is_int;	/* JSCAN_NUMBER: no fraction, no exponent */
};

/* max_depth: 2 .. JSCAN_MAX_DEPTH (clamped). */
void	jscan_init(struct jscan *s, const char *buf, size_t len,
	    int max_depth);

/* Skips white space; the type of the value that starts there, or
 * JSCAN_NONE with the error set (nothing is consumed either way). */
enum jscan_type jscan_peek(struct jscan *s);

/* Takes one whole value of any type, checking all of it.  0 or -1. */
int	jscan_value(struct jscan *s, struct jscan_val *v);

/* Enters the object or array at the cursor.  0 or -1. */
int	jscan_object(struct jscan *s);
int	jscan_array(struct jscan *s);

/*
 * Next member of the innermost object: 1 with *key set and the cursor on
 * its value, which the caller must take (jscan_value, jscan_object, ...)
 * before the next call; 0 at the closing brace (consumed); -1 on error.
 */
int	jscan_member(struct jscan *s, struct jscan_str *key);
/* The same for arrays: 1 with the cursor on the next element, 0, -1. */
int	jscan_element(struct jscan *s);

/* After the top-level value: 0 if only white space remains, else -1. */
int	jscan_end(struct jscan *s);

/*
 * Decodes str into dst, which must have room for str->len + 1 bytes (a
 * decoded string is never longer); NUL-terminates it and returns the
 * decoded length, which counts any NUL bytes from \u0000.
 */
size_t	jscan_decode(const struct jscan_str *str, char *dst);

/* Whether the decoded key, read as a C string (as json-c stores keys),
 * equals name. */
int	jscan_str_is(const struct jscan_str *str, const char *name);

/*
 * The integer value of a JSCAN_NUMBER with is_int, saturated the way
 * json-c saturates: below INT64_MIN gives INT64_MIN, above INT64_MAX
 * gives INT64_MAX.
 */
int64_t	jscan_int64(const struct jscan_val *v);

/* A JSCAN_OBJECT or JSCAN_ARRAY value without its insignificant white
 * space, as a new string (xmalloc). */
char	*jscan_compact(const struct jscan_val *v);

#endif /* LDRT_JSCAN_H */
