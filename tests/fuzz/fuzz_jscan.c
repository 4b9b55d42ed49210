/*
 * fuzz_jscan.c: libFuzzer target that checks api_parse_list (which reads
 * the relay config list with src/jscan.c) against json-c, the parser of
 * every other response.  The input is the response body.
 *
 * The reference: json-c parses the document (the flags and depth of
 * api.c), it is an object with an "items" array, and every item, written
 * out by json-c and read back by api_parse_config, is a valid config.
 * Properties (abort() when one fails):
 *   - sound: whatever api_parse_list accepts, the reference accepts too,
 *     with the same number of configs and the same fields in each (the
 *     policies compared as JSON values);
 *   - complete: when the reference accepts, the document json-c writes
 *     back is accepted by api_parse_list with the same result.  Skipped
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

/* json-c's view of the document as a list: -1 if it is not one. */
static int
fuzz_reference(const char *body, size_t len, struct json_object **doc,
    struct relay_config_list *ref)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct json_tokener *tok;
	struct json_object *o, *items;
	const char *s;
	size_t i, n, end;

	*doc = NULL;
	if (memchr(body, '\0', len) != NULL)
		return -1;
	tok = json_tokener_new_ex(32);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_ALLOW_TRAILING_CHARS | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, body, (int)len);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o == NULL)
		return -1;
	*doc = o;
	for (i = end; i < len; i++)
		if (!isspace((unsigned char)body[i]))
			return -1;
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "items", &items) ||
	    !json_object_is_type(items, json_type_array))
		return -1;
	n = json_object_array_length(items);
	ref->items = calloc(n + 1, sizeof(*ref->items));
	for (i = 0; i < n; i++) {
		s = json_object_to_json_string_ext(
		    json_object_array_get_idx(items, i),
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		if (api_parse_config(s, strlen(s), &ref->items[i], &e) != 0)
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
	struct json_object *doc;
	const char *out;
	char *body;
	int ok, rok;

	if (size > FUZZ_MAX_INPUT || fuzz_jsonc_pair_bug(data, size) ||
	    (body = fuzz_dup(data, size)) == NULL)
		return 0;
	ok = api_parse_list(body, size, &l, &e) == 0;
	if (!ok && (e.ex != EX_PROTOCOL || l.n != 0 || l.items != NULL))
		abort();
	rok = fuzz_reference(body, size, &doc, &ref) == 0;
	if (ok && !rok)
		abort();
	if (ok)
		fuzz_compare(&l, &ref);
	if (rok && fuzz_plain(doc)) {
		out = json_object_to_json_string_ext(doc,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		if (api_parse_list(out, strlen(out), &back, &e) != 0)
			abort();
		fuzz_compare(&back, &ref);
	}
	relay_config_list_release(&back);
	relay_config_list_release(&ref);
	relay_config_list_release(&l);
	json_object_put(doc);
	free(body);
	return 0;
}
