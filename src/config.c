/*
 * config.c: the INI configuration file and the XDG paths.
 *
 * GLib's GKeyFile checks the syntax and decodes values (escapes, ";" lists,
 * booleans).  It keeps no line numbers, merges repeated sections and lets
 * the last of a repeated key win, so a small scanner walks the same lines
 * the way GKeyFile does (leading blanks skipped, "#" comments, "[group]",
 * "key = value", CR before LF dropped) and drives the parse: every value
 * is looked up from the line that sets it, so every message can name the
 * file, the line and the key.  Rules on top of GKeyFile:
 *
 *   - "[profile NAME]" and "[relay NAME]" (NAME trimmed, not empty); any
 *     other section is a warning and its keys are ignored;
 *   - a section given twice, or a key given twice in one section, is an
 *     error (GKeyFile would silently merge or keep the last one, and an
 *     operator repeating env-file would lose a file without noticing);
 *     several env files are a list "env-file = /a;/b" or env-file-2,
 *     env-file-3 ... (in that numeric order, after env-file);
 *   - "#" after a blank starts a comment, also after a value, as in the
 *     example of DESIGN.md ("store = auto   # auto | ..."); "\#" is a
 *     literal "#"; trailing blanks of a value are dropped;
 *   - an empty value is the same as leaving the key out;
 *   - unknown keys are warnings, not errors.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "ldrt.h"
#include "envfile.h"
#include "ldrt_config.h"
#include "timeutil.h"

#define CONFIG_MAX_SIZE		(1024 * 1024)
#define CONFIG_MAX_WARNINGS	100
#define CONFIG_ENVFILE_MAX	999	/* env-file-2 ... env-file-999 */
#define PATHS_APP		"ld-relay-token"

enum config_line_kind {
	CONFIG_LINE_BLANK,	/* empty or comment */
	CONFIG_LINE_GROUP,
	CONFIG_LINE_KEY,
	CONFIG_LINE_BAD
};

/* One line as GKeyFile sees it. */
struct config_line {
	size_t			 lineno;	/* 1-based */
	enum config_line_kind	 kind;
	const char		*text;		/* line without CR LF */
	size_t			 len;
	const char		*name;		/* group or key name */
	size_t			 namelen;
	const char		*value;		/* KEY: after "=" and blanks */
};

struct config_scan {
	const char	*p;
	const char	*end;
	size_t		 lineno;
};

enum config_type {
	CT_STRING, CT_URL, CT_STORE, CT_TIMEOUT, CT_DURATION, CT_BOOL,
	CT_ENVFILE
};

struct config_key {
	const char		*name;
	enum config_type	 type;
	size_t			 off;
};

/* An env-file list waiting to be put in order (n: 1 for env-file). */
struct config_envfile {
	size_t	  relay;
	unsigned  n;
	char	**files;
};

/* Parser state. */
struct config_parser {
	const char		*path;
	GKeyFile		*kf;
	struct config		*c;
	size_t			 nwarnings;
	char			*group;		/* GKeyFile group name */
	int			 kind;		/* 'p', 'r' or 0 (ignored) */
	size_t			 idx;		/* into profiles or relays */
	GHashTable		*keys;		/* key -> line of this section */
	struct config_envfile	*envfiles;
	size_t			 nenvfiles;
};

static const struct config_key config_profile_keys[] = {
	{ "api-url",	CT_URL,		offsetof(struct config_profile, api_url) },
	{ "store",	CT_STORE,	offsetof(struct config_profile, store) },
	{ "ca-bundle",	CT_STRING,	offsetof(struct config_profile, ca_bundle) },
	{ "proxy",	CT_STRING,	offsetof(struct config_profile, proxy) },
	{ "timeout",	CT_TIMEOUT,	offsetof(struct config_profile, timeout) },
};

static const struct config_key config_relay_keys[] = {
	{ "profile",	CT_STRING,	offsetof(struct config_relay, profile) },
	{ "id",		CT_STRING,	offsetof(struct config_relay, id) },
	{ "policy",	CT_STRING,	offsetof(struct config_relay, policy) },
	{ "env-file",	CT_ENVFILE,	0 },
	{ "var",	CT_STRING,	offsetof(struct config_relay, var) },
	{ "format",	CT_STRING,	offsetof(struct config_relay, format) },
	{ "max-age",	CT_DURATION,	offsetof(struct config_relay, max_age) },
	{ "grace",	CT_DURATION,	offsetof(struct config_relay, grace) },
	{ "exec",	CT_STRING,	offsetof(struct config_relay, exec) },
	{ "exec-timeout", CT_DURATION,
	    offsetof(struct config_relay, exec_timeout) },
	{ "create-missing", CT_BOOL,
	    offsetof(struct config_relay, create_missing) },
};

static int	config_scan_next(struct config_scan *, struct config_line *);
static char	*config_strip_comments(const char *, size_t, size_t *);
static size_t	config_bad_line(const char *, size_t);
static void	config_add_warning(struct config *, char *);
static int	config_warn(struct config_parser *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	config_group_kind(const char *, size_t, char **);
static int	config_section(struct config_parser *,
		    const struct config_line *, struct ldrt_err *);
static const struct config_key *config_key_find(int, const char *,
		    unsigned *);
static int	config_key(struct config_parser *, const struct config_line *,
		    struct ldrt_err *);
static int	config_value(struct config_parser *, const struct config_key *,
		    const char *, unsigned, void *, struct ldrt_err *);
static int	config_envfile_list(struct config_parser *, const char *,
		    unsigned, struct ldrt_err *);
static void	config_envfiles_finish(struct config_parser *);
static int	config_envfile_cmp(const void *, const void *);
static int	config_read(const char *, char **, size_t *, struct stat *,
		    struct ldrt_err *);
static bool	config_text_ok(const char *);
static char	*config_escape_value(const char *);
static char	*config_edit(const char *, size_t, const char *,
		    const char *, const char *, size_t *);
static int	config_flock(int);
static int	config_lock_file(const char **, bool, char **, int *,
		    struct ldrt_err *);
static char	*config_edit_header(const char *, size_t, const char *,
		    const char *, size_t *);
static int	config_write_atomic(const char *, const char *, size_t,
		    struct ldrt_err *);
static char	*paths_dir(const char *, const char *);

/*
 * Scanning.
 */

static int
config_scan_next(struct config_scan *s, struct config_line *l)
{
	const char *nl, *p, *end, *q;

	if (s->p >= s->end)
		return 0;
	memset(l, 0, sizeof(*l));
	l->lineno = ++s->lineno;
	nl = memchr(s->p, '\n', (size_t)(s->end - s->p));
	end = nl != NULL ? nl : s->end;
	l->text = s->p;
	s->p = nl != NULL ? nl + 1 : s->end;
	if (end > l->text && end[-1] == '\r')
		end--;
	l->len = (size_t)(end - l->text);

	for (p = l->text; p < end && g_ascii_isspace(*p); p++)
		;
	if (p == end || *p == '#') {
		l->kind = CONFIG_LINE_BLANK;
		return 1;
	}
	if (*p == '[') {
		l->kind = CONFIG_LINE_BAD;
		q = memchr(p, ']', (size_t)(end - p));
		if (q == NULL)
			return 1;
		l->name = p + 1;
		l->namelen = (size_t)(q - p - 1);
		for (q++; q < end && (*q == ' ' || *q == '\t'); q++)
			;
		if (q == end)
			l->kind = CONFIG_LINE_GROUP;
		return 1;
	}
	q = memchr(p, '=', (size_t)(end - p));
	if (q == NULL || q == p) {
		l->kind = CONFIG_LINE_BAD;
		return 1;
	}
	l->kind = CONFIG_LINE_KEY;
	l->name = p;
	for (l->value = q + 1; l->value < end && g_ascii_isspace(*l->value);
	    l->value++)
		;
	while (q > p && g_ascii_isspace(q[-1]))
		q--;
	l->namelen = (size_t)(q - p);
	return 1;
}

/*
 * Copies data, dropping inline comments (a "#" after a blank) and the
 * blanks that end a value, and turning "\#" into "#".  Lines stay where
 * they are.
 */
static char *
config_strip_comments(const char *data, size_t len, size_t *outlen)
{
	struct config_scan s = { data, data + len, 0 };
	struct config_line l;
	const char *p, *end;
	char *out = xmalloc(len + 1), *o = out;
	size_t keep;

	while (config_scan_next(&s, &l)) {
		end = l.text + l.len;
		if (l.kind != CONFIG_LINE_KEY) {
			memcpy(o, l.text, (size_t)(s.p - l.text));
			o += s.p - l.text;
			continue;
		}
		memcpy(o, l.text, (size_t)(l.value - l.text));
		o += l.value - l.text;
		keep = (size_t)(o - out);
		for (p = l.value; p < end; p++) {
			if (*p == '\\' && p + 1 < end) {
				if (p[1] != '#')
					*o++ = *p;
				*o++ = *++p;
				keep = (size_t)(o - out);
			} else if (*p == '#' && p > l.value &&
			    g_ascii_isspace(p[-1]))
				break;
			else {
				*o++ = *p;
				if (!g_ascii_isspace(*p))
					keep = (size_t)(o - out);
			}
		}
		o = out + keep;
		if (s.p > end)		/* the line had a newline */
			*o++ = '\n';
	}
	*o = '\0';
	*outlen = (size_t)(o - out);
	return out;
}

/* The first line GKeyFile would reject (0: none found). */
static size_t
config_bad_line(const char *data, size_t len)
{
	struct config_scan s = { data, data + len, 0 };
	struct config_line l;
	size_t i;
	int ingroup = 0;

	while (config_scan_next(&s, &l)) {
		switch (l.kind) {
		case CONFIG_LINE_BAD:
			return l.lineno;
		case CONFIG_LINE_KEY:
			if (!ingroup)
				return l.lineno;
			break;
		case CONFIG_LINE_GROUP:
			if (l.namelen == 0)
				return l.lineno;
			for (i = 0; i < l.namelen; i++)
				if ((unsigned char)l.name[i] < 0x20 ||
				    l.name[i] == 0x7f || l.name[i] == '[')
					return l.lineno;
			ingroup = 1;
			break;
		case CONFIG_LINE_BLANK:
			break;
		}
	}
	return 0;
}

/*
 * Parsing.
 */

/* Appends w (taken over) to c->warnings. */
static void
config_add_warning(struct config *c, char *w)
{
	size_t n;

	for (n = 0; c->warnings[n] != NULL; n++)
		;
	c->warnings = xrealloc(c->warnings, (n + 2) * sizeof(*c->warnings));
	c->warnings[n++] = w;
	c->warnings[n] = NULL;
}

static int
config_warn(struct config_parser *cp, const char *fmt, ...)
{
	va_list ap;
	char *w;

	if (cp->nwarnings > CONFIG_MAX_WARNINGS)
		return 0;
	if (cp->nwarnings++ == CONFIG_MAX_WARNINGS)
		w = xasprintf("config '%s': more warnings not shown", cp->path);
	else {
		va_start(ap, fmt);
		if (vasprintf(&w, fmt, ap) < 0)
			ldrt_fatal("out of memory");
		va_end(ap);
	}
	config_add_warning(cp->c, w);
	return 0;
}

/*
 * "profile NAME" is 'p', "relay NAME" 'r' (*name: NAME trimmed, maybe
 * empty, to free), anything else 0.
 */
static int
config_group_kind(const char *group, size_t len, char **name)
{
	char *t = g_strstrip(g_strndup(group, len));
	int kind = 0;
	size_t n = 0;

	*name = NULL;
	if (strncmp(t, "profile", 7) == 0 &&
	    (t[7] == '\0' || g_ascii_isspace(t[7]))) {
		kind = 'p';
		n = 7;
	} else if (strncmp(t, "relay", 5) == 0 &&
	    (t[5] == '\0' || g_ascii_isspace(t[5]))) {
		kind = 'r';
		n = 5;
	}
	if (kind != 0)
		*name = xstrdup(g_strstrip(t + n));
	g_free(t);
	return kind;
}

static int
config_section(struct config_parser *cp, const struct config_line *l,
    struct ldrt_err *e)
{
	struct config *c = cp->c;
	const char *what;
	char *name;

	g_free(cp->group);
	cp->group = g_strndup(l->name, l->namelen);
	g_hash_table_remove_all(cp->keys);
	if ((cp->kind = config_group_kind(l->name, l->namelen, &name)) == 0)
		return config_warn(cp, "config '%s' line %zu: unknown section "
		    "[%s]", cp->path, l->lineno, cp->group);
	what = cp->kind == 'p' ? "profile" : "relay";
	if (*name == '\0') {
		free(name);
		return err_set(e, EX_CONFIG, "config '%s' line %zu: empty %s "
		    "name in [%s]", cp->path, l->lineno, what, cp->group);
	}
	if ((cp->kind == 'p' && config_profile(c, name) != NULL) ||
	    (cp->kind == 'r' && config_relay_by_name(c, name) != NULL)) {
		err_set(e, EX_CONFIG, "config '%s' line %zu: duplicate section "
		    "[%s %s]", cp->path, l->lineno, what, name);
		free(name);
		return -1;
	}
	if (cp->kind == 'p') {
		c->profiles = xrealloc(c->profiles,
		    (c->nprofiles + 1) * sizeof(*c->profiles));
		cp->idx = c->nprofiles++;
		memset(&c->profiles[cp->idx], 0, sizeof(*c->profiles));
		c->profiles[cp->idx].name = name;
	} else {
		c->relays = xrealloc(c->relays,
		    (c->nrelays + 1) * sizeof(*c->relays));
		cp->idx = c->nrelays++;
		memset(&c->relays[cp->idx], 0, sizeof(*c->relays));
		c->relays[cp->idx].name = name;
		c->relays[cp->idx].env_files = xcalloc(1, sizeof(char *));
		c->relays[cp->idx].max_age = -1;
		c->relays[cp->idx].grace = -1;
		c->relays[cp->idx].exec_timeout = -1;
	}
	return 0;
}

/* kind 'p' or 'r'; *n: the N of env-file-N (1 for env-file). */
static const struct config_key *
config_key_find(int kind, const char *key, unsigned *n)
{
	const struct config_key *keys = kind == 'p' ? config_profile_keys :
	    config_relay_keys;
	size_t i, nkeys = kind == 'p' ? LDRT_ARRAY_SIZE(config_profile_keys) :
	    LDRT_ARRAY_SIZE(config_relay_keys);
	const char *p;
	unsigned v = 0;

	*n = 1;
	for (i = 0; i < nkeys; i++)
		if (strcmp(keys[i].name, key) == 0)
			return &keys[i];
	if (kind != 'r' || strncmp(key, "env-file-", 9) != 0)
		return NULL;
	/* env-file-2 ... env-file-999, no leading zero */
	for (p = key + 9; *p >= '0' && *p <= '9' && v <= CONFIG_ENVFILE_MAX;
	    p++)
		v = v * 10 + (unsigned)(*p - '0');
	if (*p != '\0' || key[9] == '0' || v < 2 || v > CONFIG_ENVFILE_MAX)
		return NULL;
	*n = v;
	for (i = 0; i < nkeys; i++)
		if (keys[i].type == CT_ENVFILE)
			return &keys[i];
	return NULL;
}

static int
config_key(struct config_parser *cp, const struct config_line *l,
    struct ldrt_err *e)
{
	const struct config_key *k;
	GError *gerr = NULL;
	char *key, *value = NULL;
	void *base;
	gpointer first;
	unsigned n;
	int r = -1;

	if (cp->group == NULL) {
		/* GKeyFile refused this already; be safe */
		return err_set(e, EX_CONFIG, "config '%s' line %zu: key "
		    "outside any section", cp->path, l->lineno);
	}
	if (cp->kind == 0)
		return 0;
	key = g_strndup(l->name, l->namelen);
	if ((first = g_hash_table_lookup(cp->keys, key)) != NULL) {
		err_set(e, EX_CONFIG, "config '%s' line %zu: key '%s' repeated "
		    "in [%s] (first on line %zu)%s", cp->path, l->lineno, key,
		    cp->group, (size_t)GPOINTER_TO_SIZE(first),
		    strncmp(key, "env-file", 8) == 0 ?
		    "; list several files as env-file = /a;/b or use "
		    "env-file-2, env-file-3" : "");
		goto out;
	}
	g_hash_table_insert(cp->keys, g_strdup(key),
	    GSIZE_TO_POINTER(l->lineno));
	if ((k = config_key_find(cp->kind, key, &n)) == NULL) {
		r = config_warn(cp, "config '%s' line %zu: unknown key '%s' "
		    "in [%s]", cp->path, l->lineno, key, cp->group);
		goto out;
	}
	value = g_key_file_get_value(cp->kf, cp->group, key, &gerr);
	if (value == NULL) {
		err_set(e, EX_CONFIG, "config '%s' line %zu: key '%s': %s",
		    cp->path, l->lineno, key, gerr->message);
		goto out;
	}
	if (!g_utf8_validate(value, -1, NULL)) {
		err_set(e, EX_CONFIG, "config '%s' line %zu: key '%s': value "
		    "is not UTF-8", cp->path, l->lineno, key);
		goto out;
	}
	if (*value == '\0') {
		r = 0;			/* empty: not set */
		goto out;
	}
	base = cp->kind == 'p' ? (void *)&cp->c->profiles[cp->idx] :
	    (void *)&cp->c->relays[cp->idx];
	if (config_value(cp, k, key, n, (char *)base + k->off, e) != 0) {
		err_prefix(e, "config '%s' line %zu: key '%s'", cp->path,
		    l->lineno, key);
		if (e != NULL)
			e->ex = EX_CONFIG;	/* durations say EX_USAGE */
		goto out;
	}
	r = 0;
out:
	if (gerr != NULL)
		g_error_free(gerr);
	g_free(value);
	g_free(key);
	return r;
}

/* Stores the value of key k at field; messages without the prefix. */
static int
config_value(struct config_parser *cp, const struct config_key *k,
    const char *key, unsigned n, void *field, struct ldrt_err *e)
{
	GError *gerr = NULL;
	char *s, *raw = NULL;
	const char *p;
	int64_t d;
	long v = 0;
	gboolean b;
	int r = -1;

	if (k->type == CT_ENVFILE)
		return config_envfile_list(cp, key, n, e);
	if (k->type == CT_DURATION || k->type == CT_TIMEOUT ||
	    k->type == CT_BOOL)
		raw = g_key_file_get_value(cp->kf, cp->group, key, NULL);
	/* GLib returns the raw value even when it sets gerr */
	s = g_key_file_get_string(cp->kf, cp->group, key, &gerr);
	if (s == NULL || gerr != NULL) {
		err_set(e, EX_CONFIG, "invalid escape sequence (write \\\\ "
		    "for a backslash)");
		goto out;
	}
	switch (k->type) {
	case CT_URL:
		if (g_ascii_strncasecmp(s, "https://", 8) != 0 &&
		    g_ascii_strncasecmp(s, "http://", 7) != 0) {
			err_set(e, EX_CONFIG, "invalid URL '%s' (must start "
			    "with https:// or http://)", s);
			goto out;
		}
		if (strlen(s) == (s[4] == ':' ? 7 : 8)) {
			err_set(e, EX_CONFIG, "invalid URL '%s' (no host)", s);
			goto out;
		}
		break;
	case CT_STORE:
		if (strcmp(s, "auto") != 0 && strcmp(s, "secret-service") != 0 &&
		    strcmp(s, "file") != 0) {
			err_set(e, EX_CONFIG, "invalid store '%s' (use auto, "
			    "secret-service or file)", s);
			goto out;
		}
		break;
	case CT_TIMEOUT:
		for (p = s; *p >= '0' && *p <= '9' && v <= 3600; p++)
			v = v * 10 + (*p - '0');
		if (p == s || *p != '\0' || v < 1 || v > 3600) {
			err_set(e, EX_CONFIG, "invalid timeout '%s' (use whole "
			    "seconds from 1 to 3600)", s);
			goto out;
		}
		*(int *)field = (int)v;
		r = 0;
		goto out;
	case CT_DURATION:
		if (time_parse_duration(s, &d, e) != 0)
			goto out;
		*(int64_t *)field = d;
		r = 0;
		goto out;
	case CT_BOOL:
		b = g_key_file_get_boolean(cp->kf, cp->group, key, NULL);
		if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0 &&
		    strcmp(s, "1") != 0 && strcmp(s, "0") != 0) {
			err_set(e, EX_CONFIG, "invalid boolean '%s' (use true "
			    "or false)", raw != NULL ? raw : s);
			goto out;
		}
		*(bool *)field = b;
		r = 0;
		goto out;
	case CT_STRING:
	case CT_ENVFILE:
		break;
	}
	*(char **)field = xstrdup(s);
	r = 0;
out:
	if (gerr != NULL)
		g_error_free(gerr);
	g_free(s);
	g_free(raw);
	return r;
}

static int
config_envfile_list(struct config_parser *cp, const char *key, unsigned n,
    struct ldrt_err *e)
{
	struct config_envfile *ef;
	GError *gerr = NULL;
	char **list;
	gsize i, len;

	list = g_key_file_get_string_list(cp->kf, cp->group, key, &len, &gerr);
	if (list == NULL || gerr != NULL) {
		if (gerr != NULL)
			g_error_free(gerr);
		g_strfreev(list);
		return err_set(e, EX_CONFIG, "invalid escape sequence (write "
		    "\\\\ for a backslash)");
	}
	for (i = 0; i < len; i++) {
		if (list[i][0] == '\0') {
			g_strfreev(list);
			return err_set(e, EX_CONFIG, "empty file name in list");
		}
	}
	cp->envfiles = xrealloc(cp->envfiles,
	    (cp->nenvfiles + 1) * sizeof(*cp->envfiles));
	ef = &cp->envfiles[cp->nenvfiles++];
	ef->relay = cp->idx;
	ef->n = n;
	ef->files = list;
	return 0;
}

static int
config_envfile_cmp(const void *a, const void *b)
{
	const struct config_envfile *x = a, *y = b;

	if (x->relay != y->relay)
		return x->relay < y->relay ? -1 : 1;
	return x->n < y->n ? -1 : x->n > y->n;
}

/* Moves the collected lists into the relays, env-file first. */
static void
config_envfiles_finish(struct config_parser *cp)
{
	struct config_relay *r;
	size_t i, j, n;

	if (cp->nenvfiles > 1)
		qsort(cp->envfiles, cp->nenvfiles, sizeof(*cp->envfiles),
		    config_envfile_cmp);
	for (i = 0; i < cp->nenvfiles; i++) {
		r = &cp->c->relays[cp->envfiles[i].relay];
		for (n = 0; r->env_files[n] != NULL; n++)
			;
		for (j = 0; cp->envfiles[i].files[j] != NULL; j++) {
			r->env_files = xrealloc(r->env_files,
			    (n + 2) * sizeof(*r->env_files));
			r->env_files[n++] = xstrdup(cp->envfiles[i].files[j]);
			r->env_files[n] = NULL;
		}
	}
}

int
config_parse(const char *data, size_t len, const char *path,
    struct config **out, struct ldrt_err *e)
{
	struct config_parser cp;
	struct config_scan s;
	struct config_line l;
	GError *gerr = NULL;
	const char *nul;
	char *pre = NULL;
	size_t prelen, i, bad;
	int r = -1;

	*out = NULL;
	memset(&cp, 0, sizeof(cp));
	cp.path = path != NULL ? path : "(config)";
	if (len > CONFIG_MAX_SIZE)
		return err_set(e, EX_CONFIG, "config '%s': larger than 1 MiB",
		    cp.path);
	if ((nul = memchr(data, '\0', len)) != NULL) {
		for (i = 1; data < nul; data++)
			i += *data == '\n';
		return err_set(e, EX_CONFIG, "config '%s' line %zu: NUL byte",
		    cp.path, i);
	}
	pre = config_strip_comments(data, len, &prelen);
	cp.kf = g_key_file_new();
	if (!g_key_file_load_from_data(cp.kf, pre, prelen, G_KEY_FILE_NONE,
	    &gerr)) {
		if ((bad = config_bad_line(pre, prelen)) != 0)
			err_set(e, EX_CONFIG, "config '%s' line %zu: %s",
			    cp.path, bad, gerr->message);
		else
			err_set(e, EX_CONFIG, "config '%s': %s", cp.path,
			    gerr->message);
		goto out;
	}
	cp.c = xcalloc(1, sizeof(*cp.c));
	cp.c->path = xstrdup(cp.path);
	cp.c->exists = true;
	cp.c->warnings = xcalloc(1, sizeof(char *));
	cp.keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	s.p = pre;
	s.end = pre + prelen;
	s.lineno = 0;
	while (config_scan_next(&s, &l)) {
		if (l.kind == CONFIG_LINE_GROUP &&
		    config_section(&cp, &l, e) != 0)
			goto out;
		if (l.kind == CONFIG_LINE_KEY && config_key(&cp, &l, e) != 0)
			goto out;
	}
	config_envfiles_finish(&cp);
	*out = cp.c;
	cp.c = NULL;
	r = 0;
out:
	for (i = 0; i < cp.nenvfiles; i++)
		g_strfreev(cp.envfiles[i].files);
	free(cp.envfiles);
	if (cp.keys != NULL)
		g_hash_table_destroy(cp.keys);
	if (gerr != NULL)
		g_error_free(gerr);
	g_free(cp.group);
	g_key_file_free(cp.kf);
	free(pre);
	config_free(cp.c);
	return r;
}

void
config_free(struct config *c)
{
	size_t i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->nprofiles; i++) {
		free(c->profiles[i].name);
		free(c->profiles[i].api_url);
		free(c->profiles[i].store);
		free(c->profiles[i].ca_bundle);
		free(c->profiles[i].proxy);
	}
	free(c->profiles);
	for (i = 0; i < c->nrelays; i++) {
		free(c->relays[i].name);
		free(c->relays[i].profile);
		free(c->relays[i].id);
		free(c->relays[i].policy);
		for (j = 0; c->relays[i].env_files != NULL &&
		    c->relays[i].env_files[j] != NULL; j++)
			free(c->relays[i].env_files[j]);
		free(c->relays[i].env_files);
		free(c->relays[i].var);
		free(c->relays[i].format);
		free(c->relays[i].exec);
	}
	free(c->relays);
	for (i = 0; c->warnings != NULL && c->warnings[i] != NULL; i++)
		free(c->warnings[i]);
	free(c->warnings);
	free(c->path);
	free(c);
}

const struct config_profile *
config_profile(const struct config *c, const char *name)
{
	size_t i;

	if (c == NULL || name == NULL)
		return NULL;
	for (i = 0; i < c->nprofiles; i++)
		if (strcmp(c->profiles[i].name, name) == 0)
			return &c->profiles[i];
	return NULL;
}

const struct config_relay *
config_relay_by_name(const struct config *c, const char *name)
{
	size_t i;

	if (c == NULL || name == NULL)
		return NULL;
	for (i = 0; i < c->nrelays; i++)
		if (strcmp(c->relays[i].name, name) == 0)
			return &c->relays[i];
	return NULL;
}

const struct config_relay *
config_relay_by_id(const struct config *c, const char *id)
{
	size_t i;

	if (c == NULL || id == NULL || *id == '\0')
		return NULL;
	for (i = 0; i < c->nrelays; i++)
		if (c->relays[i].id != NULL && strcmp(c->relays[i].id, id) == 0)
			return &c->relays[i];
	return NULL;
}

/*
 * Files.
 */

/*
 * Reads a regular file of at most CONFIG_MAX_SIZE bytes.  Returns 1 when it
 * does not exist, 0 when read, -1 on error.
 */
static int
config_read(const char *path, char **data, size_t *len, struct stat *st,
    struct ldrt_err *e)
{
	char *buf = NULL;
	size_t n = 0;
	ssize_t got;
	int fd, oerrno, r = -1;

	*data = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO must not hang us before the S_ISREG check */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		if (errno == ENOENT)
			return 1;
		return err_set(e, EX_CONFIG, "config '%s': %s", path,
		    strerror(errno));
	}
	if (fstat(fd, st) != 0) {
		err_set(e, EX_CONFIG, "config '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		err_set(e, EX_CONFIG, "config '%s': not a regular file", path);
		goto out;
	}
	if (st->st_size > CONFIG_MAX_SIZE) {
		err_set(e, EX_CONFIG, "config '%s': larger than 1 MiB", path);
		goto out;
	}
	buf = xmalloc(CONFIG_MAX_SIZE + 2);
	for (;;) {
		got = read(fd, buf + n, CONFIG_MAX_SIZE + 1 - n);
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1) {
			oerrno = errno;
			err_set(e, EX_CONFIG, "config '%s': %s", path,
			    strerror(oerrno));
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > CONFIG_MAX_SIZE) {
			err_set(e, EX_CONFIG, "config '%s': larger than 1 MiB",
			    path);
			goto out;
		}
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

int
config_load(const char *path, struct config **out, struct ldrt_err *e)
{
	struct config *c = NULL;
	struct stat st;
	char *dpath = NULL, *data = NULL;
	size_t len;
	int r = -1, rd;

	*out = NULL;
	if (path == NULL) {
		if ((dpath = config_default_path()) == NULL)
			return err_set(e, EX_CONFIG, "cannot find the "
			    "configuration directory (set HOME or "
			    "XDG_CONFIG_HOME)");
		path = dpath;
	}
	if ((rd = config_read(path, &data, &len, &st, e)) == -1)
		goto out;
	if (rd == 1) {
		c = xcalloc(1, sizeof(*c));
		c->path = xstrdup(path);
		c->exists = false;
		c->warnings = xcalloc(1, sizeof(char *));
		*out = c;
		r = 0;
		goto out;
	}
	/* exec = runs commands: anybody who can write here can run them */
	if (st.st_mode & S_IWOTH) {
		err_set(e, EX_CONFIG, "config '%s': writable by anyone "
		    "(chmod o-w)", path);
		goto out;
	}
	if (config_parse(data, len, path, &c, e) != 0)
		goto out;
	if (st.st_mode & S_IWGRP)
		config_add_warning(c, xasprintf("config '%s': writable by its "
		    "group (chmod g-w)", path));
	if (st.st_uid != 0 && st.st_uid != geteuid())
		config_add_warning(c, xasprintf("config '%s': owned by another "
		    "user (uid %lu)", path, (unsigned long)st.st_uid));
	*out = c;
	r = 0;
out:
	free(data);
	free(dpath);
	return r;
}

/* UTF-8 without control characters. */
static bool
config_text_ok(const char *v)
{
	const char *p;

	if (!g_utf8_validate(v, -1, NULL))
		return false;
	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/*
 * A value as GKeyFile stores it: backslashes doubled, and a blank written
 * as "\s" where it would otherwise be lost (leading, trailing) or start a
 * comment (before "#").  NULL for control characters and invalid UTF-8.
 */
static char *
config_escape_value(const char *v)
{
	GString *s;
	const char *p;

	if (!config_text_ok(v))
		return NULL;
	s = g_string_new(NULL);
	for (p = v; *p != '\0'; p++) {
		if (*p == '\\')
			g_string_append(s, "\\\\");
		else if (*p == ' ' && (p == v || p[1] == '\0' || p[1] == '#'))
			g_string_append(s, "\\s");
		else
			g_string_append_c(s, *p);
	}
	return g_string_free(s, FALSE);
}

/*
 * Writes data to path through a temp file in the same directory (mode
 * 0600 at creation, then the old file's mode and owner, or 0600), fsync,
 * rename, fsync of the directory.
 */
static int
config_write_atomic(const char *path, const char *data, size_t len,
    struct ldrt_err *e)
{
	enum atomic_result res;

	/* envfile.c's writer: temp O_EXCL 0600 in the same directory, the old
	 * file's mode and owner, fsync, rename, fsync of the directory */
	if (atomic_write(path, data, len, 0600, ATOMIC_FOLLOW_SYMLINKS, &res,
	    e) != 0)
		return err_prefix(e, "config '%s'", path);
	return 0;
}

/*
 * Sets key in the [relay NAME] section of data by editing the text: the
 * line that sets it is replaced, or a line is added after the section's
 * last key (or its header), or the section is appended at the end.  Every
 * other byte stays as it was, CRLF line ends included.  (GKeyFile's own
 * g_key_file_to_data() would rewrite every "key = value" as "key=value"
 * and move blank lines around comments.)  data must have passed
 * config_parse(), so the section is there at most once.
 */
static char *
config_edit(const char *data, size_t len, const char *relay, const char *key,
    const char *value, size_t *outlen)
{
	struct config_scan s = { data, data + len, 0 };
	struct config_line l;
	const char *at = NULL, *cut = NULL, *eol = "\n";
	char *name, *line, *out;
	bool in = false;
	int kind;

	while (config_scan_next(&s, &l)) {
		if (l.kind == CONFIG_LINE_GROUP) {
			if (in)
				break;
			kind = config_group_kind(l.name, l.namelen, &name);
			in = kind == 'r' && strcmp(name, relay) == 0;
			free(name);
		}
		if (!in || l.kind == CONFIG_LINE_BLANK)
			continue;
		/* after this line, with its line end */
		at = cut = s.p;
		eol = l.text + l.len < s.end && l.text[l.len] == '\r' ?
		    "\r\n" : "\n";
		if (l.kind == CONFIG_LINE_KEY && l.namelen == strlen(key) &&
		    memcmp(l.name, key, l.namelen) == 0) {
			at = l.text;	/* this line instead */
			break;
		}
	}
	line = xasprintf("%s =%s%s%s", key, *value != '\0' ? " " : "", value,
	    eol);
	if (at == NULL) {
		out = xasprintf("%.*s%s%s[relay %s]\n%s", (int)len, data,
		    len > 0 && data[len - 1] != '\n' ? "\n" : "",
		    len > 0 ? "\n" : "", relay, line);
	} else {
		/* a last line without a line end gets one first */
		out = xasprintf("%.*s%s%s%.*s", (int)(at - data), data,
		    at == cut && at == data + len && at[-1] != '\n' ? eol : "",
		    line, (int)(data + len - cut), cut);
	}
	free(line);
	*outlen = strlen(out);
	return out;
}

static int
config_flock(int fd)
{
	int r;

	while ((r = flock(fd, LOCK_EX)) == -1 && errno == EINTR)
		;
	return r;
}

bool
config_relay_name_ok(const char *relay)
{
	return relay != NULL && *relay != '\0' &&
	    strpbrk(relay, "[]") == NULL && !g_ascii_isspace(relay[0]) &&
	    !g_ascii_isspace(relay[strlen(relay) - 1]) &&
	    config_text_ok(relay);
}

/*
 * Resolves a symlink at *path (*path then points into *real, to free) and
 * flock()s the file's directory (*dfd, to close) for a read-modify-write:
 * the file is replaced by rename, so its directory is what stays.  create:
 * make the directory (0700) when it is missing; otherwise a missing
 * directory returns 1 (nothing to edit), *dfd -1.
 */
static int
config_lock_file(const char **path, bool create, char **real, int *dfd,
    struct ldrt_err *e)
{
	struct stat lst;
	char *dir;
	int r = -1;

	*real = NULL;
	*dfd = -1;
	if (lstat(*path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
		if ((*real = realpath(*path, NULL)) == NULL) {
			if (errno == ENOENT && !create)
				return 1;	/* dangling: no file */
			return err_set(e, EX_CONFIG, "config '%s': %s", *path,
			    strerror(errno));
		}
		*path = *real;
	}
	dir = g_path_get_dirname(*path);
	if (create && paths_mkdir_p(dir, e) != 0)
		goto out;
	if ((*dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 &&
	    errno == ENOENT && !create) {
		r = 1;
		goto out;
	}
	if (*dfd == -1 || config_flock(*dfd) != 0) {
		err_set(e, EX_CONFIG, "config '%s': cannot lock directory "
		    "'%s': %s", *path, dir, strerror(errno));
		goto out;
	}
	r = 0;
out:
	g_free(dir);
	return r;
}

int
config_set_relay_key(const char *path, const char *relay, const char *key,
    const char *value, struct ldrt_err *e)
{
	struct config *c = NULL;
	struct stat st;
	char *data = NULL, *real = NULL, *escaped = NULL, *out = NULL;
	size_t len;
	unsigned n;
	int rd, dfd = -1, r = -1;

	if (!config_relay_name_ok(relay))
		return err_set(e, EX_USAGE, "invalid relay name '%s'",
		    relay != NULL ? relay : "");
	if (key == NULL || config_key_find('r', key, &n) == NULL)
		return err_set(e, EX_USAGE, "config: unknown relay key '%s'",
		    key != NULL ? key : "");
	if (value == NULL || (escaped = config_escape_value(value)) == NULL)
		return err_set(e, EX_USAGE, "config: key '%s': value has "
		    "control characters or is not UTF-8", key);

	/*
	 * Two updates at once (create of two relays) must not lose one.
	 * A symlink is written through to the file it names.
	 */
	if (config_lock_file(&path, true, &real, &dfd, e) != 0)
		goto out;
	if ((rd = config_read(path, &data, &len, &st, e)) == -1)
		goto out;
	if (rd == 1) {
		data = xstrdup("");
		len = 0;
	}
	/* never rewrite a file we could not read back */
	if (config_parse(data, len, path, &c, e) != 0)
		goto out;

	out = config_edit(data, len, relay, key, escaped, &len);
	config_free(c);
	c = NULL;
	if (config_parse(out, len, path, &c, e) != 0) {
		err_prefix(e, "not written");
		goto out;
	}
	if (config_write_atomic(path, out, len, e) != 0)
		goto out;
	r = 0;
out:
	if (dfd != -1)
		close(dfd);		/* releases the lock */
	config_free(c);
	free(out);
	g_free(escaped);
	free(real);
	free(data);
	return r;
}

/*
 * Replaces the name in the header line of [relay FROM] by "relay TO":
 * only the bytes between "[" and "]" change, so the blanks around the
 * header, its line end and every other line (comments, keys) stay.  data
 * must have passed config_parse() and hold the section.
 */
static char *
config_edit_header(const char *data, size_t len, const char *from,
    const char *to, size_t *outlen)
{
	struct config_scan s = { data, data + len, 0 };
	struct config_line l;
	char *name, *out = NULL;
	bool match;

	while (out == NULL && config_scan_next(&s, &l)) {
		if (l.kind != CONFIG_LINE_GROUP)
			continue;
		match = config_group_kind(l.name, l.namelen, &name) == 'r' &&
		    strcmp(name, from) == 0;
		free(name);
		if (match)
			out = xasprintf("%.*srelay %s%.*s",
			    (int)(l.name - data), data, to,
			    (int)(data + len - (l.name + l.namelen)),
			    l.name + l.namelen);
	}
	if (out == NULL)
		out = xstrndup(data, len);	/* not reached */
	*outlen = strlen(out);
	return out;
}

int
config_rename_relay(const char *path, const char *from, const char *to,
    const char *id, struct ldrt_err *e)
{
	const struct config_relay *sec;
	struct config *c = NULL;
	struct stat st;
	char *data = NULL, *real = NULL, *out = NULL;
	size_t len;
	int rd, dfd = -1, r = -1;

	if (from == NULL || *from == '\0' || !config_relay_name_ok(to))
		return err_set(e, EX_USAGE, "config: cannot rename [relay %s] "
		    "to [relay %s]: invalid name", from != NULL ? from : "",
		    to != NULL ? to : "");
	if (strcmp(from, to) == 0)
		return err_set(e, EX_USAGE, "config: cannot rename [relay %s] "
		    "to itself", from);
	if ((rd = config_lock_file(&path, false, &real, &dfd, e)) != 0) {
		r = rd == 1 ? CONFIG_RENAME_ABSENT : -1;
		goto out;
	}
	if ((rd = config_read(path, &data, &len, &st, e)) != 0) {
		r = rd == 1 ? CONFIG_RENAME_ABSENT : -1;
		goto out;
	}
	if (config_parse(data, len, path, &c, e) != 0) {
		err_prefix(e, "not written");
		goto out;
	}
	if ((sec = config_relay_by_name(c, from)) == NULL) {
		r = CONFIG_RENAME_ABSENT;
		goto out;
	}
	if (id != NULL && sec->id != NULL && strcmp(sec->id, id) != 0) {
		r = CONFIG_RENAME_OTHER_ID;
		goto out;
	}
	if (config_relay_by_name(c, to) != NULL) {
		r = CONFIG_RENAME_EXISTS;
		goto out;
	}
	out = config_edit_header(data, len, from, to, &len);
	config_free(c);
	c = NULL;
	if (config_parse(out, len, path, &c, e) != 0 ||
	    config_relay_by_name(c, to) == NULL) {
		if (c != NULL)
			err_set(e, EX_SOFTWARE, "config '%s': the renamed "
			    "section does not read back", path);
		err_prefix(e, "not written");
		goto out;
	}
	if (config_write_atomic(path, out, len, e) != 0)
		goto out;
	r = CONFIG_RENAMED;
out:
	if (dfd != -1)
		close(dfd);		/* releases the lock */
	config_free(c);
	free(out);
	free(real);
	free(data);
	return r;
}

/*
 * Paths.
 */

/* $var/ld-relay-token if $var is absolute, else $HOME/fallback/... */
static char *
paths_dir(const char *var, const char *fallback)
{
	const char *v = getenv(var), *home;
	struct passwd *pw;
	size_t n;

	/* the XDG spec: relative values are invalid and ignored */
	if (v == NULL || v[0] != '/') {
		home = getenv("HOME");
		if (home == NULL || home[0] != '/') {
			pw = getpwuid(getuid());
			home = pw != NULL ? pw->pw_dir : NULL;
		}
		if (home == NULL || home[0] != '/')
			return NULL;
		for (n = strlen(home); n > 1 && home[n - 1] == '/'; n--)
			;
		if (n == 1)
			n = 0;		/* HOME=/ */
		return xasprintf("%.*s/%s/%s", (int)n, home, fallback,
		    PATHS_APP);
	}
	for (n = strlen(v); n > 1 && v[n - 1] == '/'; n--)
		;
	if (n == 1)
		n = 0;
	return xasprintf("%.*s/%s", (int)n, v, PATHS_APP);
}

char *
paths_config_dir(void)
{
	return paths_dir("XDG_CONFIG_HOME", ".config");
}

char *
paths_state_dir(void)
{
	return paths_dir("XDG_STATE_HOME", ".local/state");
}

char *
paths_data_dir(void)
{
	return paths_dir("XDG_DATA_HOME", ".local/share");
}

char *
config_default_path(void)
{
	char *dir = paths_config_dir(), *p;

	if (dir == NULL)
		return NULL;
	p = xasprintf("%s/config", dir);
	free(dir);
	return p;
}

int
paths_mkdir_p(const char *dir, struct ldrt_err *e)
{
	struct stat st;
	char *p, *s;
	int r = -1, last;

	if (dir == NULL || *dir == '\0')
		return err_set(e, EX_CANTCREAT, "cannot create directory ''");
	s = xstrdup(dir);
	for (p = s + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		last = *p == '\0';
		*p = '\0';
		if (p[-1] != '/' && mkdir(s, 0700) != 0) {
			if (errno != EEXIST) {
				err_set(e, EX_CANTCREAT, "cannot create "
				    "directory '%s': %s", s, strerror(errno));
				goto out;
			}
			if (stat(s, &st) != 0 || !S_ISDIR(st.st_mode)) {
				err_set(e, EX_CANTCREAT, "cannot create "
				    "directory '%s': %s", s, "not a directory");
				goto out;
			}
		}
		if (last)
			break;
		*p = '/';
	}
	r = 0;
out:
	free(s);
	return r;
}
