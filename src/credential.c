/*
 * credential.c: git's credential-helper protocol, parse, match and format.
 *
 * Pure: credential_parse() and credential_format_get() work on buffers so
 * that unit tests and the fuzzer drive them without I/O; only
 * credential_read_fd() touches a file descriptor, and only to fill a
 * capped secret buffer for the parser.  The decisions (CR handling, url=,
 * booleans) are documented in include/credential.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "credential.h"
#include "secret.h"

/* Longest relay name or id we accept in an ldrelay request. */
#define CREDENTIAL_TARGET_MAX	256

enum credential_kind {
	KIND_STRING,		/* plain string field */
	KIND_SECRET,		/* string field wiped on release */
	KIND_BOOL,
	KIND_EXPIRY,
	KIND_LIST,		/* key[] */
	KIND_URL
};

struct credential_key {
	const char		*name;
	enum credential_kind	 kind;
	size_t			 off;	/* offset of the field in the struct */
};

#define FIELD(f) offsetof(struct credential, f)
static const struct credential_key credential_keys[] = {
	{ "protocol", KIND_STRING, FIELD(protocol) },
	{ "host", KIND_STRING, FIELD(host) },
	{ "path", KIND_STRING, FIELD(path) },
	{ "username", KIND_STRING, FIELD(username) },
	{ "password", KIND_SECRET, FIELD(password) },
	{ "oauth_refresh_token", KIND_SECRET, FIELD(oauth_refresh_token) },
	{ "password_expiry_utc", KIND_EXPIRY, FIELD(password_expiry_utc) },
	{ "quit", KIND_BOOL, FIELD(quit) },
	{ "ephemeral", KIND_BOOL, FIELD(ephemeral) },
	{ "capability[]", KIND_LIST, FIELD(capability) },
	{ "wwwauth[]", KIND_LIST, FIELD(wwwauth) },
	{ "url", KIND_URL, 0 },
};
#undef FIELD

static void	list_release(struct credential_list *l);
static int	list_update(struct credential_list *l, const char *v,
		    size_t n, const char *key, struct ldrt_err *e);
static int	parse_bool(const char *v, size_t n, int *out);
static int	parse_expiry(const char *v, size_t n, int64_t *out);
static int	hexval(int ch);
static int	url_decode(const char *s, size_t n, int secret, char **out);
static int	url_parse(struct credential *c, const char *url, size_t n,
		    struct ldrt_err *e);
static const struct credential_key *key_lookup(const char *k, size_t n);
static int	parse_line(struct credential *c, const char *line,
		    size_t len, size_t lineno, struct ldrt_err *e);
static int	value_ok(const char *v);
static int	append_item(struct secbuf *b, const char *key,
		    const char *value, struct ldrt_err *e);
static int	str_eq(const char *a, const char *b);
static int	secret_eq(const char *a, const char *b);
static int	input_complete(const char *buf, size_t len, size_t *scan);

void
credential_init(struct credential *c)
{
	static const struct credential blank = CREDENTIAL_INIT;

	*c = blank;
}

void
credential_release(struct credential *c)
{
	if (c == NULL)
		return;
	free(c->protocol);
	free(c->host);
	free(c->path);
	free(c->username);
	secret_free(c->password);
	secret_free(c->oauth_refresh_token);
	list_release(&c->capability);
	list_release(&c->wwwauth);
}

void
credential_clear(struct credential *c)
{
	if (c == NULL)
		return;
	credential_release(c);
	credential_init(c);
}

static void
list_release(struct credential_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* key[]=value appends; key[]= (empty) clears the list. */
static int
list_update(struct credential_list *l, const char *v, size_t n,
    const char *key, struct ldrt_err *e)
{
	if (n == 0) {
		list_release(l);
		return 0;
	}
	if (l->n >= CREDENTIAL_LIST_MAX)
		return err_set(e, EX_DATAERR,
		    "more than %d '%s' credential lines", CREDENTIAL_LIST_MAX,
		    key);
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = xstrndup(v, n);
	return 0;
}

/* git_config_bool(): true/yes/on, false/no/off, "" false, integers. */
static int
parse_bool(const char *v, size_t n, int *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	size_t i;
	int nonzero = 0;

	if (n == 0) {
		*out = 0;
		return 0;
	}
	for (i = 0; i < LDRT_ARRAY_SIZE(yes); i++) {
		if (n == strlen(yes[i]) && strncasecmp(v, yes[i], n) == 0) {
			*out = 1;
			return 0;
		}
		if (n == strlen(no[i]) && strncasecmp(v, no[i], n) == 0) {
			*out = 0;
			return 0;
		}
	}
	/* an integer: optional sign, then at most 18 digits */
	i = (v[0] == '-' || v[0] == '+') ? 1 : 0;
	if (i == n || n - i > 18)
		return -1;
	for (; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (v[i] != '0')
			nonzero = 1;
	}
	*out = nonzero;
	return 0;
}

/* Decimal digits that fit int64_t; 0 means absent (git: never expires). */
static int
parse_expiry(const char *v, size_t n, int64_t *out)
{
	int64_t t = 0;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (t > (INT64_MAX - (v[i] - '0')) / 10)
			return -1;
		t = t * 10 + (v[i] - '0');
	}
	*out = t;
	return 0;
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * git's url_decode_mem(): "%XX" with two hex digits becomes that byte,
 * anything else (including "+" and a stray "%") is copied.  A result
 * holding NUL, "\n" or "\r" is refused (-1): git refuses "\n"; NUL would
 * truncate the string; "\r" for the reasons in credential.h.
 */
static int
url_decode(const char *s, size_t n, int secret, char **out)
{
	char *d;
	size_t i, j = 0;
	int hi, lo, bad = 0;

	d = xmalloc(n + 1);
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)s[i + 2])) >= 0) {
			d[j] = (char)(hi << 4 | lo);
			i += 2;
		} else
			d[j] = s[i];
		if (d[j] == '\0' || d[j] == '\n' || d[j] == '\r')
			bad = 1;
		j++;
	}
	d[j] = '\0';
	if (bad) {
		if (secret)
			secret_wipe(d, j);
		free(d);
		return -1;
	}
	*out = d;
	return 0;
}

/*
 * git's credential_from_url_1() without partial URLs:
 *   (1) proto://<host>/...
 *   (2) proto://<user>@<host>/...
 *   (3) proto://<user>:<pass>@<host>/...
 * url is n bytes, NUL-free, not NUL-terminated.
 */
static int
url_parse(struct credential *c, const char *url, size_t n,
    struct ldrt_err *e)
{
	const char *end = url + n, *cp, *at, *colon, *slash, *host, *p;
	char *path = NULL;
	size_t plen;
	int r = -1;

	credential_clear(c);
	cp = NULL;
	for (p = url; p + 3 <= end; p++)
		if (memcmp(p, "://", 3) == 0) {
			cp = p;
			break;
		}
	if (cp == NULL || cp == url)
		return err_set(e, EX_DATAERR,
		    "credential url cannot be parsed: no scheme");
	c->protocol = xstrndup(url, cp - url);
	cp += 3;
	for (slash = cp; slash < end; slash++)
		if (*slash == '/' || *slash == '?' || *slash == '#')
			break;
	at = memchr(cp, '@', end - cp);
	colon = memchr(cp, ':', end - cp);

	if (at == NULL || slash <= at)
		host = cp;
	else if (colon == NULL || at <= colon) {
		if (url_decode(cp, at - cp, 0, &c->username) != 0)
			goto bad;
		host = at + 1;
	} else {
		if (url_decode(cp, colon - cp, 0, &c->username) != 0 ||
		    url_decode(colon + 1, at - colon - 1, 1,
		    &c->password) != 0)
			goto bad;
		host = at + 1;
	}
	if (url_decode(host, slash - host, 0, &c->host) != 0)
		goto bad;
	while (slash < end && *slash == '/')
		slash++;
	if (slash < end) {
		if (url_decode(slash, end - slash, 0, &path) != 0)
			goto bad;
		plen = strlen(path);
		while (plen > 1 && path[plen - 1] == '/')
			path[--plen] = '\0';
		c->path = path;
	}
	r = 0;
 bad:
	if (r != 0) {
		credential_clear(c);
		return err_set(e, EX_DATAERR, "credential url cannot be "
		    "parsed: a component holds a NUL, newline or carriage "
		    "return");
	}
	return 0;
}

static const struct credential_key *
key_lookup(const char *k, size_t n)
{
	size_t i;

	for (i = 0; i < LDRT_ARRAY_SIZE(credential_keys); i++)
		if (strlen(credential_keys[i].name) == n &&
		    memcmp(credential_keys[i].name, k, n) == 0)
			return &credential_keys[i];
	return NULL;
}

/* One "key=value" line of len bytes, no "\n", no NUL. */
static int
parse_line(struct credential *c, const char *line, size_t len,
    size_t lineno, struct ldrt_err *e)
{
	const struct credential_key *k;
	const char *eq, *v;
	char **field;
	size_t vlen;
	int b;

	if ((eq = memchr(line, '=', len)) == NULL)
		return err_set(e, EX_DATAERR, "invalid credential line %zu "
		    "(no '=')", lineno);
	if ((k = key_lookup(line, eq - line)) == NULL)
		return 0;	/* unknown keys are ignored */
	v = eq + 1;
	vlen = len - (v - line);
	if (k->kind != KIND_LIST && memchr(v, '\r', vlen) != NULL)
		return err_set(e, EX_DATAERR, "credential value for '%s' "
		    "contains carriage return (line %zu)", k->name, lineno);

	field = (char **)((char *)c + k->off);
	switch (k->kind) {
	case KIND_STRING:
		free(*field);
		*field = xstrndup(v, vlen);
		break;
	case KIND_SECRET:
		secret_free(*field);
		*field = secret_strndup(v, vlen);
		break;
	case KIND_BOOL:
		if (parse_bool(v, vlen, &b) != 0)
			return err_set(e, EX_DATAERR, "bad boolean value for "
			    "'%s' (line %zu)", k->name, lineno);
		*(int *)((char *)c + k->off) = b;
		break;
	case KIND_EXPIRY:
		if (parse_expiry(v, vlen, &c->password_expiry_utc) != 0)
			return err_set(e, EX_DATAERR, "bad value for '%s' "
			    "(line %zu)", k->name, lineno);
		break;
	case KIND_LIST:
		return list_update((struct credential_list *)((char *)c +
		    k->off), v, vlen, k->name, e);
	case KIND_URL:
		return url_parse(c, v, vlen, e);
	}
	return 0;
}

int
credential_parse(const char *buf, size_t len, struct credential *c,
    size_t *consumed, struct ldrt_err *e)
{
	const char *line, *nl;
	size_t pos = 0, llen, lineno = 0;
	int r = -1;

	while (pos < len) {
		line = buf + pos;
		lineno++;
		nl = memchr(line, '\n', len - pos);
		llen = nl != NULL ? (size_t)(nl - line) : len - pos;
		/* the cap counts the newline, present or not */
		if (llen > CREDENTIAL_LINE_MAX - 1) {
			err_set(e, EX_DATAERR, "credential line %zu longer "
			    "than %d bytes", lineno, CREDENTIAL_LINE_MAX);
			goto out;
		}
		if (memchr(line, '\0', llen) != NULL) {
			err_set(e, EX_DATAERR, "NUL byte in credential line "
			    "%zu", lineno);
			goto out;
		}
		pos += llen + (nl != NULL ? 1 : 0);
		if (llen == 0)
			break;		/* blank line: end of the request */
		if (parse_line(c, line, llen, lineno, e) != 0)
			goto out;
	}
	if (consumed != NULL)
		*consumed = pos;
	r = 0;
 out:
	if (r != 0)
		credential_clear(c);
	return r;
}

/*
 * 1 when buf holds a whole request: a blank line (at the start or as
 * "\n\n").  *scan remembers how far we looked between calls.
 */
static int
input_complete(const char *buf, size_t len, size_t *scan)
{
	size_t i;

	if (len > 0 && buf[0] == '\n')
		return 1;
	for (i = *scan; i + 1 < len; i++)
		if (buf[i] == '\n' && buf[i + 1] == '\n')
			return 1;
	*scan = len > 0 ? len - 1 : 0;
	return 0;
}

int
credential_read_fd(int fd, struct credential *c, struct ldrt_err *e)
{
	struct secbuf *b;
	char chunk[4096];
	size_t scan = 0;
	ssize_t n;
	int r = -1, oerrno;

	b = secbuf_new(CREDENTIAL_INPUT_MAX);
	if (b == NULL)
		ldrt_fatal("out of memory");
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			oerrno = errno;
			err_set(e, EX_IOERR, "cannot read credential request: "
			    "%s", strerror(oerrno));
			goto out;
		}
		if (n == 0)
			break;
		if (secbuf_append(b, chunk, (size_t)n) != 0) {
			err_set(e, EX_DATAERR, "credential request longer "
			    "than %d bytes", CREDENTIAL_INPUT_MAX);
			goto out;
		}
		if (input_complete(secbuf_str(b), secbuf_len(b), &scan))
			break;
	}
	r = credential_parse(secbuf_str(b), secbuf_len(b), c, NULL, e);
 out:
	secret_wipe(chunk, sizeof(chunk));
	secbuf_free(b);
	return r;
}

/* No "\n" or "\r" (a C string cannot hold NUL). */
static int
value_ok(const char *v)
{
	return strpbrk(v, "\n\r") == NULL;
}

static int
append_item(struct secbuf *b, const char *key, const char *value,
    struct ldrt_err *e)
{
	size_t klen = strlen(key), vlen = strlen(value);

	if (!value_ok(value))
		return err_set(e, EX_DATAERR, "credential value for '%s' "
		    "contains a newline or carriage return", key);
	if (klen + 1 + vlen + 1 > CREDENTIAL_LINE_MAX)
		return err_set(e, EX_DATAERR, "credential value for '%s' is "
		    "too long", key);
	if (secbuf_append(b, key, klen) != 0 ||
	    secbuf_append(b, "=", 1) != 0 ||
	    secbuf_append(b, value, vlen) != 0 ||
	    secbuf_append(b, "\n", 1) != 0)
		return err_set(e, EX_SOFTWARE, "credential answer too long");
	return 0;
}

int
credential_format_get(const struct credential *a, char **out,
    struct ldrt_err *e)
{
	struct secbuf *b;
	char num[32];
	int r = -1;

	*out = NULL;
	b = secbuf_new(4 * CREDENTIAL_LINE_MAX + 64);
	if (b == NULL)
		ldrt_fatal("out of memory");
	if (a->username != NULL &&
	    append_item(b, "username", a->username, e) != 0)
		goto out;
	if (a->password != NULL &&
	    append_item(b, "password", a->password, e) != 0)
		goto out;
	if (a->password_expiry_utc != 0) {
		snprintf(num, sizeof(num), "%lld",
		    (long long)a->password_expiry_utc);
		if (append_item(b, "password_expiry_utc", num, e) != 0)
			goto out;
	}
	if (a->oauth_refresh_token != NULL && append_item(b,
	    "oauth_refresh_token", a->oauth_refresh_token, e) != 0)
		goto out;
	if (a->quit && append_item(b, "quit", "1", e) != 0)
		goto out;
	*out = secbuf_detach(b);
	if (*out == NULL)
		ldrt_fatal("out of memory");
	r = 0;
 out:
	secbuf_free(b);
	return r;
}

/* want absent: wildcard; else have must be present and equal. */
static int
str_eq(const char *want, const char *have)
{
	return want == NULL || (have != NULL && strcmp(want, have) == 0);
}

/* Equality without an early exit on the first differing byte. */
static int
secret_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	volatile unsigned char d = 0;

	if (la != lb)
		return 0;
	for (i = 0; i < la; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return d == 0;
}

int
credential_match(const struct credential *want,
    const struct credential *have, int match_password)
{
	if (!str_eq(want->protocol, have->protocol) ||
	    !str_eq(want->host, have->host) ||
	    !str_eq(want->path, have->path) ||
	    !str_eq(want->username, have->username))
		return 0;
	if (match_password && want->password != NULL &&
	    (have->password == NULL ||
	    !secret_eq(want->password, have->password)))
		return 0;
	return 1;
}

int
credential_is_empty_pattern(const struct credential *c)
{
	return c->protocol == NULL && c->host == NULL && c->path == NULL &&
	    c->username == NULL;
}

int
credential_is_complete(const struct credential *c)
{
	return c->protocol != NULL && (c->host != NULL || c->path != NULL) &&
	    c->username != NULL && c->password != NULL;
}

char *
credential_split_host(const char *host, int *port)
{
	const char *colon, *bracket, *p;
	long v = 0;

	if (port != NULL)
		*port = 0;
	if (host == NULL)
		return NULL;
	colon = strrchr(host, ':');
	/* "[v6]" or "[v6]:port": only a ':' after the ']' separates */
	if (host[0] == '[' && (bracket = strchr(host, ']')) != NULL &&
	    (colon == NULL || colon < bracket))
		colon = NULL;
	if (colon == NULL)
		return xstrdup(host);
	for (p = colon + 1; *p >= '0' && *p <= '9' && v <= 65535; p++)
		v = v * 10 + (*p - '0');
	if (port != NULL && p != colon + 1 && *p == '\0' && v >= 1 &&
	    v <= 65535)
		*port = (int)v;
	return xstrndup(host, colon - host);
}

char *
credential_label(const struct credential *c)
{
	char *server, *label;
	const char *proto = c->protocol != NULL ? c->protocol : "(null)";
	const char *path = c->path != NULL ? c->path : "";
	int port;

	server = credential_split_host(c->host, &port);
	if (port != 0)
		label = xasprintf("Git: %s://%s:%d/%s", proto,
		    server != NULL ? server : "(null)", port, path);
	else
		label = xasprintf("Git: %s://%s/%s", proto,
		    server != NULL ? server : "(null)", path);
	free(server);
	return label;
}

int
credential_ldrelay_is_id(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (hexval((unsigned char)s[i]) < 0)
			return 0;
	return i == 24;
}

int
credential_ldrelay_target(const struct credential *c, const char **target,
    int *is_id, struct ldrt_err *e)
{
	const unsigned char *p;
	size_t n;

	*target = NULL;
	if (is_id != NULL)
		*is_id = 0;
	if (c->protocol == NULL || strcmp(c->protocol, "ldrelay") != 0)
		return CREDENTIAL_NOT_OURS;
	if (c->host == NULL || c->host[0] == '\0')
		return err_set(e, EX_DATAERR, "ldrelay credential request "
		    "without a relay name or id in 'host'");
	if ((n = strlen(c->host)) > CREDENTIAL_TARGET_MAX)
		return err_set(e, EX_DATAERR, "ldrelay relay name longer than "
		    "%d bytes", CREDENTIAL_TARGET_MAX);
	for (p = (const unsigned char *)c->host; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '/')
			return err_set(e, EX_DATAERR, "ldrelay relay name "
			    "contains a control character or '/'");
	if (c->path != NULL && c->path[0] != '\0')
		return err_set(e, EX_DATAERR, "ldrelay credential request "
		    "with a path; expected ldrelay://NAME-OR-ID");
	*target = c->host;
	if (is_id != NULL)
		*is_id = credential_ldrelay_is_id(c->host);
	return 0;
}
