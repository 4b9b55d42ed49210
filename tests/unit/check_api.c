/*
 * check_api.c: the pure parts of api.c: JSON mapping of relay configs,
 * lists, caller identity and error bodies; policy validation; API URL
 * checks; id checks that happen before any request.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldrt.h"
#include "api.h"
#include "http.h"

#define CFG_BODY(id, name, policy, dk, cd, lm, extra)			\
	"{\"_id\":" id ",\"name\":" name ",\"policy\":" policy		\
	",\"displayKey\":" dk ",\"creationDate\":" cd			\
	",\"lastModified\":" lm extra "}"
#define POL "[{\"actions\":[\"*\"],\"effect\":\"allow\",\"resources\":[\"proj/*:env/production\"]}]"
#define GOOD_ID "\"64b7f3c2a1d4e5f6a7b8c9d0\""
#define GOOD(extra) CFG_BODY(GOOD_ID, "\"prod relays\"", POL, "\"7f30\"", \
	"1700000000000", "1702592000000", extra)

static const char full_config[] =
    "{\"_id\":\"64b7f3c2a1d4e5f6a7b8c9d0\",\"name\":\"prod relays\","
    "\"policy\":[{\"actions\":[\"*\"],\"effect\":\"allow\","
    "\"resources\":[\"proj/*:env/production\"]}],"
    "\"fullKey\":\"rel-3f1c2b7e-9a4d-4c61-8f0e-2b5d7c9e7f30\","
    "\"displayKey\":\"7f30\",\"creationDate\":1700000000000,"
    "\"lastModified\":1700000000001,"
    "\"_creator\":{\"_links\":{\"self\":{\"href\":\"/api/v2/members/5\","
    "\"type\":\"application/json\"}},\"_id\":\"5\",\"role\":\"admin\","
    "\"email\":\"a@b.c\"},"
    "\"_access\":{\"denied\":[],\"allowed\":[{\"action\":\"x\"}]}}";

START_TEST(test_config_full)
{
	struct relay_config c = RELAY_CONFIG_INIT;
	struct ldrt_err e = LDRT_ERR_INIT;

	ck_assert_int_eq(api_parse_config(full_config, strlen(full_config),
	    &c, &e), 0);
	ck_assert_str_eq(c.id, "64b7f3c2a1d4e5f6a7b8c9d0");
	ck_assert_str_eq(c.name, "prod relays");
	ck_assert_str_eq(c.policy_json, POL);
	ck_assert_str_eq(c.display_key, "7f30");
	ck_assert_int_eq(c.creation_ms, 1700000000000LL);
	ck_assert_int_eq(c.modified_ms, 1700000000001LL);
	ck_assert_ptr_nonnull(c.full_key);
	ck_assert_str_eq(c.full_key, "rel-3f1c2b7e-9a4d-4c61-8f0e-2b5d7c9e7f30");
	relay_config_release(&c);
	ck_assert_ptr_null(c.id);
	ck_assert_ptr_null(c.full_key);
}
END_TEST

/* Good inputs: optional fields missing, numeric strings, null fullKey. */
static const struct {
	const char	*json;
	const char	*key;		/* expected full_key or NULL */
	int64_t		 cd, lm;
} cfg_ok[] = {
	{ GOOD(""), NULL, 1700000000000LL, 1702592000000LL },
	{ CFG_BODY(GOOD_ID, "\"n\"", "[]", "\"7f30\"", "\"1700000000000\"",
	    "\"0\"", ""), NULL, 1700000000000LL, 0 },
	{ GOOD(",\"fullKey\":null"), NULL, 1700000000000LL, 1702592000000LL },
	{ GOOD(",\"fullKey\":\"rel-x\""), "rel-x", 1700000000000LL,
	    1702592000000LL },
	{ GOOD(",\"fullKey\":\"not-rel-but-printable\""),
	    "not-rel-but-printable", 1700000000000LL, 1702592000000LL },
	{ GOOD(",\"unknown\":{\"a\":[1,2,{}]},\"_links\":{}"), NULL,
	    1700000000000LL, 1702592000000LL },
	{ "  \n" GOOD("") "\n\t ", NULL, 1700000000000LL, 1702592000000LL },
	{ CFG_BODY(GOOD_ID, "\"n\"", POL, "\"\"", "0", "9007199254740993",
	    ""), NULL, 0, 9007199254740993LL },
};

START_TEST(test_config_ok)
{
	struct relay_config c = RELAY_CONFIG_INIT;
	struct ldrt_err e = LDRT_ERR_INIT;
	const char *j = cfg_ok[_i].json;

	ck_assert_msg(api_parse_config(j, strlen(j), &c, &e) == 0,
	    "row %d: %s", _i, e.msg);
	ck_assert_int_eq(c.creation_ms, cfg_ok[_i].cd);
	ck_assert_int_eq(c.modified_ms, cfg_ok[_i].lm);
	if (cfg_ok[_i].key == NULL)
		ck_assert_ptr_null(c.full_key);
	else
		ck_assert_str_eq(c.full_key, cfg_ok[_i].key);
	ck_assert_ptr_nonnull(c.policy_json);
	ck_assert_int_eq(c.policy_json[0], '[');
	relay_config_release(&c);
}
END_TEST

/* Bad inputs: each names the field (or the problem) in the message. */
static const struct {
	const char	*json;
	const char	*needle;
} cfg_bad[] = {
	{ CFG_BODY("24", "\"n\"", POL, "\"k\"", "1", "2", ""), "'_id'" },
	{ CFG_BODY("\"a/b\"", "\"n\"", POL, "\"k\"", "1", "2", ""), "'_id'" },
	{ CFG_BODY("\"\"", "\"n\"", POL, "\"k\"", "1", "2", ""), "'_id'" },
	{ CFG_BODY(GOOD_ID, "7", POL, "\"k\"", "1", "2", ""), "'name'" },
	{ CFG_BODY(GOOD_ID, "null", POL, "\"k\"", "1", "2", ""), "'name'" },
	{ CFG_BODY(GOOD_ID, "\"a\\u0000b\"", POL, "\"k\"", "1", "2", ""),
	    "'name'" },
	{ CFG_BODY(GOOD_ID, "\"n\"", "{}", "\"k\"", "1", "2", ""), "'policy'" },
	{ CFG_BODY(GOOD_ID, "\"n\"", "\"[]\"", "\"k\"", "1", "2", ""),
	    "'policy'" },
	{ CFG_BODY(GOOD_ID, "\"n\"", POL, "[]", "1", "2", ""), "'displayKey'" },
	{ CFG_BODY(GOOD_ID, "\"n\"", POL, "\"k\"", "1.5", "2", ""),
	    "'creationDate'" },
	{ CFG_BODY(GOOD_ID, "\"n\"", POL, "\"k\"", "-1", "2", ""),
	    "'creationDate'" },
	{ CFG_BODY(GOOD_ID, "\"n\"", POL, "\"k\"", "\"12x\"", "2", ""),
	    "'creationDate'" },
	{ CFG_BODY(GOOD_ID, "\"n\"", POL, "\"k\"", "\"\"", "2", ""),
	    "'creationDate'" },
	{ CFG_BODY(GOOD_ID, "\"n\"", POL, "\"k\"", "true", "2", ""),
	    "'creationDate'" },
	{ CFG_BODY(GOOD_ID, "\"n\"", POL, "\"k\"", "1", "\"-5\"", ""),
	    "'lastModified'" },
	{ CFG_BODY(GOOD_ID, "\"n\"", POL, "\"k\"", "1", "99999999999999999999",
	    ""), "'lastModified'" },
	{ CFG_BODY(GOOD_ID, "\"n\"", POL, "\"k\"", "1", "{}", ""),
	    "'lastModified'" },
	{ GOOD(",\"fullKey\":5"), "'fullKey'" },
	{ GOOD(",\"fullKey\":\"\""), "'fullKey'" },
	{ GOOD(",\"fullKey\":\"rel-a b\""), "'fullKey'" },
	{ GOOD(",\"fullKey\":\"rel-\\n\""), "'fullKey'" },
	{ GOOD(",\"fullKey\":\"rel-\\u00e9\""), "'fullKey'" },
	{ "{\"name\":\"n\",\"policy\":[],\"displayKey\":\"k\","
	    "\"creationDate\":1,\"lastModified\":2}", "'_id'" },
	{ "{\"_id\":\"a\",\"name\":\"n\",\"displayKey\":\"k\","
	    "\"creationDate\":1,\"lastModified\":2}", "'policy'" },
	{ "{\"_id\":\"a\",\"name\":\"n\",\"policy\":[],"
	    "\"creationDate\":1,\"lastModified\":2}", "'displayKey'" },
	{ "{\"_id\":\"a\",\"name\":\"n\",\"policy\":[],\"displayKey\":\"k\","
	    "\"lastModified\":2}", "'creationDate'" },
	{ "{\"_id\":\"a\",\"name\":\"n\",\"policy\":[],\"displayKey\":\"k\","
	    "\"creationDate\":1}", "'lastModified'" },
	{ "[]", "not a JSON object" },
	{ "\"str\"", "not a JSON object" },
	{ "", "empty" },
	{ "   ", "empty" },
	{ "{\"_id\":\"a\",\"name\":", "truncated" },
	{ "{\"_id\":\"a\"", "truncated" },
	{ "{\"_id\":'a'}", "invalid JSON" },
	{ "{\"_id\":\"a\",}", "invalid JSON" },
	{ "<html>502 Bad Gateway</html>", "invalid JSON" },
	{ GOOD("") "x", "trailing" },
	{ GOOD("") GOOD(""), "trailing" },
	{ "{\"name\":\"\xff\xfe\"}", "invalid JSON" },
};

START_TEST(test_config_bad)
{
	struct relay_config c = RELAY_CONFIG_INIT;
	struct ldrt_err e = LDRT_ERR_INIT;
	const char *j = cfg_bad[_i].json;

	ck_assert_int_eq(api_parse_config(j, strlen(j), &c, &e), -1);
	ck_assert_int_eq(e.ex, EX_PROTOCOL);
	ck_assert_msg(strstr(e.msg, cfg_bad[_i].needle) != NULL,
	    "row %d: '%s' lacks '%s'", _i, e.msg, cfg_bad[_i].needle);
	ck_assert_msg(strstr(e.msg, "rel-") == NULL, "key in message");
	ck_assert_ptr_null(c.id);
	ck_assert_ptr_null(c.name);
	ck_assert_ptr_null(c.full_key);
}
END_TEST

START_TEST(test_config_nul_byte)
{
	static const char j[] = "{\"_id\":\"a\"\0}";
	struct relay_config c = RELAY_CONFIG_INIT;
	struct ldrt_err e = LDRT_ERR_INIT;

	ck_assert_int_eq(api_parse_config(j, sizeof(j) - 1, &c, &e), -1);
	ck_assert_int_eq(e.ex, EX_PROTOCOL);
	ck_assert_ptr_nonnull(strstr(e.msg, "NUL"));
}
END_TEST

START_TEST(test_config_huge_nesting)
{
	struct relay_config c = RELAY_CONFIG_INIT;
	struct ldrt_err e = LDRT_ERR_INIT;
	size_t depth = 100000, i;
	char *j = malloc(2 * depth + 1);

	for (i = 0; i < depth; i++) {
		j[i] = '[';
		j[2 * depth - 1 - i] = ']';
	}
	j[2 * depth] = '\0';
	ck_assert_int_eq(api_parse_config(j, 2 * depth, &c, &e), -1);
	ck_assert_int_eq(e.ex, EX_PROTOCOL);
	ck_assert_ptr_nonnull(strstr(e.msg, "offset"));
	free(j);
}
END_TEST

/* A config nested just inside the depth limit still parses. */
START_TEST(test_config_deep_policy)
{
	struct relay_config c = RELAY_CONFIG_INIT;
	struct ldrt_err e = LDRT_ERR_INIT;
	char j[2048];

	snprintf(j, sizeof(j), "%s", GOOD(",\"x\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]"));
	ck_assert_int_eq(api_parse_config(j, strlen(j), &c, &e), 0);
	relay_config_release(&c);
}
END_TEST

/* ---- lists ---- */

static const struct {
	const char	*json;
	size_t		 n;
	const char	*last_id;
} list_ok[] = {
	{ "{\"items\":[]}", 0, NULL },
	{ "{\"items\":[" GOOD("") "]}", 1, "64b7f3c2a1d4e5f6a7b8c9d0" },
	{ "{\"items\":[" GOOD("") "," CFG_BODY("\"b\"", "\"n2\"", "[]",
	    "\"k2\"", "\"5\"", "6", "") "," CFG_BODY("\"c_-9\"", "\"n3\"",
	    POL, "\"k3\"", "7", "8", ",\"_creator\":{}") "],\"_links\":{}}", 3,
	    "c_-9" },
};

START_TEST(test_list_ok)
{
	struct relay_config_list l = RELAY_CONFIG_LIST_INIT;
	struct ldrt_err e = LDRT_ERR_INIT;
	const char *j = list_ok[_i].json;

	ck_assert_msg(api_parse_list(j, strlen(j), &l, &e) == 0, "row %d: %s",
	    _i, e.msg);
	ck_assert_uint_eq(l.n, list_ok[_i].n);
	if (l.n > 0)
		ck_assert_str_eq(l.items[l.n - 1].id, list_ok[_i].last_id);
	relay_config_list_release(&l);
	ck_assert_ptr_null(l.items);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

static const struct {
	const char	*json;
	const char	*needle;
} list_bad[] = {
	{ "[]", "not a JSON object" },
	{ "{}", "'items'" },
	{ "{\"items\":{}}", "'items'" },
	{ "{\"items\":null}", "'items'" },
	{ "{\"items\":[1]}", "items[0]" },
	{ "{\"items\":[" GOOD("") ",{\"_id\":\"x\"}]}", "items[1]: field" },
	{ "{\"items\":[" GOOD(""), "truncated" },
	{ "{\"items\":[]} {}", "trailing" },
	/* the list is read with jscan: the same rules as api_parse_config */
	{ "{\"items\":[{\"_id\":\"x\"}],\"z\":tru}", "invalid JSON at "
	    "offset 27: invalid literal" },
	{ "{\"items\":[{\"_id\":\"x\"}]", "truncated" },
	{ "{\"items\":[" GOOD("") "],\"items\":5}", "'items'" },
	{ "{\"items\":[" GOOD(",\"name\":\"a\\u0000b\"") "]}",
	    "items[0]: field 'name' contains a NUL byte" },
	{ "{\"items\":[" GOOD(",\"creationDate\":1.5") "]}",
	    "'creationDate' is not an integer" },
	{ "{\"items\":[" GOOD(",\"creationDate\":\"1x\"") "]}",
	    "'creationDate' is not an integer" },
	{ "{\"items\":[" GOOD(",\"creationDate\":\"1234567890123456789\"")
	    "]}", "'creationDate' is not an integer" },
	{ "{\"items\":[" GOOD(",\"lastModified\":-5") "]}",
	    "'lastModified' is out of range" },
	{ "{\"items\":[" GOOD(",\"lastModified\":9223372036854775807") "]}",
	    "'lastModified' is out of range" },
	{ "{\"items\":[" GOOD(",\"lastModified\":true") "]}",
	    "'lastModified' is not an integer" },
	{ "{\"items\":[" GOOD(",\"_id\":\"a b\"") "]}", "not a valid id" },
	{ "{\"items\":[" GOOD(",\"_id\":5") "]}", "'_id' is not a string" },
	{ "{\"items\":[" GOOD(",\"name\":null") "]}", "'name' is missing" },
	{ "{\"items\":[" GOOD(",\"fullKey\":\"rel-\\u00e9\"") "]}",
	    "'fullKey' is not a printable key" },
	{ "{\"items\":[" GOOD(",\"fullKey\":[]") "]}",
	    "'fullKey' is not a string" },
	{ "{\"items\":[" GOOD(",\"policy\":{}") "]}",
	    "'policy' is not an array" },
	{ "{\"items\":[" GOOD(",\"policy\":null") "]}",
	    "'policy' is missing" },
	{ "{\"items\":[" GOOD("") ",]}", "invalid JSON" },
	{ "{\"items\":[" GOOD("") "," GOOD(",\"name\":\"\xc0\x80\"") "]}",
	    "invalid UTF-8 in string" },
	{ "{\"items\":[" GOOD("") "],\"n\":01}", "invalid JSON" },
	{ "{\"items\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
	    "]]]]]}", "nesting too deep" },
	{ "{\"items\":[{\"_id\":\"x\"}, 7]}", "items[0]: field" },
	{ "{\"items\":[" GOOD("") ", 7]}", "items[1]: not a JSON object" },
};

START_TEST(test_list_bad)
{
	struct relay_config_list l = RELAY_CONFIG_LIST_INIT;
	struct ldrt_err e = LDRT_ERR_INIT;
	const char *j = list_bad[_i].json;

	ck_assert_int_eq(api_parse_list(j, strlen(j), &l, &e), -1);
	ck_assert_int_eq(e.ex, EX_PROTOCOL);
	ck_assert_msg(strstr(e.msg, list_bad[_i].needle) != NULL,
	    "row %d: '%s' lacks '%s'", _i, e.msg, list_bad[_i].needle);
	ck_assert_ptr_null(l.items);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

/* Field values through jscan: escapes, duplicates (the last counts),
 * numeric strings, the policy without white space, and a long list. */
START_TEST(test_list_fields)
{
	static const char j[] = "{\"\\u0069tems\":[{\"\\u005fid\":\"a_1\","
	    "\"name\":\"old\",\"name\":\"caf\\u00e9 \\\"x\\\"\",\"policy\": [ {"
	    "\"effect\" : \"allow\" } ],\"displayKey\":\"\\u0041BCD\","
	    "\"creationDate\":\"0\\u0031\\u0037\",\"lastModified\":-0,\"fullKey\":"
	    "\"rel-\\u0041\",\"_creator\":{\"_links\":{\"x\":[1,{}]}}}]}";
	struct relay_config_list l = RELAY_CONFIG_LIST_INIT;
	struct ldrt_err e = LDRT_ERR_INIT;
	size_t n = 3000, i, len;
	char *big, *p;

	ck_assert_msg(api_parse_list(j, strlen(j), &l, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.items[0].id, "a_1");
	ck_assert_str_eq(l.items[0].name, "caf\xc3\xa9 \"x\"");
	ck_assert_str_eq(l.items[0].policy_json, "[{\"effect\":\"allow\"}]");
	ck_assert_str_eq(l.items[0].display_key, "ABCD");
	ck_assert_int_eq(l.items[0].creation_ms, 17);
	ck_assert_int_eq(l.items[0].modified_ms, 0);
	ck_assert_str_eq(l.items[0].full_key, "rel-A");
	relay_config_list_release(&l);

	big = p = malloc(n * 200 + 32);
	p += sprintf(p, "{\"items\":[");
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s{\"_id\":\"id%zu\",\"name\":\"n%zu\","
		    "\"policy\":[],\"displayKey\":\"k\",\"creationDate\":%zu,"
		    "\"lastModified\":%zu}", i > 0 ? "," : "", i, i, i, i + 1);
	p += sprintf(p, "],\"totalCount\":%zu}", n);
	len = (size_t)(p - big);
	ck_assert_msg(api_parse_list(big, len, &l, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(l.n, n);
	for (i = 0; i < n; i += 499) {
		ck_assert_int_eq(l.items[i].creation_ms, (int64_t)i);
		ck_assert_int_eq(l.items[i].modified_ms, (int64_t)i + 1);
	}
	ck_assert_str_eq(l.items[n - 1].name, "n2999");
	relay_config_list_release(&l);
	free(big);
}
END_TEST

/* ---- caller identity ---- */

START_TEST(test_identity)
{
	static const char j[] = "{\"accountId\":\"acc\",\"memberId\":\"mem\","
	    "\"tokenName\":\"rot\",\"tokenKind\":\"personal\","
	    "\"serviceToken\":false,\"authKind\":\"token\",\"scopes\":[]}";
	static const char k[] = "{\"accountId\":5,\"serviceToken\":\"yes\"}";
	struct caller_identity c;
	struct ldrt_err e = LDRT_ERR_INIT;

	ck_assert_int_eq(api_parse_identity(j, strlen(j), &c, &e), 0);
	ck_assert_str_eq(c.account_id, "acc");
	ck_assert_str_eq(c.member_id, "mem");
	ck_assert_str_eq(c.token_name, "rot");
	ck_assert_str_eq(c.token_kind, "personal");
	ck_assert_str_eq(c.auth_kind, "token");
	ck_assert_int_eq(c.service_token, 0);
	caller_identity_release(&c);
	ck_assert_ptr_null(c.account_id);

	ck_assert_int_eq(api_parse_identity(k, strlen(k), &c, &e), 0);
	ck_assert_ptr_null(c.account_id);
	ck_assert_int_eq(c.service_token, -1);
	caller_identity_release(&c);

	ck_assert_int_eq(api_parse_identity("[1]", 3, &c, &e), -1);
	ck_assert_int_eq(e.ex, EX_PROTOCOL);
	ck_assert_int_eq(api_parse_identity("{", 1, &c, &e), -1);
	ck_assert_int_eq(e.ex, EX_PROTOCOL);
}
END_TEST

/* ---- error bodies ---- */

static const struct {
	const char	*json;
	int		 r;
	const char	*msg;
} err_rows[] = {
	{ "{\"code\":\"unauthorized\",\"message\":\"Invalid access token\"}", 0,
	    "Invalid access token" },
	{ "{\"code\":\"forbidden\"}", 0, "forbidden" },
	{ "{\"message\":\"line1\\nline2\\r\\u001b[31mred\\ttab\"}", 0,
	    "line1 line2  [31mred tab" },
	{ "{\"message\":\"caf\\u00e9\"}", 0, "caf??" },
	{ "{\"message\":\"\",\"code\":\"c\"}", 0, "c" },
	{ "{\"message\":5}", -1, "" },
	{ "{}", -1, "" },
	{ "[\"message\"]", -1, "" },
	{ "<html><body>Bad Gateway</body></html>", -1, "" },
	{ "Bad Gateway", -1, "" },
	{ "", -1, "" },
	{ "{\"message\":\"trunc", -1, "" },
};

START_TEST(test_error_body)
{
	char buf[128];
	const char *j = err_rows[_i].json;

	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(api_parse_error(j, strlen(j), buf, sizeof(buf)),
	    err_rows[_i].r);
	ck_assert_str_eq(buf, err_rows[_i].msg);
}
END_TEST

START_TEST(test_error_body_truncated_and_oneline)
{
	char big[2000], buf[32];
	size_t i;

	snprintf(big, sizeof(big), "{\"message\":\"");
	for (i = strlen(big); i < 1500; i++)
		big[i] = 'a';
	snprintf(big + i, sizeof(big) - i, "\\n\"}");
	ck_assert_int_eq(api_parse_error(big, strlen(big), buf, sizeof(buf)),
	    0);
	ck_assert_uint_eq(strlen(buf), sizeof(buf) - 1);
	ck_assert_str_eq(buf + sizeof(buf) - 4, "...");
	ck_assert_ptr_null(strchr(buf, '\n'));
}
END_TEST

/* ---- policies ---- */

static const struct {
	const char	*in;
	const char	*out;
} pol_ok[] = {
	{ POL, POL },
	{ " [ {\"effect\" : \"deny\", \"notActions\":[\"*\"],\n"
	    "\"notResources\":[\"proj/*:env/test\"]} ]\n",
	    "[{\"effect\":\"deny\",\"notActions\":[\"*\"],"
	    "\"notResources\":[\"proj/*:env/test\"]}]" },
	{ "[{\"effect\":\"allow\",\"resources\":[\"proj/*;mobile:env/production\"],"
	    "\"actions\":[]},{\"effect\":\"deny\"}]",
	    "[{\"effect\":\"allow\",\"resources\":[\"proj/*;mobile:env/production\"],"
	    "\"actions\":[]},{\"effect\":\"deny\"}]" },
};

START_TEST(test_policy_ok)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char *out = NULL;

	ck_assert_msg(api_policy_normalize(pol_ok[_i].in,
	    strlen(pol_ok[_i].in), &out, &e) == 0, "row %d: %s", _i, e.msg);
	ck_assert_str_eq(out, pol_ok[_i].out);
	free(out);
}
END_TEST

static const struct {
	const char	*in;
	const char	*needle;
} pol_bad[] = {
	{ "", "empty" },
	{ "{}", "not a JSON array" },
	{ "[]", "no statements" },
	{ "[1]", "statement 1 is not an object" },
	{ "[{\"effect\":\"allow\"},[]]", "statement 2 is not an object" },
	{ "[{}]", "'effect'" },
	{ "[{\"effect\":\"permit\"}]", "'effect'" },
	{ "[{\"effect\":true}]", "'effect'" },
	{ "[{\"effect\":\"allow\",\"resources\":\"proj/*\"}]", "'resources'" },
	{ "[{\"effect\":\"allow\",\"actions\":[1]}]", "'actions'" },
	{ "[{\"effect\":\"allow\",\"notActions\":{}}]", "'notActions'" },
	{ "[{\"effect\":\"allow\",\"notResources\":[null]}]", "'notResources'" },
	{ "[{\"effect\":\"allow\",\"resource\":[\"x\"]}]", "unknown field 'resource'" },
	{ "[{\"effect\":\"allow\"}", "truncated" },
	{ "[{\"effect\":\"allow\",}]", "offset 19" },
	{ "[{\"effect\":\"allow\"}] x", "trailing data at offset 21" },
};

START_TEST(test_policy_bad)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char *out = (char *)"sentinel";

	ck_assert_int_eq(api_policy_normalize(pol_bad[_i].in,
	    strlen(pol_bad[_i].in), &out, &e), -1);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_msg(strncmp(e.msg, "policy: ", 8) == 0, "%s", e.msg);
	ck_assert_msg(strstr(e.msg, pol_bad[_i].needle) != NULL,
	    "row %d: '%s' lacks '%s'", _i, e.msg, pol_bad[_i].needle);
}
END_TEST

/* ---- URLs ---- */

static const struct {
	const char	*url;
	int		 ok;
	int		 loopback;
	const char	*needle;	/* in the error when !ok */
} url_rows[] = {
	{ "https://app.launchdarkly.com", 1, 0, NULL },
	{ "https://app.launchdarkly.com/", 1, 0, NULL },
	{ "HTTPS://App.EU.LaunchDarkly.com:8443", 1, 0, NULL },
	{ "https://127.0.0.1:9443", 1, 1, NULL },
	{ "https://[::1]:9443/", 1, 1, NULL },
	{ "http://127.0.0.1:8080", 1, 1, NULL },
	{ "http://127.1.2.3", 1, 1, NULL },
	{ "http://[::1]:8080/", 1, 1, NULL },
	{ "http://localhost:8080", 1, 1, NULL },
	{ "http://LOCALHOST", 1, 1, NULL },
	{ "http://app.launchdarkly.com", 0, 0,
	    "refusing plain http:// to non-loopback host 'app.launchdarkly.com'" },
	{ "http://10.0.0.1:8080", 0, 0, "non-loopback host '10.0.0.1:8080'" },
	{ "http://128.0.0.1", 0, 0, "non-loopback" },
	{ "http://localhost.evil.com", 0, 0, "non-loopback" },
	{ "http://127.0.0.1.nip.io", 0, 0, "non-loopback" },
	{ "http://[::2]", 0, 0, "non-loopback" },
	{ "http://127.1", 0, 0, "non-loopback" },
	{ "ftp://app.launchdarkly.com", 0, 0, "https://" },
	{ "app.launchdarkly.com", 0, 0, "https://" },
	{ "", 0, 0, "https://" },
	{ "https://", 0, 0, "no host" },
	{ "https:///api", 0, 0, "no host" },
	{ "https://user:pw@app.launchdarkly.com", 0, 0, "user information" },
	{ "http://127.0.0.1@evil.com", 0, 0, "user information" },
	{ "https://app.launchdarkly.com/api/v2", 0, 0, "path" },
	{ "https://app.launchdarkly.com?x=1", 0, 0, "query" },
	{ "https://app.launchdarkly.com#f", 0, 0, "fragment" },
	{ "https://app launchdarkly.com", 0, 0, "spaces" },
	{ "https://app.launchdarkly.com\n", 0, 0, "control" },
	{ "https://app.launchdarkly.com:0", 0, 0, "port" },
	{ "https://app.launchdarkly.com:65536", 0, 0, "port" },
	{ "https://app.launchdarkly.com:", 0, 0, "port" },
	{ "https://app.launchdarkly.com:44a", 0, 0, "port" },
	{ "https://[::1", 0, 0, "IPv6" },
	{ "https://[zz]:1", 0, 0, "IPv6" },
	{ "https://a_b.com", 0, 0, "bad host" },
	{ "https://-a.com", 0, 0, "bad host" },
};

START_TEST(test_check_url)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	int r = api_check_url(url_rows[_i].url, &e);

	ck_assert_msg(r == (url_rows[_i].ok ? 0 : -1), "row %d '%s': %s", _i,
	    url_rows[_i].url, e.msg);
	ck_assert_int_eq(api_url_is_loopback(url_rows[_i].url),
	    url_rows[_i].loopback);
	if (!url_rows[_i].ok) {
		ck_assert_int_eq(e.ex, EX_CONFIG);
		ck_assert_msg(strstr(e.msg, url_rows[_i].needle) != NULL,
		    "row %d: '%s' lacks '%s'", _i, e.msg, url_rows[_i].needle);
	}
}
END_TEST

static const struct {
	const char	*url;
	const char	*host;
} host_rows[] = {
	{ "https://app.launchdarkly.com", "app.launchdarkly.com" },
	{ "https://App.LaunchDarkly.COM/", "app.launchdarkly.com" },
	{ "https://app.launchdarkly.com:443", "app.launchdarkly.com" },
	{ "https://127.0.0.1:9443", "127.0.0.1:9443" },
	{ "http://127.0.0.1:80/", "127.0.0.1" },
	{ "http://127.0.0.1:443", "127.0.0.1:443" },
	{ "https://[::1]:9443", "[::1]:9443" },
	{ "http://localhost:08080", "localhost:8080" },
};

START_TEST(test_api_host)
{
	struct api_opts o = { host_rows[_i].url, "api-token", NULL, NULL, 5 };
	struct ldrt_err e = LDRT_ERR_INIT;
	struct api *a = NULL;

	ck_assert_msg(api_new(&o, &a, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(api_host(a), host_rows[_i].host);
	api_free(a);
}
END_TEST

START_TEST(test_api_new_bad)
{
	struct api_opts o = { "https://a.example", NULL, NULL, NULL, 5 };
	struct ldrt_err e = LDRT_ERR_INIT;
	struct api *a = (struct api *)&o;

	ck_assert_int_eq(api_new(&o, &a, &e), -1);
	ck_assert_ptr_null(a);
	o.token = "";
	ck_assert_int_eq(api_new(&o, &a, &e), -1);
	o.token = "api-x\r\nX-Evil: 1";
	ck_assert_int_eq(api_new(&o, &a, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_ptr_null(strstr(e.msg, "api-x"));
	o.token = "api-x";
	o.base_url = "http://evil.example";
	ck_assert_int_eq(api_new(&o, &a, &e), -1);
	ck_assert_int_eq(e.ex, EX_CONFIG);
}
END_TEST

/* IDs are checked before any request: no server is needed. */
static const char *bad_ids[] = {
	"", "a/b", "../x", "a b", "a?x=1", "a%2f", "a\nb", "\xc3\xa9", NULL,
	"0123456789012345678901234567890123456789012345678901234567890123"
	"01234567890123456789012345678901234567890123456789012345678901234",
};

START_TEST(test_bad_ids)
{
	struct api_opts o = { "https://127.0.0.1:1", "api-x", NULL, NULL, 1 };
	struct relay_config c = RELAY_CONFIG_INIT;
	struct ldrt_err e = LDRT_ERR_INIT;
	struct api *a = NULL;

	ck_assert_int_eq(api_new(&o, &a, &e), 0);
	ck_assert_int_eq(api_get(a, bad_ids[_i], &c, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_int_eq(api_delete(a, bad_ids[_i], &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_int_eq(api_reset(a, bad_ids[_i], 5, &c, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_int_eq(api_update(a, bad_ids[_i], "n", NULL, NULL, &c, &e),
	    -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_ptr_null(strchr(e.msg, '\n'));
	ck_assert_int_eq(http_connections(NULL), 0);
	api_free(a);
}
END_TEST

static Suite *
api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc;

	tc = tcase_create("config");
	tcase_add_test(tc, test_config_full);
	tcase_add_loop_test(tc, test_config_ok, 0, LDRT_ARRAY_SIZE(cfg_ok));
	tcase_add_loop_test(tc, test_config_bad, 0, LDRT_ARRAY_SIZE(cfg_bad));
	tcase_add_test(tc, test_config_nul_byte);
	tcase_add_test(tc, test_config_huge_nesting);
	tcase_add_test(tc, test_config_deep_policy);
	suite_add_tcase(s, tc);

	tc = tcase_create("list");
	tcase_add_loop_test(tc, test_list_ok, 0, LDRT_ARRAY_SIZE(list_ok));
	tcase_add_loop_test(tc, test_list_bad, 0, LDRT_ARRAY_SIZE(list_bad));
	tcase_add_test(tc, test_list_fields);
	tcase_add_test(tc, test_identity);
	suite_add_tcase(s, tc);

	tc = tcase_create("error");
	tcase_add_loop_test(tc, test_error_body, 0, LDRT_ARRAY_SIZE(err_rows));
	tcase_add_test(tc, test_error_body_truncated_and_oneline);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy");
	tcase_add_loop_test(tc, test_policy_ok, 0, LDRT_ARRAY_SIZE(pol_ok));
	tcase_add_loop_test(tc, test_policy_bad, 0, LDRT_ARRAY_SIZE(pol_bad));
	suite_add_tcase(s, tc);

	tc = tcase_create("url");
	tcase_add_loop_test(tc, test_check_url, 0, LDRT_ARRAY_SIZE(url_rows));
	tcase_add_loop_test(tc, test_api_host, 0, LDRT_ARRAY_SIZE(host_rows));
	tcase_add_test(tc, test_api_new_bad);
	tcase_add_loop_test(tc, test_bad_ids, 0, LDRT_ARRAY_SIZE(bad_ids));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(api_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
