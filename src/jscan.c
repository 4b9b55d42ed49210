/*
 * jscan.c: a validating pull scanner over an in-memory JSON document; see
 * jscan.h.  Written for the relay config list, where building a json-c
 * tree of 5 000 configs cost ten times the rest of "list" (issue 10):
 * json-c has no event interface, and yajl, which has one, is no longer
 * maintained.  Strings are scanned with a byte class table and decoded
 * only when a caller wants the text.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ldrt.h"
#include "jscan.h"

#define JSCAN_TRUNCATED	"unexpected end of input"

/* Byte classes inside a string. */
enum { JC_PLAIN, JC_QUOTE, JC_BACKSLASH, JC_CONTROL, JC_HIGH };

#define JC_ROW(c)	c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c
#define P	JC_PLAIN
static const unsigned char jscan_class[256] = {
	JC_ROW(JC_CONTROL), JC_ROW(JC_CONTROL),
	P, P, JC_QUOTE, P, P, P, P, P, P, P, P, P, P, P, P, P,	/* 0x20 */
	JC_ROW(P), JC_ROW(P),
	P, P, P, P, P, P, P, P, P, P, P, P, JC_BACKSLASH, P, P, P, /* 0x50 */
	JC_ROW(P), JC_ROW(P),
	JC_ROW(JC_HIGH), JC_ROW(JC_HIGH), JC_ROW(JC_HIGH), JC_ROW(JC_HIGH),
	JC_ROW(JC_HIGH), JC_ROW(JC_HIGH), JC_ROW(JC_HIGH), JC_ROW(JC_HIGH)
};
#undef P
#undef JC_ROW

static int	jscan_fail(struct jscan *, const char *, const char *);
static void	jscan_ws(struct jscan *);
static int	jscan_string(struct jscan *, struct jscan_str *);
static size_t	jscan_utf8(const unsigned char *, const unsigned char *, int *);
static int	jscan_number(struct jscan *, int *);
static int	jscan_literal(struct jscan *, const char *, size_t);
static int	jscan_open(struct jscan *, char);
static int	jscan_next(struct jscan *, char);
static int	jscan_hex4(const char *, const char *, unsigned *);
static size_t	jscan_put_utf8(char *, unsigned);

void
jscan_init(struct jscan *s, const char *buf, size_t len, int max_depth)
{
	memset(s, 0, sizeof(*s));
	s->start = s->p = buf;
	s->end = buf + len;
	if (max_depth < 2)
		max_depth = 2;
	if (max_depth > JSCAN_MAX_DEPTH)
		max_depth = JSCAN_MAX_DEPTH;
	s->max_depth = max_depth;
}

/* Records the first error only; at the end of input it is a truncation. */
static int
jscan_fail(struct jscan *s, const char *at, const char *what)
{
	if (s->err != NULL)
		return -1;
	s->truncated = at >= s->end;
	s->err = s->truncated ? JSCAN_TRUNCATED : what;
	s->err_off = (size_t)(at - s->start);
	return -1;
}

static void
jscan_ws(struct jscan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' ||
	    *s->p == '\r' || *s->p == '\t'))
		s->p++;
}

enum jscan_type
jscan_peek(struct jscan *s)
{
	if (s->err != NULL)
		return JSCAN_NONE;
	jscan_ws(s);
	if (s->p == s->end) {
		jscan_fail(s, s->p, NULL);
		return JSCAN_NONE;
	}
	switch (*s->p) {
	case '{':
		return JSCAN_OBJECT;
	case '[':
		return JSCAN_ARRAY;
	case '"':
		return JSCAN_STRING;
	case 't':
		return JSCAN_TRUE;
	case 'f':
		return JSCAN_FALSE;
	case 'n':
		return JSCAN_NULL;
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return JSCAN_NUMBER;
		jscan_fail(s, s->p, "unexpected character");
		return JSCAN_NONE;
	}
}

/*
 * Length of the UTF-8 sequence at p (RFC 3629, Unicode table 3-7), or 0
 * if it is invalid; *trunc when the input ends inside it.
 */
static size_t
jscan_utf8(const unsigned char *p, const unsigned char *end, int *trunc)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	*trunc = 0;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if (p + i >= end) {
			*trunc = 1;
			return 0;
		}
		if (p[i] < lo || p[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

/* Four hex digits at p: 0, -1 if one is not a hex digit, 1 if the input
 * ends first. */
static int
jscan_hex4(const char *p, const char *end, unsigned *out)
{
	unsigned v = 0, d;
	int i;

	for (i = 0; i < 4; i++) {
		if (p + i >= end)
			return 1;
		if (p[i] >= '0' && p[i] <= '9')
			d = (unsigned)(p[i] - '0');
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = (unsigned)(p[i] - 'a' + 10);
		else if (p[i] >= 'A' && p[i] <= 'F')
			d = (unsigned)(p[i] - 'A' + 10);
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/* The string at the cursor (on its opening quote). */
static int
jscan_string(struct jscan *s, struct jscan_str *str)
{
	const unsigned char *p = (const unsigned char *)s->p + 1;
	const unsigned char *end = (const unsigned char *)s->end;
	unsigned cp;
	size_t n;
	int r, trunc;

	str->escaped = 0;
	for (;;) {
		while (p < end && jscan_class[*p] == JC_PLAIN)
			p++;
		if (p == end)
			return jscan_fail(s, s->end, NULL);
		switch (jscan_class[*p]) {
		case JC_QUOTE:
			str->raw = s->p + 1;
			str->len = (size_t)((const char *)p - str->raw);
			s->p = (const char *)p + 1;
			return 0;
		case JC_BACKSLASH:
			str->escaped = 1;
			if (p + 1 == end)
				return jscan_fail(s, s->end, NULL);
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				p += 2;
				continue;
			case 'u':
				r = jscan_hex4((const char *)p + 2,
				    (const char *)end, &cp);
				if (r > 0)
					return jscan_fail(s, s->end, NULL);
				if (r < 0)
					return jscan_fail(s, (const char *)p,
					    "invalid \\u escape");
				p += 6;
				continue;
			default:
				return jscan_fail(s, (const char *)p,
				    "invalid escape in string");
			}
		case JC_CONTROL:
			return jscan_fail(s, (const char *)p,
			    "control character in string");
		default:
			if ((n = jscan_utf8(p, end, &trunc)) == 0)
				return trunc ? jscan_fail(s, s->end, NULL) :
				    jscan_fail(s, (const char *)p,
				    "invalid UTF-8 in string");
			p += n;
		}
	}
}

static int
jscan_number(struct jscan *s, int *is_int)
{
	const char *p = s->p, *end = s->end;

	*is_int = 1;
	if (*p == '-')
		p++;
	if (p == end)
		return jscan_fail(s, p, NULL);
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	else
		return jscan_fail(s, p, "invalid number");
	if (p < end && *p == '.') {
		*is_int = 0;
		if (++p == end)
			return jscan_fail(s, p, NULL);
		if (*p < '0' || *p > '9')
			return jscan_fail(s, p, "invalid number");
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		*is_int = 0;
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end)
			return jscan_fail(s, p, NULL);
		if (*p < '0' || *p > '9')
			return jscan_fail(s, p, "invalid number");
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	s->p = p;
	return 0;
}

static int
jscan_literal(struct jscan *s, const char *lit, size_t n)
{
	size_t left = (size_t)(s->end - s->p);

	if (left < n && memcmp(s->p, lit, left) == 0)
		return jscan_fail(s, s->end, NULL);
	if (left < n || memcmp(s->p, lit, n) != 0)
		return jscan_fail(s, s->p, "invalid literal");
	s->p += n;
	return 0;
}

int
jscan_value(struct jscan *s, struct jscan_val *v)
{
	struct jscan_str key;
	struct jscan_val sub;
	int r = 0;

	memset(v, 0, sizeof(*v));
	v->type = jscan_peek(s);
	v->start = s->p;
	switch (v->type) {
	case JSCAN_NONE:
		return -1;
	case JSCAN_OBJECT:
		if (jscan_object(s) != 0)
			return -1;
		while ((r = jscan_member(s, &key)) == 1)
			if (jscan_value(s, &sub) != 0)
				return -1;
		break;
	case JSCAN_ARRAY:
		if (jscan_array(s) != 0)
			return -1;
		while ((r = jscan_element(s)) == 1)
			if (jscan_value(s, &sub) != 0)
				return -1;
		break;
	case JSCAN_STRING:
		r = jscan_string(s, &v->str);
		break;
	case JSCAN_NUMBER:
		r = jscan_number(s, &v->is_int);
		break;
	case JSCAN_TRUE:
		r = jscan_literal(s, "true", 4);
		break;
	case JSCAN_FALSE:
		r = jscan_literal(s, "false", 5);
		break;
	case JSCAN_NULL:
		r = jscan_literal(s, "null", 4);
		break;
	}
	if (r < 0)
		return -1;
	v->len = (size_t)(s->p - v->start);
	return 0;
}

/* Enters a container opened by c ('{' or '['). */
static int
jscan_open(struct jscan *s, char c)
{
	if (jscan_peek(s) == JSCAN_NONE)
		return -1;
	if (*s->p != c)
		return jscan_fail(s, s->p, c == '{' ? "expected an object" :
		    "expected an array");
	if (s->depth + 1 >= s->max_depth)
		return jscan_fail(s, s->p, "nesting too deep");
	s->depth++;
	s->first |= UINT64_C(1) << s->depth;
	s->p++;
	return 0;
}

int
jscan_object(struct jscan *s)
{
	return jscan_open(s, '{');
}

int
jscan_array(struct jscan *s)
{
	return jscan_open(s, '[');
}

/* Moves past the separator before the next entry of a container closed
 * by c: 1 when an entry follows, 0 after the closing bracket. */
static int
jscan_next(struct jscan *s, char c)
{
	uint64_t bit = UINT64_C(1) << s->depth;

	if (s->err != NULL)
		return -1;
	if (s->depth == 0)
		return jscan_fail(s, s->p, "not inside a container");
	jscan_ws(s);
	if (s->p == s->end)
		return jscan_fail(s, s->p, NULL);
	if (*s->p == c) {
		s->p++;
		s->first &= ~bit;
		s->depth--;
		return 0;
	}
	if (s->first & bit) {
		s->first &= ~bit;
		return 1;
	}
	if (*s->p != ',')
		return jscan_fail(s, s->p, c == '}' ? "expected ',' or '}'" :
		    "expected ',' or ']'");
	s->p++;
	return 1;
}

int
jscan_member(struct jscan *s, struct jscan_str *key)
{
	int r;

	if ((r = jscan_next(s, '}')) != 1)
		return r;
	jscan_ws(s);
	if (s->p == s->end)
		return jscan_fail(s, s->p, NULL);
	if (*s->p != '"')
		return jscan_fail(s, s->p, "expected a quoted member name");
	if (jscan_string(s, key) != 0)
		return -1;
	jscan_ws(s);
	if (s->p == s->end)
		return jscan_fail(s, s->p, NULL);
	if (*s->p != ':')
		return jscan_fail(s, s->p, "expected ':' after a member name");
	s->p++;
	return 1;
}

int
jscan_element(struct jscan *s)
{
	return jscan_next(s, ']');
}

int
jscan_end(struct jscan *s)
{
	if (s->err != NULL)
		return -1;
	jscan_ws(s);
	if (s->p != s->end) {
		jscan_fail(s, s->p, "trailing data");
		s->truncated = 0;
		return -1;
	}
	return 0;
}

static size_t
jscan_put_utf8(char *d, unsigned cp)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | cp >> 12);
		d[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | cp >> 18);
	d[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	d[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The input was validated by jscan_string, so every escape is complete. */
size_t
jscan_decode(const struct jscan_str *str, char *dst)
{
	const char *p = str->raw, *end = str->raw + str->len;
	unsigned cp = 0, lo = 0;
	size_t n = 0;

	if (!str->escaped) {
		memcpy(dst, p, str->len);
		dst[str->len] = '\0';
		return str->len;
	}
	while (p < end) {
		if (*p != '\\') {
			dst[n++] = *p++;
			continue;
		}
		switch (p[1]) {
		case 'b': dst[n++] = '\b'; break;
		case 'f': dst[n++] = '\f'; break;
		case 'n': dst[n++] = '\n'; break;
		case 'r': dst[n++] = '\r'; break;
		case 't': dst[n++] = '\t'; break;
		case 'u':
			(void)jscan_hex4(p + 2, end, &cp);
			p += 6;
			if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 6 &&
			    p[0] == '\\' && p[1] == 'u' &&
			    jscan_hex4(p + 2, end, &lo) == 0 &&
			    lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			} else if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;	/* unpaired, as json-c */
			n += jscan_put_utf8(dst + n, cp);
			continue;
		default:	/* '"', '\\', '/' */
			dst[n++] = p[1];
			break;
		}
		p += 2;
	}
	dst[n] = '\0';
	return n;
}

int
jscan_str_is(const struct jscan_str *str, const char *name)
{
	char buf[128], *d;
	int r;

	if (!str->escaped)
		return str->len == strlen(name) &&
		    memcmp(str->raw, name, str->len) == 0;
	d = str->len < sizeof(buf) ? buf : xmalloc(str->len + 1);
	jscan_decode(str, d);
	r = strcmp(d, name) == 0;
	if (d != buf)
		free(d);
	return r;
}

int64_t
jscan_int64(const struct jscan_val *v)
{
	const char *p = v->start, *end = v->start + v->len;
	uint64_t m = 0, lim;
	int neg = 0;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (m > (lim - (uint64_t)(*p - '0')) / 10)
			return neg ? INT64_MIN : INT64_MAX;
		m = m * 10 + (uint64_t)(*p - '0');
	}
	if (neg)
		return m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
	return (int64_t)m;
}

char *
jscan_compact(const struct jscan_val *v)
{
	const char *p = v->start, *end = v->start + v->len;
	char *out = xmalloc(v->len + 1), *d = out;
	int in = 0;

	for (; p < end; p++) {
		if (in) {
			*d++ = *p;
			if (*p == '\\')
				*d++ = *++p;
			else if (*p == '"')
				in = 0;
		} else if (*p != ' ' && *p != '\n' && *p != '\r' &&
		    *p != '\t') {
			*d++ = *p;
			in = *p == '"';
		}
	}
	*d = '\0';
	return out;
}
