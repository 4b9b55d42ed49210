/*
 * emit.c: output formats for handing a key to other programs (pure).
 *
 * Each format writes what its reader parses back to exactly the bytes of
 * the key, or refuses (EX_DATAERR) the value; it never produces something
 * another parser reads differently.  What each format carries was checked
 * against the real readers (tests/integration/t50-readers.sh): bash, node
 * --env-file and python-dotenv, systemd's own EnvironmentFile= parser,
 * docker's --env-file rules, python's json and a YAML parser.
 *
 * "Plain" values (non-empty, only A-Z a-z 0-9 _ - . / : + , @) are
 * written unquoted by shell, dotenv and systemd, so that an env file
 * holding an ordinary key ("rel-<uuid>") is read the same by every reader
 * (including docker's, which has no quoting at all).  Other values:
 *
 *   format       input            output                      refused
 *   raw          rel-1            rel-1\n                     \n \r
 *   shell        rel-1            export VAR=rel-1\n          (nothing but NUL)
 *                a b              export VAR='a b'\n
 *                it's             export VAR='it'\''s'\n
 *                (empty)          export VAR=''\n
 *                a\nb             export VAR='a<newline>b'\n
 *   dotenv       a b # $x "q"     VAR='a b # $x "q"'\n        ' \ ${ \n \r
 *                (empty)          VAR=''\n                    controls but
 *                                                             tab, DEL,
 *                                                             bad UTF-8
 *   systemd      a b              VAR="a b"\n                 \n \r controls
 *                a"b\c$d`e        VAR="a\"b\\c\$d\`e"\n       but tab, DEL,
 *                (empty)          VAR=""\n                    bad UTF-8, BOM,
 *                                                             noncharacters
 *   docker       a b #c 'q'       VAR=a b #c 'q'\n            \n \r, leading or
 *                (verbatim to the end of the line)            trailing space or
 *                                                             tab, bad UTF-8,
 *                                                             lines > 64 KiB
 *   json         a"b\c<TAB>é      "key":"a\"b\\c\té"          bad UTF-8
 *                (C0, DEL, C1, U+2028/9, U+FEFF, U+FFFE/F as \uXXXX)
 *   k8s-secret   as json: a JSON string is a YAML double-quoted scalar
 *                "VAR": "a\"b\\c\té"                          bad UTF-8
 *   curl-config  a"b\c            header = "Authorization: a\"b\\c"\n
 *                                                             bytes outside
 *                                                             0x20-0x7e,
 *                                                             empty, leading
 *                                                             or trailing
 *                                                             space
 *
 * Why the dotenv subset is small: node (20) takes a single-quoted value
 * verbatim up to the next ' and deletes every \r in the file; python-dotenv
 * decodes \\ and \' inside single quotes and expands ${NAME} even there.
 * Single quotes without ', \ and ${ read the same in both (and in bash).
 *
 * systemd double quotes: \ before one of " \ ` $ keeps that character
 * (systemd.exec(5), EnvironmentFile=); every other byte is literal, so
 * only those four are escaped.  Newlines would be kept by systemd but
 * break every other line-based reader, so they are refused.
 *
 * docker --env-file takes the value verbatim after the first '=' up to the
 * end of the line (Go's bufio.Scanner drops a final \r, lines over 64 KiB
 * are an error, the file must be UTF-8).  docker itself keeps leading and
 * trailing blanks, compose's env_file strips them: refused.
 *
 * Variable names: [A-Za-z_][A-Za-z0-9_]*, at most 128 bytes, for every
 * format (they are also valid Secret data keys).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emit.h"
#include "secret.h"

#define EMIT_VAR_MAX	128
#define EMIT_DOCKER_LINE_MAX 65535
#define EMIT_K8S_NAME_MAX 253
#define EMIT_K8S_NS_MAX	63

/* A growable output buffer that grows by allocate-copy-wipe. */
struct obuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};
#define OBUF_INIT { NULL, 0, 0 }

static void	 obuf_add(struct obuf *, const void *, size_t);
static void	 obuf_adds(struct obuf *, const char *);
static void	 obuf_addc(struct obuf *, char);
static void	 obuf_release(struct obuf *);
static char	*obuf_detach(struct obuf *);
static int	 utf8_next(const unsigned char *, size_t, unsigned long *);
static const char *check_utf8(const char *);
static int	 is_plain(const char *);
static const char *check_raw(const char *);
static const char *check_dotenv(const char *);
static const char *check_systemd(const char *);
static const char *check_docker(const char *, size_t);
static const char *check_curl(const char *);
static void	 quote_sq(struct obuf *, const char *);
static void	 quote_systemd(struct obuf *, const char *);
static void	 quote_json(struct obuf *, const char *);
static void	 json_field(struct obuf *, const char *, const char *, int);
static void	 format_rfc3339(int64_t, char *, size_t);
static int	 check_k8s_name(const char *);
static int	 check_k8s_label(const char *, size_t);
static int	 render_json(const struct emit_input *, const char *,
		    struct obuf *, struct ldrt_err *);
static int	 render_k8s(const struct emit_input *, const char *,
		    struct obuf *, struct ldrt_err *);
static int	 render_curl(const struct emit_input *, struct obuf *,
		    struct ldrt_err *);

static const char *const emit_names[] = {
	[EMIT_RAW] = "raw",
	[EMIT_SHELL] = "shell",
	[EMIT_DOTENV] = "dotenv",
	[EMIT_SYSTEMD] = "systemd",
	[EMIT_DOCKER] = "docker",
	[EMIT_JSON] = "json",
	[EMIT_K8S_SECRET] = "k8s-secret",
	[EMIT_CURL_CONFIG] = "curl-config",
};

static void
obuf_add(struct obuf *b, const void *s, size_t n)
{
	char *np;
	size_t ncap;

	if (b->len + n + 1 > b->cap) {
		ncap = b->cap == 0 ? 128 : b->cap;
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
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
obuf_adds(struct obuf *b, const char *s)
{
	obuf_add(b, s, strlen(s));
}

static void
obuf_addc(struct obuf *b, char c)
{
	obuf_add(b, &c, 1);
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

static char *
obuf_detach(struct obuf *b)
{
	char *p;

	if (b->p == NULL)
		obuf_add(b, "", 0);
	p = b->p;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

/*
 * Decodes one UTF-8 sequence at s (n bytes available) into *cp; returns
 * its length, or -1 for an invalid, overlong, surrogate or out-of-range
 * sequence.
 */
static int
utf8_next(const unsigned char *s, size_t n, unsigned long *cp)
{
	unsigned long c, min;
	int len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		return -1;
	if ((size_t)len > n)
		return -1;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	return len;
}

static const char *
check_utf8(const char *v)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t n = strlen(v);
	unsigned long cp;
	int l;

	while (n > 0) {
		if ((l = utf8_next(s, n, &cp)) < 0)
			return "it is not valid UTF-8";
		s += l;
		n -= l;
	}
	return NULL;
}

static int
is_plain(const char *v)
{
	const char *p;

	if (*v == '\0')
		return 0;
	for (p = v; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("_-./:+,@", *p) != NULL)
			continue;
		return 0;
	}
	return 1;
}

static const char *
check_raw(const char *v)
{
	if (strpbrk(v, "\n\r") != NULL)
		return "it contains a line break";
	return NULL;
}

static const char *
check_dotenv(const char *v)
{
	const unsigned char *p;

	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r')
			return "it contains a line break";
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return "it contains a control character";
		if (*p == '\'')
			return "it contains a single quote";
		if (*p == '\\')
			return "it contains a backslash";
		if (*p == '$' && p[1] == '{')
			return "it contains '${'";
	}
	return check_utf8(v);
}

static const char *
check_systemd(const char *v)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t n = strlen(v);
	unsigned long cp;
	int l;

	while (n > 0) {
		if ((l = utf8_next(s, n, &cp)) < 0)
			return "it is not valid UTF-8";
		if (cp == '\n' || cp == '\r')
			return "it contains a line break";
		if ((cp < 0x20 && cp != '\t') || cp == 0x7f)
			return "it contains a control character";
		if (cp == 0xfeff || (cp >= 0xfdd0 && cp <= 0xfdef) ||
		    (cp & 0xfffe) == 0xfffe)
			return "it contains a byte order mark or noncharacter";
		s += l;
		n -= l;
	}
	return NULL;
}

static const char *
check_docker(const char *v, size_t linelen)
{
	size_t n = strlen(v);

	if (strpbrk(v, "\n\r") != NULL)
		return "it contains a line break";
	if (n > 0 && (strchr(" \t", v[0]) != NULL ||
	    strchr(" \t", v[n - 1]) != NULL))
		return "it starts or ends with a blank";
	if (linelen > EMIT_DOCKER_LINE_MAX)
		return "the line would be longer than 64 KiB";
	return check_utf8(v);
}

static const char *
check_curl(const char *v)
{
	const unsigned char *p;

	size_t n = strlen(v);

	/* curl reads "Authorization:" with nothing after it as "remove the
	 * header", and HTTP drops blanks around a header value */
	if (n == 0)
		return "it is empty";
	if (v[0] == ' ' || v[n - 1] == ' ')
		return "it starts or ends with a space";
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return "it contains a byte outside printable ASCII";
	return NULL;
}

/* 'value' with ' written as '\'' (POSIX sh; git's sq_quote_buf()). */
static void
quote_sq(struct obuf *b, const char *v)
{
	obuf_addc(b, '\'');
	for (; *v != '\0'; v++) {
		if (*v == '\'')
			obuf_adds(b, "'\\''");
		else
			obuf_addc(b, *v);
	}
	obuf_addc(b, '\'');
}

/* "value" with " \ ` $ backslash-escaped (systemd.exec(5)). */
static void
quote_systemd(struct obuf *b, const char *v)
{
	obuf_addc(b, '"');
	for (; *v != '\0'; v++) {
		if (strchr("\"\\`$", *v) != NULL)
			obuf_addc(b, '\\');
		obuf_addc(b, *v);
	}
	obuf_addc(b, '"');
}

/*
 * A JSON string (RFC 8259) that is also a YAML 1.1/1.2 double-quoted
 * scalar: " and \ escaped, C0 controls as \b \t \n \f \r or \u00XX, and
 * the characters YAML does not allow unescaped or JavaScript treats as
 * line ends (DEL, C1, U+2028/9, U+FEFF, U+FFFE/F) as \uXXXX.  The input
 * must be valid UTF-8 (checked by the caller).
 */
static void
quote_json(struct obuf *b, const char *v)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t n = strlen(v);
	unsigned long cp;
	char esc[8];
	int l;

	obuf_addc(b, '"');
	while (n > 0) {
		if ((l = utf8_next(s, n, &cp)) < 0)
			l = 1, cp = 0xfffd;	/* not reached: checked */
		if (cp == '"' || cp == '\\') {
			obuf_addc(b, '\\');
			obuf_addc(b, (char)cp);
		} else if (cp == '\b' || cp == '\t' || cp == '\n' ||
		    cp == '\f' || cp == '\r') {
			obuf_addc(b, '\\');
			obuf_addc(b, "btnfr"[cp == '\b' ? 0 : cp == '\t' ? 1 :
			    cp == '\n' ? 2 : cp == '\f' ? 3 : 4]);
		} else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
		    cp == 0x2028 || cp == 0x2029 || cp == 0xfeff ||
		    cp == 0xfffe || cp == 0xffff) {
			snprintf(esc, sizeof(esc), "\\u%04lx", cp);
			obuf_adds(b, esc);
		} else
			obuf_add(b, s, l);
		s += l;
		n -= l;
	}
	obuf_addc(b, '"');
}

/* ,"name":"value" or ,"name":null (no comma when first). */
static void
json_field(struct obuf *b, const char *name, const char *v, int first)
{
	if (!first)
		obuf_addc(b, ',');
	quote_json(b, name);
	obuf_addc(b, ':');
	if (v == NULL)
		obuf_adds(b, "null");
	else
		quote_json(b, v);
}

static void
format_rfc3339(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	int frac = (int)(ms % 1000);
	struct tm tm;

	if (frac < 0) {
		frac += 1000;
		t--;
	}
	gmtime_r(&t, &tm);
	if (frac != 0)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, frac);
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
}

/* One RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])? of n bytes. */
static int
check_k8s_label(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))
			continue;
		if (s[i] == '-' && i != 0 && i != n - 1)
			continue;
		return -1;
	}
	return 0;
}

/* An RFC 1123 DNS subdomain as Kubernetes checks object names. */
static int
check_k8s_name(const char *s)
{
	const char *dot;

	if (strlen(s) > EMIT_K8S_NAME_MAX)
		return -1;
	for (;;) {
		dot = strchr(s, '.');
		if (check_k8s_label(s, dot == NULL ? strlen(s) :
		    (size_t)(dot - s)) != 0)
			return -1;
		if (dot == NULL)
			return 0;
		s = dot + 1;
	}
}

int
emit_format_parse(const char *s, enum emit_format *f, struct ldrt_err *e)
{
	size_t i;

	for (i = 0; i < LDRT_ARRAY_SIZE(emit_names); i++) {
		if (strcmp(s, emit_names[i]) == 0) {
			*f = (enum emit_format)i;
			return 0;
		}
	}
	return err_set(e, EX_USAGE, "unknown format '%.64s' (raw, shell, "
	    "dotenv, systemd, docker, json, k8s-secret, curl-config)", s);
}

const char *
emit_format_name(enum emit_format f)
{
	if ((size_t)f >= LDRT_ARRAY_SIZE(emit_names))
		return "unknown";
	return emit_names[f];
}

int
emit_check_var(const char *var, struct ldrt_err *e)
{
	const char *p;

	if (var == NULL || *var == '\0')
		return err_set(e, EX_DATAERR, "empty variable name");
	if (strlen(var) > EMIT_VAR_MAX)
		return err_set(e, EX_DATAERR, "variable name longer than %d "
		    "bytes", EMIT_VAR_MAX);
	if (*var >= '0' && *var <= '9')
		goto bad;
	for (p = var; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '_')
			continue;
		goto bad;
	}
	return 0;
bad:
	return err_set(e, EX_DATAERR, "invalid variable name '%.64s' "
	    "(letters, digits and '_', not starting with a digit)", var);
}

int
emit_env_line(enum emit_format f, const char *var, const char *value,
    char **out, struct ldrt_err *e)
{
	struct obuf b = OBUF_INIT;
	const char *why = NULL;

	*out = NULL;
	if (emit_check_var(var, e) != 0)
		return -1;
	switch (f) {
	case EMIT_SHELL:
		break;
	case EMIT_DOTENV:
		why = check_dotenv(value);
		break;
	case EMIT_SYSTEMD:
		why = check_systemd(value);
		break;
	case EMIT_DOCKER:
		why = check_docker(value, strlen(var) + 1 + strlen(value));
		break;
	default:
		return err_set(e, EX_USAGE, "format '%s' is not an env file "
		    "format (dotenv, systemd, docker, shell)",
		    emit_format_name(f));
	}
	if (why != NULL)
		return err_set(e, EX_DATAERR, "the value of %s cannot be "
		    "written in %s format: %s", var, emit_format_name(f), why);
	if (f == EMIT_SHELL)
		obuf_adds(&b, "export ");
	obuf_adds(&b, var);
	obuf_addc(&b, '=');
	if (f == EMIT_DOCKER || is_plain(value))
		obuf_adds(&b, value);
	else if (f == EMIT_SYSTEMD)
		quote_systemd(&b, value);
	else
		quote_sq(&b, value);
	obuf_addc(&b, '\n');
	*out = obuf_detach(&b);
	return 0;
}

static int
render_json(const struct emit_input *in, const char *var, struct obuf *b,
    struct ldrt_err *e)
{
	const char *fields[] = { in->name, in->id, var, in->key,
	    in->display_key };
	char when[64];
	size_t i;

	for (i = 0; i < LDRT_ARRAY_SIZE(fields); i++)
		if (fields[i] != NULL && check_utf8(fields[i]) != NULL)
			return err_set(e, EX_DATAERR, "cannot write json: "
			    "%s is not valid UTF-8", i == 3 ? "the key" :
			    "a name or id");
	obuf_addc(b, '{');
	json_field(b, "name", in->name, 1);
	json_field(b, "id", in->id, 0);
	json_field(b, "var", var, 0);
	json_field(b, "key", in->key, 0);
	json_field(b, "display_key", in->display_key, 0);
	if (in->old_key_expires_ms >= 0) {
		format_rfc3339(in->old_key_expires_ms, when, sizeof(when));
		json_field(b, "old_key_expires_at", when, 0);
	} else
		json_field(b, "old_key_expires_at", NULL, 0);
	obuf_adds(b, "}\n");
	return 0;
}

static int
render_k8s(const struct emit_input *in, const char *var, struct obuf *b,
    struct ldrt_err *e)
{
	char *name = NULL;
	size_t i;
	int r = -1;

	if (in->k8s_name != NULL) {
		if (check_k8s_name(in->k8s_name) != 0) {
			err_set(e, EX_DATAERR, "invalid kubernetes secret name "
			    "'%.64s' (lower case RFC 1123 subdomain, at most "
			    "253 bytes)", in->k8s_name);
			goto out;
		}
		name = xstrdup(in->k8s_name);
	} else {
		if (in->name == NULL) {
			err_set(e, EX_USAGE, "a kubernetes secret needs a name "
			    "(--k8s-name)");
			goto out;
		}
		/* ld-relay-<name>, lower-cased, '_' as '-' */
		name = xasprintf("ld-relay-%s", in->name);
		for (i = 0; name[i] != '\0'; i++) {
			if (name[i] >= 'A' && name[i] <= 'Z')
				name[i] = name[i] - 'A' + 'a';
			else if (name[i] == '_')
				name[i] = '-';
		}
		if (check_k8s_name(name) != 0) {
			err_set(e, EX_DATAERR, "cannot make a kubernetes secret "
			    "name from relay name '%.64s' (use --k8s-name)",
			    in->name);
			goto out;
		}
	}
	if (in->k8s_namespace != NULL && (strlen(in->k8s_namespace) >
	    EMIT_K8S_NS_MAX || check_k8s_label(in->k8s_namespace,
	    strlen(in->k8s_namespace)) != 0)) {
		err_set(e, EX_DATAERR, "invalid kubernetes namespace '%.64s' "
		    "(lower case RFC 1123 label, at most 63 bytes)",
		    in->k8s_namespace);
		goto out;
	}
	if (check_utf8(in->key) != NULL) {
		err_set(e, EX_DATAERR, "cannot write a kubernetes secret: the "
		    "key is not valid UTF-8");
		goto out;
	}
	obuf_adds(b, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ");
	quote_json(b, name);
	if (in->k8s_namespace != NULL) {
		obuf_adds(b, "\n  namespace: ");
		quote_json(b, in->k8s_namespace);
	}
	obuf_adds(b, "\n  labels:\n    app.kubernetes.io/managed-by: "
	    "\"ld-relay-token\"\ntype: Opaque\nstringData:\n  ");
	quote_json(b, var);
	obuf_adds(b, ": ");
	quote_json(b, in->key);
	obuf_addc(b, '\n');
	r = 0;
out:
	free(name);
	return r;
}

static int
render_curl(const struct emit_input *in, struct obuf *b, struct ldrt_err *e)
{
	const char *why, *p;

	if ((why = check_curl(in->key)) != NULL)
		return err_set(e, EX_DATAERR, "the token cannot be written in "
		    "curl-config format: %s", why);
	obuf_adds(b, "header = \"Authorization: ");
	for (p = in->key; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			obuf_addc(b, '\\');
		obuf_addc(b, *p);
	}
	obuf_adds(b, "\"\n");
	return 0;
}

int
emit_render(enum emit_format f, const struct emit_input *in, char **out,
    struct ldrt_err *e)
{
	struct obuf b = OBUF_INIT;
	const char *var, *why;
	int r = -1;

	*out = NULL;
	if (in == NULL || in->key == NULL)
		return err_set(e, EX_SOFTWARE, "emit: no key");
	var = in->var != NULL ? in->var : EMIT_DEFAULT_VAR;
	switch (f) {
	case EMIT_SHELL:
	case EMIT_DOTENV:
	case EMIT_SYSTEMD:
	case EMIT_DOCKER:
		return emit_env_line(f, var, in->key, out, e);
	case EMIT_RAW:
		if ((why = check_raw(in->key)) != NULL) {
			err_set(e, EX_DATAERR, "the key cannot be written in raw "
			    "format: %s", why);
			goto out;
		}
		obuf_adds(&b, in->key);
		obuf_addc(&b, '\n');
		break;
	case EMIT_JSON:
		if (emit_check_var(var, e) != 0 ||
		    render_json(in, var, &b, e) != 0)
			goto out;
		break;
	case EMIT_K8S_SECRET:
		if (emit_check_var(var, e) != 0 ||
		    render_k8s(in, var, &b, e) != 0)
			goto out;
		break;
	case EMIT_CURL_CONFIG:
		if (render_curl(in, &b, e) != 0)
			goto out;
		break;
	default:
		err_set(e, EX_SOFTWARE, "emit: unknown format %d", (int)f);
		goto out;
	}
	*out = obuf_detach(&b);
	r = 0;
out:
	obuf_release(&b);
	return r;
}
