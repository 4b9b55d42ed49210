/*
 * api.c: typed LaunchDarkly REST calls for relay auto configs and their
 * JSON mapping (relay configs with jscan.c, the rest with json-c), over
 * http.c.
 *
 * The mapping functions (api_parse_*, api_policy_normalize, api_check_url)
 * are pure.  The calls build "base URL + path", send the fixed headers,
 * and turn the HTTP status into an exit class and one sanitized line: the
 * server's "message" when the error body is JSON, else only the status line.
 * No message ever carries the token, a key, a header or a body.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "ldrt.h"
#include "api.h"
#include "jscan.h"
#include "url.h"
#include "http.h"
#include "log.h"
#include "secret.h"

#define API_PATH	"/api/v2/account/relay-auto-configs"
#define API_IDENT_PATH	"/api/v2/caller-identity"
#define API_JSON_DEPTH	32
#define API_ID_MAX	128
#define API_DETAIL_MAX	160	/* server message in our error line */
#define API_409_RETRIES	3

struct api {
	struct http	*http;
	char		*base;	/* scheme://host[:port], no trailing slash */
	char		*host;	/* host[:port]: lower case, no default port */
	char		*token;	/* secret */
};

/* What a call was doing, for error messages. */
enum api_op {
	API_OP_LIST,
	API_OP_GET,
	API_OP_CREATE,
	API_OP_UPDATE,
	API_OP_DELETE,
	API_OP_RESET,
	API_OP_IDENTITY,
	API_OP_CHECK
};

static int	api_json_parse(const char *, size_t, int, const char *, int,
		    struct json_object **, struct ldrt_err *);
static int	api_policy_parse(const char *, size_t, struct json_object **,
		    struct ldrt_err *);
static int	api_id_check(const char *, struct ldrt_err *);
static int	api_call(struct api *, const char *, const char *, const char *,
		    enum http_idempotency, struct http_response *,
		    struct ldrt_err *);
static int	api_status_error(struct api *, const struct http_response *,
		    enum api_op, const char *, struct ldrt_err *);
static void	api_sanitize(char *);
static const char *api_reason(long);
static void	api_copy_line(const char *, size_t, char *, size_t);
static int	api_id_valid(const char *);
static char	*api_json_compact(struct json_object *);
static char	*api_ident_string(struct json_object *, const char *);
static int	api_policy_strings(struct json_object *, const char *, size_t,
		    struct ldrt_err *);
static int	api_policy_statement(struct json_object *, size_t,
		    struct ldrt_err *);
static void	api_detail(struct api *, const struct http_response *, char *,
		    size_t);
static int	api_ok(long);
static const char *api_body(const struct http_response *, size_t *);
static struct json_object *api_replace_op(const char *, struct json_object *);
static int	api_update_body(const char *, const char *, const char *,
		    char **, struct ldrt_err *);

/* ---- struct helpers ---- */

void
relay_config_release(struct relay_config *c)
{
	if (c == NULL)
		return;
	free(c->id);
	free(c->name);
	free(c->policy_json);
	free(c->display_key);
	secret_free(c->full_key);
	*c = (struct relay_config)RELAY_CONFIG_INIT;
}

void
relay_config_list_release(struct relay_config_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		relay_config_release(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

void
caller_identity_release(struct caller_identity *c)
{
	if (c == NULL)
		return;
	free(c->account_id);
	free(c->member_id);
	free(c->token_name);
	free(c->token_kind);
	free(c->auth_kind);
	memset(c, 0, sizeof(*c));
	c->service_token = -1;
}

/* ---- JSON mapping (pure) ---- */

/* Printable ASCII only, so a server's text fits on one line. */
static void
api_sanitize(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
		else if ((unsigned char)*s > 0x7f)
			*s = '?';
	}
}

/* Copies src (n bytes) sanitized into buf, ending in "..." if cut. */
static void
api_copy_line(const char *src, size_t n, char *buf, size_t buflen)
{
	if (buflen == 0)
		return;
	if (n < buflen) {
		memcpy(buf, src, n);
		buf[n] = '\0';
	} else {
		memcpy(buf, src, buflen - 1);
		buf[buflen - 1] = '\0';
		if (buflen > 4)
			memcpy(buf + buflen - 4, "...", 3);
	}
	api_sanitize(buf);
}

/* What both parsers refuse before they start. */
static int
api_json_precheck(const char *json, size_t len, const char *what, int ex,
    struct ldrt_err *e)
{
	const char *nul;
	size_t i;

	for (i = 0; i < len && isspace((unsigned char)json[i]); i++)
		;
	if (i == len)
		return err_set(e, ex, "%s: empty document", what);
	if ((nul = memchr(json, '\0', len)) != NULL)
		return err_set(e, ex, "%s: NUL byte at offset %zu", what,
		    (size_t)(nul - json));
	if (len > INT_MAX)
		return err_set(e, ex, "%s: document too large", what);
	return 0;
}

/*
 * Parses len bytes into a JSON value, with offsets in the error.  what
 * names the document ("relay config", "policy"), ex is the exit class for
 * malformed input.
 */
static int
api_json_parse(const char *json, size_t len, int depth, const char *what,
    int ex, struct json_object **out, struct ldrt_err *e)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;
	size_t i, end;

	*out = NULL;
	if (api_json_precheck(json, len, what, ex, e) != 0)
		return -1;
	if ((tok = json_tokener_new_ex(depth)) == NULL)
		ldrt_fatal("out of memory");
	/* trailing bytes are checked below, for a clearer message */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_ALLOW_TRAILING_CHARS | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, json, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o == NULL && jerr == json_tokener_continue)
		return err_set(e, ex, "%s: truncated JSON (ends at offset %zu)",
		    what, len);
	if (o == NULL)
		return err_set(e, ex, "%s: invalid JSON at offset %zu: %s",
		    what, end, json_tokener_error_desc(jerr));
	for (i = end; i < len; i++)
		if (!isspace((unsigned char)json[i])) {
			json_object_put(o);
			return err_set(e, ex, "%s: trailing data at offset %zu",
			    what, i);
		}
	*out = o;
	return 0;
}

static int
api_id_valid(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n <= API_ID_MAX &&
	    strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_-") == n;
}

static int
api_id_check(const char *id, struct ldrt_err *e)
{
	char shown[48];

	if (id != NULL && api_id_valid(id))
		return 0;
	api_copy_line(id != NULL ? id : "", id != NULL ? strlen(id) : 0,
	    shown, sizeof(shown));
	return err_set(e, EX_DATAERR, "invalid relay config id '%s' (only "
	    "letters, digits, '_' and '-')", shown);
}

static char *
api_json_compact(struct json_object *o)
{
	return xstrdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/*
 * Relay configs, one or a list, are read with jscan: no json-c tree (an
 * account can have thousands of configs), and no copy of a key that is
 * not wiped (json-c's tokener buffers strings).  A duplicate member counts
 * once, its last value; in a list the first item that breaks a rule is
 * reported, unless the document itself is not JSON, which is reported
 * first.
 */
enum api_lf {
	API_LF_ID, API_LF_NAME, API_LF_DISPLAY, API_LF_CREATED,
	API_LF_MODIFIED, API_LF_KEY, API_LF_POLICY, API_LF_N
};

static const char *const api_lf_name[API_LF_N] = {
	"_id", "name", "displayKey", "creationDate", "lastModified",
	"fullKey", "policy"
};

/* Which field key names, API_LF_N for none.  Most keys have no escape,
 * and their length tells the candidates apart. */
static size_t
api_lf_field(const struct jscan_str *key)
{
	size_t k;

	if (key->escaped) {
		for (k = 0; k < API_LF_N; k++)
			if (jscan_str_is(key, api_lf_name[k]))
				break;
		return k;
	}
	switch (key->len) {
	case 3: k = API_LF_ID; break;
	case 4: k = API_LF_NAME; break;
	case 6: k = API_LF_POLICY; break;
	case 7: k = API_LF_KEY; break;
	case 10: k = API_LF_DISPLAY; break;
	case 12:
		k = key->raw[0] == 'c' ? API_LF_CREATED : API_LF_MODIFIED;
		break;
	default:
		return API_LF_N;
	}
	return memcmp(key->raw, api_lf_name[k], key->len) == 0 ? k : API_LF_N;
}

/* A string value decoded; NULL if it has a NUL byte.  secret: into
 * secret memory, and the plain decode buffer is wiped. */
static char *
api_lf_decode(const struct jscan_val *v, int secret, size_t *len)
{
	char *d = xmalloc(v->str.len + 1), *r;

	*len = jscan_decode(&v->str, d);
	if (memchr(d, '\0', *len) != NULL) {
		secret_wipe(d, v->str.len + 1);
		free(d);
		return NULL;
	}
	if (!secret)
		return d;
	r = secret_strndup(d, *len);
	secret_wipe(d, v->str.len + 1);
	free(d);
	return r;
}

static int
api_lf_string(const struct jscan_val *v, const char *key, const char *ctx,
    char **out, struct ldrt_err *e)
{
	size_t n;

	if (v->type == JSCAN_NONE || v->type == JSCAN_NULL)
		return err_set(e, EX_PROTOCOL, "%s: field '%s' is missing",
		    ctx, key);
	if (v->type != JSCAN_STRING)
		return err_set(e, EX_PROTOCOL, "%s: field '%s' is not a string",
		    ctx, key);
	if ((*out = api_lf_decode(v, 0, &n)) == NULL)
		return err_set(e, EX_PROTOCOL, "%s: field '%s' contains a NUL "
		    "byte", ctx, key);
	return 0;
}

/* An integer field (epoch ms), also as a string of digits; large numbers
 * saturate as in json-c. */
static int
api_lf_int64(const struct jscan_val *v, const char *key, const char *ctx,
    int64_t *out, struct ldrt_err *e)
{
	char buf[128];	/* room for 18 digits written as \u escapes */
	size_t n;

	*out = 0;
	if (v->type == JSCAN_NONE || v->type == JSCAN_NULL)
		return err_set(e, EX_PROTOCOL, "%s: field '%s' is missing",
		    ctx, key);
	if (v->type == JSCAN_NUMBER && v->is_int) {
		*out = jscan_int64(v);
		if (*out < 0 || *out == INT64_MAX)
			return err_set(e, EX_PROTOCOL, "%s: field '%s' is out "
			    "of range", ctx, key);
		return 0;
	}
	if (v->type != JSCAN_STRING || v->str.len >= sizeof(buf))
		return err_set(e, EX_PROTOCOL, "%s: field '%s' is not an "
		    "integer", ctx, key);
	n = jscan_decode(&v->str, buf);
	if (n == 0 || n > 18 || strspn(buf, "0123456789") != n)
		return err_set(e, EX_PROTOCOL, "%s: field '%s' is not an "
		    "integer", ctx, key);
	*out = strtoll(buf, NULL, 10);	/* 18 digits cannot overflow */
	return 0;
}

/*
 * fullKey: optional; if present, non-empty printable ASCII of at most
 * SECRET_MAX bytes, decoded straight into secret memory.
 */
static int
api_lf_key(const struct jscan_val *v, const char *ctx, char **out,
    struct ldrt_err *e)
{
	size_t n, i;
	char *k;

	*out = NULL;
	if (v->type == JSCAN_NONE || v->type == JSCAN_NULL)
		return 0;
	if (v->type != JSCAN_STRING)
		return err_set(e, EX_PROTOCOL, "%s: field 'fullKey' is not a "
		    "string", ctx);
	k = api_lf_decode(v, 1, &n);
	for (i = 0; k != NULL && i < n; i++)
		if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7e)
			break;
	if (k == NULL || n == 0 || n > SECRET_MAX || i < n) {
		secret_free(k);
		return err_set(e, EX_PROTOCOL, "%s: field 'fullKey' is not a "
		    "printable key", ctx);
	}
	*out = k;
	return 0;
}

/* A config from its members (type NONE: absent). */
static int
api_lf_config(const struct jscan_val *f, const char *ctx,
    struct relay_config *out, struct ldrt_err *e)
{
	struct relay_config c = RELAY_CONFIG_INIT;

	if (api_lf_string(&f[API_LF_ID], "_id", ctx, &c.id, e) != 0 ||
	    api_lf_string(&f[API_LF_NAME], "name", ctx, &c.name, e) != 0 ||
	    api_lf_string(&f[API_LF_DISPLAY], "displayKey", ctx,
	    &c.display_key, e) != 0 ||
	    api_lf_int64(&f[API_LF_CREATED], "creationDate", ctx,
	    &c.creation_ms, e) != 0 ||
	    api_lf_int64(&f[API_LF_MODIFIED], "lastModified", ctx,
	    &c.modified_ms, e) != 0 ||
	    api_lf_key(&f[API_LF_KEY], ctx, &c.full_key, e) != 0)
		goto fail;
	if (!api_id_valid(c.id)) {
		err_set(e, EX_PROTOCOL, "%s: field '_id' is not a valid id",
		    ctx);
		goto fail;
	}
	if (f[API_LF_POLICY].type == JSCAN_NONE ||
	    f[API_LF_POLICY].type == JSCAN_NULL) {
		err_set(e, EX_PROTOCOL, "%s: field 'policy' is missing", ctx);
		goto fail;
	}
	if (f[API_LF_POLICY].type != JSCAN_ARRAY) {
		err_set(e, EX_PROTOCOL, "%s: field 'policy' is not an array",
		    ctx);
		goto fail;
	}
	c.policy_json = jscan_compact(&f[API_LF_POLICY]);
	*out = c;
	return 0;
fail:
	relay_config_release(&c);
	return -1;
}

/* The members of the object at the cursor that make a config, into f
 * (type NONE: absent); the others are checked and skipped. */
static int
api_lf_object(struct jscan *s, struct jscan_val *f)
{
	struct jscan_val skip;
	struct jscan_str key;
	size_t k;
	int m;

	memset(f, 0, API_LF_N * sizeof(*f));
	if (jscan_object(s) != 0)
		return -1;
	while ((m = jscan_member(s, &key)) == 1) {
		k = api_lf_field(&key);
		if (jscan_value(s, k < API_LF_N ? &f[k] : &skip) != 0)
			return -1;
	}
	return m < 0 ? -1 : 0;
}

/* The error of a document jscan refused. */
static int
api_lf_syntax(const struct jscan *s, const char *what, size_t len,
    struct ldrt_err *e)
{
	if (s->truncated)
		return err_set(e, EX_PROTOCOL, "%s: truncated JSON (ends at "
		    "offset %zu)", what, len);
	if (strcmp(s->err, "trailing data") == 0)
		return err_set(e, EX_PROTOCOL, "%s: trailing data at offset "
		    "%zu", what, s->err_off);
	return err_set(e, EX_PROTOCOL, "%s: invalid JSON at offset %zu: %s",
	    what, s->err_off, s->err);
}

int
api_parse_config(const char *json, size_t len, struct relay_config *out,
    struct ldrt_err *e)
{
	static const char what[] = "relay config";
	struct jscan_val f[API_LF_N], skip;
	struct jscan s;
	int object;

	*out = (struct relay_config)RELAY_CONFIG_INIT;
	if (api_json_precheck(json, len, what, EX_PROTOCOL, e) != 0)
		return -1;
	jscan_init(&s, json, len, API_JSON_DEPTH);
	object = jscan_peek(&s) == JSCAN_OBJECT;
	if ((object ? api_lf_object(&s, f) : jscan_value(&s, &skip)) != 0 ||
	    jscan_end(&s) != 0)
		return api_lf_syntax(&s, what, len, e);
	if (!object)
		return err_set(e, EX_PROTOCOL, "%s: not a JSON object", what);
	return api_lf_config(f, what, out, e);
}

/* "relay config list: items[I]", without printf's cost per item. */
static void
api_lf_ctx(size_t i, char *buf, size_t len)
{
	static const char pre[] = "relay config list: items[";
	char num[24];
	size_t n = sizeof(num);

	do {
		num[--n] = (char)('0' + i % 10);
		i /= 10;
	} while (i > 0);
	if (sizeof(pre) - 1 + sizeof(num) - n + 2 > len) {
		buf[0] = '\0';
		return;
	}
	memcpy(buf, pre, sizeof(pre) - 1);
	memcpy(buf + sizeof(pre) - 1, num + n, sizeof(num) - n);
	buf += sizeof(pre) - 1 + sizeof(num) - n;
	buf[0] = ']';
	buf[1] = '\0';
}

/*
 * The items array at the cursor.  Appends to l; on the first item that
 * breaks a rule sets e and *bad, and only checks the syntax of the rest.
 * -1 on a syntax error only.
 */
static int
api_lf_items(struct jscan *s, struct relay_config_list *l, size_t *cap,
    int *bad, struct ldrt_err *e)
{
	struct jscan_val f[API_LF_N], skip;
	struct relay_config c;
	char ctx[48];
	size_t i;
	int r;

	if (jscan_array(s) != 0)
		return -1;
	for (i = 0; (r = jscan_element(s)) == 1; i++) {
		if (*bad || jscan_peek(s) != JSCAN_OBJECT) {
			if (jscan_value(s, &skip) != 0)
				return -1;
			if (!*bad) {
				err_set(e, EX_PROTOCOL, "relay config list: "
				    "items[%zu]: not a JSON object", i);
				*bad = 1;
			}
			continue;
		}
		if (api_lf_object(s, f) != 0)
			return -1;
		api_lf_ctx(i, ctx, sizeof(ctx));
		if (api_lf_config(f, ctx, &c, e) != 0) {
			*bad = 1;
			continue;
		}
		if (l->n == *cap) {
			*cap = *cap == 0 ? 64 : *cap * 2;
			l->items = xrealloc(l->items, *cap * sizeof(*l->items));
		}
		l->items[l->n++] = c;
	}
	return r;
}

int
api_parse_list(const char *json, size_t len, struct relay_config_list *out,
    struct ldrt_err *e)
{
	static const char what[] = "relay config list";
	struct relay_config_list l = RELAY_CONFIG_LIST_INIT;
	struct jscan s;
	struct jscan_val skip;
	struct jscan_str key;
	size_t cap = 0;
	int r, items = 0, bad = 0, object;

	out->items = NULL;
	out->n = 0;
	if (api_json_precheck(json, len, what, EX_PROTOCOL, e) != 0)
		return -1;
	jscan_init(&s, json, len, API_JSON_DEPTH);
	object = jscan_peek(&s) == JSCAN_OBJECT;
	if (!object) {
		if (jscan_value(&s, &skip) != 0)
			goto syntax;
	} else {
		if (jscan_object(&s) != 0)
			goto syntax;
		while ((r = jscan_member(&s, &key)) == 1) {
			if (!jscan_str_is(&key, "items")) {
				if (jscan_value(&s, &skip) != 0)
					goto syntax;
				continue;
			}
			/* a repeated "items": the last one counts */
			relay_config_list_release(&l);
			cap = 0;
			bad = 0;
			err_clear(e);
			items = jscan_peek(&s) == JSCAN_ARRAY;
			if (!items && jscan_value(&s, &skip) != 0)
				goto syntax;
			if (items && api_lf_items(&s, &l, &cap, &bad, e) != 0)
				goto syntax;
		}
		if (r < 0)
			goto syntax;
	}
	if (jscan_end(&s) != 0)
		goto syntax;
	if (!object)
		err_set(e, EX_PROTOCOL, "%s: not a JSON object", what);
	else if (!items)
		err_set(e, EX_PROTOCOL, "%s: field 'items' is missing or not "
		    "an array", what);
	if (!object || !items || bad) {
		relay_config_list_release(&l);
		return -1;
	}
	*out = l;
	return 0;
syntax:
	relay_config_list_release(&l);
	return api_lf_syntax(&s, what, len, e);
}

/* Identity fields are all optional: a wrong type counts as absent. */
static char *
api_ident_string(struct json_object *o, const char *key)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	return xstrndup(s, strlen(s));
}

int
api_parse_identity(const char *json, size_t len, struct caller_identity *out,
    struct ldrt_err *e)
{
	struct json_object *o, *v;

	memset(out, 0, sizeof(*out));
	out->service_token = -1;
	if (api_json_parse(json, len, API_JSON_DEPTH, "caller identity",
	    EX_PROTOCOL, &o, e) != 0)
		return -1;
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return err_set(e, EX_PROTOCOL, "caller identity: not a JSON "
		    "object");
	}
	out->account_id = api_ident_string(o, "accountId");
	out->member_id = api_ident_string(o, "memberId");
	out->token_name = api_ident_string(o, "tokenName");
	out->token_kind = api_ident_string(o, "tokenKind");
	out->auth_kind = api_ident_string(o, "authKind");
	if (json_object_object_get_ex(o, "serviceToken", &v) &&
	    json_object_is_type(v, json_type_boolean))
		out->service_token = json_object_get_boolean(v) ? 1 : 0;
	json_object_put(o);
	return 0;
}

int
api_parse_error(const char *json, size_t len, char *buf, size_t buflen)
{
	struct json_object *o, *v = NULL;
	int r = -1;

	if (buflen > 0)
		buf[0] = '\0';
	if (api_json_parse(json, len, 8, "error", EX_PROTOCOL, &o, NULL) != 0)
		return -1;
	if (json_object_is_type(o, json_type_object) &&
	    ((json_object_object_get_ex(o, "message", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) > 0) ||
	    (json_object_object_get_ex(o, "code", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) > 0))) {
		api_copy_line(json_object_get_string(v),
		    strlen(json_object_get_string(v)), buf, buflen);
		r = 0;
	}
	json_object_put(o);
	return r;
}

/* ---- policies ---- */

static int
api_policy_strings(struct json_object *st, const char *key, size_t idx,
    struct ldrt_err *e)
{
	struct json_object *v;
	size_t i, n;

	if (!json_object_object_get_ex(st, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return err_set(e, EX_DATAERR, "policy: statement %zu: '%s' is "
		    "not an array", idx + 1, key);
	n = json_object_array_length(v);
	for (i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(v, i),
		    json_type_string))
			return err_set(e, EX_DATAERR, "policy: statement %zu: "
			    "'%s' must hold only strings", idx + 1, key);
	return 0;
}

static int
api_policy_statement(struct json_object *st, size_t idx, struct ldrt_err *e)
{
	static const char *const lists[] = {
		"resources", "notResources", "actions", "notActions"
	};
	struct json_object *eff;
	const char *s;
	size_t i;

	if (!json_object_is_type(st, json_type_object))
		return err_set(e, EX_DATAERR, "policy: statement %zu is not an "
		    "object", idx + 1);
	if (!json_object_object_get_ex(st, "effect", &eff) ||
	    !json_object_is_type(eff, json_type_string))
		return err_set(e, EX_DATAERR, "policy: statement %zu: 'effect' "
		    "is missing or not a string", idx + 1);
	s = json_object_get_string(eff);
	if (strcmp(s, "allow") != 0 && strcmp(s, "deny") != 0)
		return err_set(e, EX_DATAERR, "policy: statement %zu: 'effect' "
		    "must be \"allow\" or \"deny\"", idx + 1);
	for (i = 0; i < LDRT_ARRAY_SIZE(lists); i++)
		if (api_policy_strings(st, lists[i], idx, e) != 0)
			return -1;
	json_object_object_foreach(st, key, val) {
		int known = strcmp(key, "effect") == 0;

		(void)val;
		for (i = 0; i < LDRT_ARRAY_SIZE(lists); i++)
			if (strcmp(key, lists[i]) == 0)
				known = 1;
		if (!known) {
			char shown[40];

			api_copy_line(key, strlen(key), shown, sizeof(shown));
			return err_set(e, EX_DATAERR, "policy: statement %zu: "
			    "unknown field '%s'", idx + 1, shown);
		}
	}
	return 0;
}

static int
api_policy_parse(const char *json, size_t len, struct json_object **out,
    struct ldrt_err *e)
{
	struct json_object *o;
	size_t i, n;

	*out = NULL;
	if (api_json_parse(json, len, API_JSON_DEPTH, "policy", EX_DATAERR,
	    &o, e) != 0)
		return -1;
	if (!json_object_is_type(o, json_type_array)) {
		json_object_put(o);
		return err_set(e, EX_DATAERR, "policy: not a JSON array of "
		    "statements");
	}
	if ((n = json_object_array_length(o)) == 0) {
		json_object_put(o);
		return err_set(e, EX_DATAERR, "policy: no statements");
	}
	for (i = 0; i < n; i++)
		if (api_policy_statement(json_object_array_get_idx(o, i), i,
		    e) != 0) {
			json_object_put(o);
			return -1;
		}
	*out = o;
	return 0;
}

int
api_policy_normalize(const char *json, size_t len, char **out,
    struct ldrt_err *e)
{
	struct json_object *o;

	*out = NULL;
	if (api_policy_parse(json, len, &o, e) != 0)
		return -1;
	*out = api_json_compact(o);
	json_object_put(o);
	return 0;
}

/* ---- URLs (url.c) ---- */

int
api_url_is_loopback(const char *url)
{
	return url_is_loopback(url);
}

int
api_check_url(const char *url, struct ldrt_err *e)
{
	struct url_info u;

	return url_check_api(url, &u, e);
}

/* ---- the client ---- */

int
api_new(const struct api_opts *o, struct api **out, struct ldrt_err *e)
{
	struct http_opts ho = { NULL, NULL, 0, 0, NULL };
	struct url_info u;
	struct api *a;
	const char *t;

	*out = NULL;
	if (url_check_api(o->base_url, &u, e) != 0)
		return -1;
	if (o->token == NULL || o->token[0] == '\0')
		return err_set(e, EX_CONFIG, "no API access token");
	for (t = o->token; *t != '\0'; t++)
		if ((unsigned char)*t < 0x20 || *t == 0x7f)
			return err_set(e, EX_DATAERR, "the API access token "
			    "contains control characters");
	ho.ca_bundle = o->ca_bundle;
	ho.proxy = o->proxy;
	ho.timeout = o->timeout;
	a = xcalloc(1, sizeof(*a));
	if (http_new(&ho, &a->http, e) != 0) {
		free(a);
		return -1;
	}
	a->host = xstrdup(u.host);
	a->base = xasprintf("%s://%s", u.https ? "https" : "http", u.host);
	a->token = secret_strdup(o->token);
	*out = a;
	return 0;
}

void
api_free(struct api *a)
{
	if (a == NULL)
		return;
	http_free(a->http);
	free(a->base);
	free(a->host);
	secret_free(a->token);
	free(a);
}

const char *
api_host(const struct api *a)
{
	return a->host;
}

long
api_connections(const struct api *a)
{
	return a == NULL ? 0 : http_connections(a->http);
}

static int
api_call(struct api *a, const char *method, const char *path,
    const char *body, enum http_idempotency idem, struct http_response *resp,
    struct ldrt_err *e)
{
	struct http_header hd[] = {
		{ "Authorization", a->token, 1 },
		{ "LD-API-Version", API_VERSION_HEADER, 0 },
		{ "Accept", "application/json", 0 },
		{ "Content-Type", "application/json", 0 },
	};
	char *url;
	int r;

	url = xasprintf("%s%s", a->base, path);
	/* Content-Type only when there is a body (not on the empty reset) */
	r = http_request(a->http, method, url, hd,
	    body != NULL && body[0] != '\0' ? 4 : 3, body,
	    body != NULL ? strlen(body) : 0, idem, resp, e);
	free(url);
	return r;
}

static const char *
api_reason(long status)
{
	static const struct {
		long		 code;
		const char	*text;
	} t[] = {
		{ 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 403, "Forbidden" }, { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 409, "Conflict" },
		{ 413, "Content Too Large" }, { 422, "Unprocessable Content" },
		{ 429, "Too Many Requests" }, { 500, "Internal Server Error" },
		{ 501, "Not Implemented" }, { 502, "Bad Gateway" },
		{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
	};
	size_t i;

	for (i = 0; i < LDRT_ARRAY_SIZE(t); i++)
		if (t[i].code == status)
			return t[i].text;
	return "";
}

/* The server's message (token scrubbed, one line, cut), or the status. */
static void
api_detail(struct api *a, const struct http_response *r, char *buf,
    size_t len)
{
	char msg[2048], *p;
	size_t tl = strlen(a->token);

	if (r->body != NULL && api_parse_error(secbuf_str(r->body),
	    secbuf_len(r->body), msg, sizeof(msg)) == 0) {
		while (tl > 0 && (p = strstr(msg, a->token)) != NULL)
			memset(p, '*', tl);
		api_copy_line(msg, strlen(msg), buf, len);
		return;
	}
	snprintf(buf, len, "HTTP %ld%s%s", r->status,
	    api_reason(r->status)[0] != '\0' ? " " : "", api_reason(r->status));
}

static int
api_status_error(struct api *a, const struct http_response *r, enum api_op op,
    const char *id, struct ldrt_err *e)
{
	char d[API_DETAIL_MAX], act[API_ID_MAX + 64];
	long s = r->status;

	api_detail(a, r, d, sizeof(d));
	switch (op) {
	case API_OP_LIST:
	case API_OP_CHECK:
		snprintf(act, sizeof(act), "list relay configs");
		break;
	case API_OP_GET:
		snprintf(act, sizeof(act), "read relay config '%s'", id);
		break;
	case API_OP_CREATE:
		snprintf(act, sizeof(act), "create relay configs");
		break;
	case API_OP_UPDATE:
		snprintf(act, sizeof(act), "update relay config '%s'", id);
		break;
	case API_OP_DELETE:
		snprintf(act, sizeof(act), "delete relay config '%s'", id);
		break;
	case API_OP_RESET:
		snprintf(act, sizeof(act), "reset the key of relay config '%s'",
		    id);
		break;
	default:
		snprintf(act, sizeof(act), "read the caller identity");
		break;
	}
	if (s == 401)
		return err_set(e, EX_NOPERM, "API rejected the token: %s", d);
	if (s == 403 && op == API_OP_CHECK)
		return err_set(e, EX_NOPERM, "token lacks relay-proxy "
		    "permissions: %s", d);
	if (s == 403)
		return err_set(e, EX_NOPERM, "the token lacks permission to "
		    "%s: %s", act, d);
	if (s == 404 && id != NULL)
		return err_set(e, EX_NOUSER, "no relay config with id '%s'",
		    id);
	if (s == 404)
		return err_set(e, EX_CONFIG, "cannot %s: API endpoint not "
		    "found (HTTP 404); check the API URL", act);
	if (s == 400 || s == 422)
		return err_set(e, EX_DATAERR, "API refused to %s: %s", act, d);
	if (s == 409)
		return err_set(e, EX_TEMPFAIL, "cannot %s: conflicting "
		    "concurrent change; try again later (%s)", act, d);
	if (s == 429)
		return err_set(e, EX_TEMPFAIL, "rate limited by the API");
	if (s >= 500 && s <= 599)
		return err_set(e, EX_UNAVAILABLE, "API unavailable: HTTP %ld",
		    s);
	return err_set(e, EX_PROTOCOL, "cannot %s: unexpected answer from the "
	    "API: %s", act, d);
}

static int
api_ok(long status)
{
	return status >= 200 && status <= 299;
}

static const char *
api_body(const struct http_response *r, size_t *len)
{
	*len = r->body != NULL ? secbuf_len(r->body) : 0;
	return r->body != NULL ? secbuf_str(r->body) : "";
}

int
api_list(struct api *a, struct relay_config_list *out, struct ldrt_err *e)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	const char *b;
	size_t n;
	int rc = -1;

	out->items = NULL;
	out->n = 0;
	if (api_call(a, "GET", API_PATH, NULL, HTTP_IDEMPOTENT, &r, e) != 0)
		goto out;
	if (!api_ok(r.status)) {
		api_status_error(a, &r, API_OP_LIST, NULL, e);
		goto out;
	}
	b = api_body(&r, &n);
	rc = api_parse_list(b, n, out, e);
out:
	http_response_release(&r);
	return rc;
}

int
api_check_token(struct api *a, struct ldrt_err *e)
{
	struct relay_config_list l = RELAY_CONFIG_LIST_INIT;
	struct http_response r = HTTP_RESPONSE_INIT;
	const char *b;
	size_t n;
	int rc = -1;

	if (api_call(a, "GET", API_PATH, NULL, HTTP_IDEMPOTENT, &r, e) != 0)
		goto out;
	if (!api_ok(r.status)) {
		api_status_error(a, &r, API_OP_CHECK, NULL, e);
		goto out;
	}
	b = api_body(&r, &n);
	rc = api_parse_list(b, n, &l, e);
	relay_config_list_release(&l);
out:
	http_response_release(&r);
	return rc;
}

int
api_get(struct api *a, const char *id, struct relay_config *out,
    struct ldrt_err *e)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	const char *b;
	char *path;
	size_t n;
	int rc = -1;

	*out = (struct relay_config)RELAY_CONFIG_INIT;
	if (api_id_check(id, e) != 0)
		return -1;
	path = xasprintf("%s/%s", API_PATH, id);
	if (api_call(a, "GET", path, NULL, HTTP_IDEMPOTENT, &r, e) != 0)
		goto out;
	if (!api_ok(r.status)) {
		api_status_error(a, &r, API_OP_GET, id, e);
		goto out;
	}
	b = api_body(&r, &n);
	rc = api_parse_config(b, n, out, e);
	if (rc == 0 && out->full_key != NULL) {
		/* GET never shows the key; do not keep one if it does */
		secret_free(out->full_key);
		out->full_key = NULL;
	}
out:
	free(path);
	http_response_release(&r);
	return rc;
}

int
api_create(struct api *a, const char *name, const char *policy_json,
    struct relay_config *out, struct ldrt_err *e)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	struct json_object *req = NULL, *pol;
	const char *b;
	char *body = NULL;
	size_t n;
	int rc = -1, hr;

	*out = (struct relay_config)RELAY_CONFIG_INIT;
	if (name == NULL || name[0] == '\0')
		return err_set(e, EX_DATAERR, "relay config name is empty");
	if (policy_json == NULL)
		return err_set(e, EX_DATAERR, "policy: missing");
	if (api_policy_parse(policy_json, strlen(policy_json), &pol, e) != 0)
		return -1;
	req = json_object_new_object();
	json_object_object_add(req, "name", json_object_new_string(name));
	json_object_object_add(req, "policy", pol);
	body = api_json_compact(req);
	hr = api_call(a, "POST", API_PATH, body, HTTP_NOT_IDEMPOTENT, &r, e);
	if (hr == HTTP_OUTCOME_UNKNOWN) {
		err_set(e, e != NULL && e->ex == EX_PROTOCOL ? EX_PROTOCOL :
		    EX_TEMPFAIL, "create sent but no usable response received; "
		    "a relay config may have been created (see 'list')");
		rc = API_OUTCOME_UNKNOWN;
		goto out;
	}
	if (hr != 0)
		goto out;
	if (!api_ok(r.status)) {
		api_status_error(a, &r, API_OP_CREATE, NULL, e);
		/* a gateway may have passed the request on before failing */
		if (r.status == 502 || r.status == 504)
			err_set(e, EX_UNAVAILABLE, "API unavailable: HTTP %ld "
			    "from a gateway; a relay config may have been "
			    "created (see 'list')", r.status);
		goto out;
	}
	b = api_body(&r, &n);
	if (api_parse_config(b, n, out, e) != 0) {
		err_prefix(e, "relay config created but its response is "
		    "unusable");
		rc = API_OUTCOME_UNKNOWN;
		goto out;
	}
	if (out->full_key == NULL) {
		err_set(e, EX_PROTOCOL, "create response lacks the key (relay "
		    "config '%s' was created without it; delete it)", out->id);
		relay_config_release(out);
		goto out;
	}
	rc = 0;
out:
	free(body);
	json_object_put(req);
	http_response_release(&r);
	return rc;
}

/* {"op":"replace","path":path,"value":value}; takes over value */
static struct json_object *
api_replace_op(const char *path, struct json_object *value)
{
	struct json_object *op = json_object_new_object();

	json_object_object_add(op, "op", json_object_new_string("replace"));
	json_object_object_add(op, "path", json_object_new_string(path));
	json_object_object_add(op, "value", value);
	return op;
}

/* The PATCH body: only the replace operations asked for. */
static int
api_update_body(const char *new_name, const char *policy_json,
    const char *comment, char **out, struct ldrt_err *e)
{
	struct json_object *req, *ops, *pol = NULL;

	*out = NULL;
	if (new_name == NULL && policy_json == NULL)
		return err_set(e, EX_USAGE, "nothing to update");
	if (new_name != NULL && new_name[0] == '\0')
		return err_set(e, EX_DATAERR, "relay config name is empty");
	if (policy_json != NULL && api_policy_parse(policy_json,
	    strlen(policy_json), &pol, e) != 0)
		return -1;
	req = json_object_new_object();
	ops = json_object_new_array();
	if (new_name != NULL)
		json_object_array_add(ops, api_replace_op("/name",
		    json_object_new_string(new_name)));
	if (pol != NULL)
		json_object_array_add(ops, api_replace_op("/policy", pol));
	json_object_object_add(req, "patch", ops);
	if (comment != NULL)
		json_object_object_add(req, "comment",
		    json_object_new_string(comment));
	*out = api_json_compact(req);
	json_object_put(req);
	return 0;
}

int
api_update(struct api *a, const char *id, const char *new_name,
    const char *policy_json, const char *comment, struct relay_config *out,
    struct ldrt_err *e)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	char *path = NULL, *body = NULL;
	const char *b;
	size_t n;
	int rc = -1, hr, try;

	*out = (struct relay_config)RELAY_CONFIG_INIT;
	if (api_id_check(id, e) != 0 ||
	    api_update_body(new_name, policy_json, comment, &body, e) != 0)
		return -1;
	path = xasprintf("%s/%s", API_PATH, id);
	for (try = 0;; try++) {
		hr = api_call(a, "PATCH", path, body, HTTP_NOT_IDEMPOTENT, &r,
		    e);
		if (hr == HTTP_OUTCOME_UNKNOWN) {
			err_set(e, EX_TEMPFAIL, "update of relay config '%s' "
			    "sent but no response received; it may have been "
			    "applied", id);
			goto out;
		}
		if (hr != 0)
			goto out;
		if (r.status != 409 || try >= API_409_RETRIES)
			break;
		log_verbose("conflicting update of relay config '%s' (HTTP "
		    "409); retrying", id);
		http_response_release(&r);
		http_backoff(a->http, try + 1);
	}
	if (!api_ok(r.status)) {
		api_status_error(a, &r, API_OP_UPDATE, id, e);
		goto out;
	}
	b = api_body(&r, &n);
	rc = api_parse_config(b, n, out, e);
	if (rc != 0)
		err_prefix(e, "update of relay config '%s' applied but its "
		    "response is unusable", id);
	if (rc == 0 && out->full_key != NULL) {
		secret_free(out->full_key);
		out->full_key = NULL;
	}
out:
	free(path);
	free(body);
	http_response_release(&r);
	return rc;
}

int
api_delete(struct api *a, const char *id, struct ldrt_err *e)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	char *path;
	int rc = -1;

	if (api_id_check(id, e) != 0)
		return -1;
	path = xasprintf("%s/%s", API_PATH, id);
	if (api_call(a, "DELETE", path, NULL, HTTP_IDEMPOTENT, &r, e) != 0)
		goto out;
	if (r.status == 404 && r.tries > 1) {
		/* an earlier try was applied and its answer lost */
		log_verbose("relay config '%s' already gone after a retry", id);
		rc = 0;
	} else if (!api_ok(r.status)) {
		api_status_error(a, &r, API_OP_DELETE, id, e);
	} else {
		rc = 0;
	}
out:
	free(path);
	http_response_release(&r);
	return rc;
}

int
api_reset(struct api *a, const char *id, int64_t expiry_ms,
    struct relay_config *out, struct ldrt_err *e)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	const char *b;
	char *path;
	size_t n;
	int rc = -1, hr;

	*out = (struct relay_config)RELAY_CONFIG_INIT;
	if (api_id_check(id, e) != 0)
		return -1;
	if (expiry_ms >= 0)
		path = xasprintf("%s/%s/reset?expiry=%lld", API_PATH, id,
		    (long long)expiry_ms);
	else
		path = xasprintf("%s/%s/reset", API_PATH, id);
	hr = api_call(a, "POST", path, NULL, HTTP_NOT_IDEMPOTENT, &r, e);
	if (hr == HTTP_OUTCOME_UNKNOWN) {
		if (e != NULL && e->ex == EX_PROTOCOL)
			err_set(e, EX_PROTOCOL, "reset sent but its response "
			    "was unreadable (cut short or too large); the key "
			    "may have changed");
		else
			err_set(e, EX_TEMPFAIL, "reset sent but no response "
			    "received; the key may have changed");
		rc = API_OUTCOME_UNKNOWN;
		goto out;
	}
	if (hr != 0)
		goto out;
	if (r.status == 502 || r.status == 504) {
		/* a gateway may have passed the request on before failing */
		err_set(e, EX_TEMPFAIL, "reset sent but the API answered HTTP "
		    "%ld; the key may have changed", r.status);
		rc = API_OUTCOME_UNKNOWN;
		goto out;
	}
	if (!api_ok(r.status)) {
		api_status_error(a, &r, API_OP_RESET, id, e);
		goto out;
	}
	b = api_body(&r, &n);
	if (api_parse_config(b, n, out, e) != 0) {
		err_prefix(e, "reset done but its response is unusable; the "
		    "key has changed");
		rc = API_OUTCOME_UNKNOWN;
		goto out;
	}
	if (out->full_key == NULL) {
		relay_config_release(out);
		err_set(e, EX_PROTOCOL, "reset response lacks the key; the key "
		    "has changed");
		rc = API_OUTCOME_UNKNOWN;
		goto out;
	}
	rc = 0;
out:
	free(path);
	http_response_release(&r);
	return rc;
}

int
api_caller_identity(struct api *a, struct caller_identity *out,
    struct ldrt_err *e)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	const char *b;
	size_t n;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->service_token = -1;
	if (api_call(a, "GET", API_IDENT_PATH, NULL, HTTP_IDEMPOTENT, &r,
	    e) != 0)
		goto out;
	if (!api_ok(r.status)) {
		api_status_error(a, &r, API_OP_IDENTITY, NULL, e);
		goto out;
	}
	b = api_body(&r, &n);
	rc = api_parse_identity(b, n, out, e);
out:
	http_response_release(&r);
	return rc;
}
