/*
 * fuzz_jscan.c: libFuzzer target that checks api_parse_list and
 * api_parse_config (which read relay configs with src/jscan.c) against
 * json-c.  The input is the response body, read both as a list and as
 * one config.
 *
 * The reference: json-c parses the document (the flags and depth api.c
 * used before jscan), and ref_config() below, the json-c mapping api.c
 * had, accepts the object (or every item of its "items" array).
 * Properties (abort() when one fails):
 *   - sound: whatever api.c accepts, the reference accepts too, with the
 *     same configs and the same fields in each (the policies compared as
 *     JSON values);
 *   - complete: when the reference accepts, the document json-c writes
 *     back is accepted by api.c with the same result.  Skipped
 *     when the document has a non-integer number (json-c keeps "1.",
 *     "NaN" and "-01" as written) or a string that is not valid UTF-8 or
 *     has a NUL: jscan refuses those by design (see jscan.h);
 *   - a refusal is EX_PROTOCOL with an empty list.
 * Inputs with a \u surrogate pair for U+xD800..U+xDFFF in planes 1-16
 * (U+1D800..U+1DFFF, ...) are skipped: json-c 0.16 decodes those valid
 * pairs as U+FFFD (it tests the low 16 bits of the code point for the
 * surrogate range); jscan decodes them as RFC 8259 says.
 * Input capped at 1 MiB.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>
#include <json-c/json.h>

#define FUZZ_MAX_INPUT	(1024 * 1024)
#include "fuzz_common.h"
#include "api.h"
#include "secret.h"

static int
fuzz_hex4(const uint8_t *p, unsigned *v)
{
	unsigned i, d;

	*v = 0;
	for (i = 0; i < 4; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'f')
			d = (p[i] | 0x20) - 'a' + 10;
		else
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

/* Whether the input has a pair json-c 0.16 decodes wrongly (see above). */
static int
fuzz_jsonc_pair_bug(const uint8_t *d, size_t n)
{
	unsigned hi, lo, cp;
	size_t i;

	for (i = 0; i + 12 <= n; i++) {
		if (d[i] != '\\' || d[i + 1] != 'u' || d[i + 6] != '\\' ||
		    d[i + 7] != 'u' || fuzz_hex4(d + i + 2, &hi) != 0 ||
		    fuzz_hex4(d + i + 8, &lo) != 0)
			continue;
		if (hi < 0xd800 || hi > 0xdbff || lo < 0xdc00 || lo > 0xdfff)
			continue;
		cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
		if ((cp & 0xf800) == 0xd800)
			return 1;
	}
	return 0;
}

static int
fuzz_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
fuzz_policy_eq(const char *a, const char *b)
{
	struct json_object *x = json_tokener_parse(a);
	struct json_object *y = json_tokener_parse(b);
	int r = x != NULL && y != NULL && json_object_equal(x, y);

	json_object_put(x);
	json_object_put(y);
	return r;
}

static void
fuzz_same(const struct relay_config *a, const struct relay_config *b)
{
	if (!fuzz_str_eq(a->id, b->id) || !fuzz_str_eq(a->name, b->name) ||
	    !fuzz_str_eq(a->display_key, b->display_key) ||
	    !fuzz_str_eq(a->full_key, b->full_key) ||
	    a->creation_ms != b->creation_ms ||
	    a->modified_ms != b->modified_ms ||
	    !fuzz_policy_eq(a->policy_json, b->policy_json))
		abort();
}

/* A string field into *out (a copy); absent or null is NULL. */
static int
ref_string(struct json_object *o, const char *key, char **out)
{
	struct json_object *v;
	const char *s;
	size_t n;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (memchr(s, '\0', n) != NULL)
		return -1;
	*out = strndup(s, n);
	return 0;
}

/* An epoch-ms field: a non-negative integer (json-c saturates large
 * ones: INT64_MAX is out of range), or a string of 1 to 18 digits. */
static int
ref_int64(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object *v;
	const char *s;
	size_t n;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return -1;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return *out < 0 || *out == INT64_MAX ? -1 : 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n == 0 || n > 18 || strspn(s, "0123456789") != n)
		return -1;
	*out = strtoll(s, NULL, 10);
	return 0;
}

/* The json-c mapping of one config, as api.c had it before jscan. */
static int
ref_config(struct json_object *o, struct relay_config *c)
{
	struct json_object *pol, *k;
	const char *s;
	size_t n, i;

	*c = (struct relay_config)RELAY_CONFIG_INIT;
	if (!json_object_is_type(o, json_type_object) ||
	    ref_string(o, "_id", &c->id) != 0 || c->id == NULL ||
	    ref_string(o, "name", &c->name) != 0 || c->name == NULL ||
	    ref_string(o, "displayKey", &c->display_key) != 0 ||
	    c->display_key == NULL ||
	    ref_int64(o, "creationDate", &c->creation_ms) != 0 ||
	    ref_int64(o, "lastModified", &c->modified_ms) != 0)
		goto fail;
	if (json_object_object_get_ex(o, "fullKey", &k) && k != NULL) {
		if (!json_object_is_type(k, json_type_string))
			goto fail;
		s = json_object_get_string(k);
		n = (size_t)json_object_get_string_len(k);
		for (i = 0; i < n; i++)
			if ((unsigned char)s[i] < 0x21 ||
			    (unsigned char)s[i] > 0x7e)
				goto fail;
		if (n == 0 || n > SECRET_MAX)
			goto fail;
		c->full_key = secret_strndup(s, n);
	}
	n = strlen(c->id);
	if (n == 0 || n > 128 || strspn(c->id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_-") != n)
		goto fail;
	if (!json_object_object_get_ex(o, "policy", &pol) || pol == NULL ||
	    !json_object_is_type(pol, json_type_array))
		goto fail;
	c->policy_json = strdup(json_object_to_json_string_ext(pol,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	return 0;
fail:
	relay_config_release(c);
	return -1;
}

/* json-c's reading of the document, with api.c's flags; NULL if none. */
static struct json_object *
fuzz_jsonc(const char *body, size_t len)
{
	struct json_tokener *tok;
	struct json_object *o;
	size_t i, end;

	if (memchr(body, '\0', len) != NULL)
		return NULL;
	tok = json_tokener_new_ex(32);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_ALLOW_TRAILING_CHARS | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, body, (int)len);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	for (i = end; o != NULL && i < len; i++)
		if (!isspace((unsigned char)body[i])) {
			json_object_put(o);
			return NULL;
		}
	return o;
}

/* The reference's view of doc as a list: -1 if it is not one. */
static int
fuzz_reference(struct json_object *o, struct relay_config_list *ref)
{
	struct json_object *items;
	size_t i, n;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "items", &items) ||
	    !json_object_is_type(items, json_type_array))
		return -1;
	n = json_object_array_length(items);
	ref->items = calloc(n + 1, sizeof(*ref->items));
	for (i = 0; i < n; i++) {
		if (ref_config(json_object_array_get_idx(items, i),
		    &ref->items[i]) != 0)
			return -1;
		ref->n++;
	}
	return 0;
}

/* Whether o holds only what jscan must read the same as json-c. */
static int
fuzz_plain(struct json_object *o)
{
	struct json_object_iterator it, end;
	const char *s;
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_double:
		return 0;
	case json_type_string:
		s = json_object_get_string(o);
		return g_utf8_validate(s, json_object_get_string_len(o), NULL);
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (!fuzz_plain(json_object_array_get_idx(o, i)))
				return 0;
		return 1;
	case json_type_object:
		it = json_object_iter_begin(o);
		end = json_object_iter_end(o);
		for (; !json_object_iter_equal(&it, &end);
		    json_object_iter_next(&it)) {
			s = json_object_iter_peek_name(&it);
			if (!g_utf8_validate(s, -1, NULL) ||
			    !fuzz_plain(json_object_iter_peek_value(&it)))
				return 0;
		}
		return 1;
	default:
		return 1;
	}
}

static void
fuzz_compare(const struct relay_config_list *l,
    const struct relay_config_list *ref)
{
	size_t i;

	if (l->n != ref->n)
		abort();
	for (i = 0; i < l->n; i++)
		fuzz_same(&l->items[i], &ref->items[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct relay_config_list l = RELAY_CONFIG_LIST_INIT;
	struct relay_config_list ref = RELAY_CONFIG_LIST_INIT;
	struct relay_config_list back = RELAY_CONFIG_LIST_INIT;
	struct relay_config c = RELAY_CONFIG_INIT, rc, bc = RELAY_CONFIG_INIT;
	struct json_object *doc;
	const char *out = NULL;
	char *body;
	int ok, rok, cok, rcok;

	if (size > FUZZ_MAX_INPUT || fuzz_jsonc_pair_bug(data, size) ||
	    (body = fuzz_dup(data, size)) == NULL)
		return 0;
	doc = fuzz_jsonc(body, size);
	if (doc != NULL && fuzz_plain(doc))
		out = json_object_to_json_string_ext(doc,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	/* as a list */
	ok = api_parse_list(body, size, &l, &e) == 0;
	if (!ok && (e.ex != EX_PROTOCOL || l.n != 0 || l.items != NULL))
		abort();
	rok = fuzz_reference(doc, &ref) == 0;
	if (ok && !rok)
		abort();
	if (ok)
		fuzz_compare(&l, &ref);
	if (rok && out != NULL) {
		if (api_parse_list(out, strlen(out), &back, &e) != 0)
			abort();
		fuzz_compare(&back, &ref);
	}

	/* as one config */
	cok = api_parse_config(body, size, &c, &e) == 0;
	if (!cok && (e.ex != EX_PROTOCOL || c.id != NULL || c.full_key != NULL))
		abort();
	rcok = doc != NULL && ref_config(doc, &rc) == 0;
	if (cok && !rcok)
		abort();
	if (cok)
		fuzz_same(&c, &rc);
	if (rcok && out != NULL) {
		if (api_parse_config(out, strlen(out), &bc, &e) != 0)
			abort();
		fuzz_same(&bc, &rc);
	}
	if (rcok)
		relay_config_release(&rc);
	relay_config_release(&bc);
	relay_config_release(&c);
	relay_config_list_release(&back);
	relay_config_list_release(&ref);
	relay_config_list_release(&l);
	json_object_put(doc);
	free(body);
	return 0;
}
