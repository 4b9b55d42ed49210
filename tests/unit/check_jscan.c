/*
 * check_jscan.c: the JSON pull scanner (src/jscan.c): what it accepts and
 * refuses (RFC 8259, strict UTF-8), where it says the error is, decoding
 * as json-c decodes, integers, compaction and the depth limit.
 * tests/fuzz/fuzz_jscan.c compares it with json-c on random documents.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ldrt.h"
#include "jscan.h"

/* Scans one whole document: 0 or -1 (s keeps the error). */
static int
scan_doc(struct jscan *s, const char *doc, size_t len, int depth)
{
	struct jscan_val v;

	jscan_init(s, doc, len, depth);
	if (jscan_value(s, &v) != 0)
		return -1;
	return jscan_end(s);
}

static const char *const good[] = {
	"{}", "[]", " [ ] ", "\t{\n}\r\n", "0", "-0", "1", "-1", "12.5",
	"0.5e3", "1E+5", "1e-5", "-0.0", "123456789012345678901234567890",
	"true", "false", "null", "\"\"", "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"",
	"\"\\u0041\\u00e9\\uD83D\\uDE00\\ud800\"", "\"\\u0000\"",
	"\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf\"",
	"\"\x7f\"", "{\"a\":1,\"a\":2}", "[1,[2,[3,{\"x\":[]}]]]",
	"{\"items\":[{\"_id\":\"a\"}],\"n\":null}",
};

START_TEST(test_good)
{
	struct jscan s;

	ck_assert_msg(scan_doc(&s, good[_i], strlen(good[_i]), 32) == 0,
	    "row %d: %s at %zu", _i, s.err, s.err_off);
}
END_TEST

static const struct {
	const char	*doc;
	size_t		 off;
	int		 truncated;
	const char	*err;
} bad[] = {
	{ "", 0, 1, "end of input" },
	{ "   ", 3, 1, "end of input" },
	{ "[", 1, 1, "end of input" },
	{ "[1,", 3, 1, "end of input" },
	{ "{\"a\"", 4, 1, "end of input" },
	{ "{\"a\":", 5, 1, "end of input" },
	{ "\"abc", 4, 1, "end of input" },
	{ "\"\\u00", 5, 1, "end of input" },
	{ "\"\xc3", 2, 1, "end of input" },
	{ "tru", 3, 1, "end of input" },
	{ "-", 1, 1, "end of input" },
	{ "1.", 2, 1, "end of input" },
	{ "1e+", 3, 1, "end of input" },
	/* json-c's strict mode takes the next five; RFC 8259 does not */
	{ "[01]", 2, 0, "expected ',' or ']'" },
	{ "[-01]", 3, 0, "expected ',' or ']'" },
	{ "[1.]", 3, 0, "invalid number" },
	{ "[NaN]", 1, 0, "unexpected character" },
	{ "[\"a\tb\"]", 3, 0, "control character" },
	{ "[-Infinity]", 2, 0, "invalid number" },
	{ ".5", 0, 0, "unexpected character" },
	{ "+1", 0, 0, "unexpected character" },
	{ "[1e]", 3, 0, "invalid number" },
	{ "[1,]", 3, 0, "unexpected character" },
	{ "[,1]", 1, 0, "unexpected character" },
	{ "[1 2]", 3, 0, "expected ',' or ']'" },
	{ "{\"a\":1,}", 7, 0, "quoted member name" },
	{ "{,}", 1, 0, "quoted member name" },
	{ "{1:2}", 1, 0, "quoted member name" },
	{ "{'a':1}", 1, 0, "quoted member name" },
	{ "{\"a\" 1}", 5, 0, "expected ':'" },
	{ "{\"a\":1 \"b\":2}", 7, 0, "expected ',' or '}'" },
	{ "[True]", 1, 0, "unexpected character" },
	{ "[nul]", 1, 0, "invalid literal" },
	{ "[truex]", 5, 0, "expected ',' or ']'" },
	{ "\"\\x\"", 1, 0, "invalid escape" },
	{ "\"\\U0041\"", 1, 0, "invalid escape" },
	{ "\"\\u004g\"", 1, 0, "invalid \\u escape" },
	{ "\"\xff\"", 1, 0, "invalid UTF-8" },
	{ "\"\xc0\x80\"", 1, 0, "invalid UTF-8" },		/* overlong NUL */
	{ "\"\xe0\x9f\xbf\"", 1, 0, "invalid UTF-8" },	/* overlong */
	{ "\"\xed\xa0\x80\"", 1, 0, "invalid UTF-8" },	/* surrogate */
	{ "\"\xf4\x90\x80\x80\"", 1, 0, "invalid UTF-8" },	/* > U+10FFFF */
	{ "\"\xc3(\"", 1, 0, "invalid UTF-8" },
	{ "\xef\xbb\xbf{}", 0, 0, "unexpected character" },	/* BOM */
	{ "{} x", 3, 0, "trailing data" },
	{ "{}{}", 2, 0, "trailing data" },
	{ "{}\f", 2, 0, "trailing data" },
	{ "/*c*/{}", 0, 0, "unexpected character" },
};

START_TEST(test_bad)
{
	struct jscan s;

	ck_assert_int_eq(scan_doc(&s, bad[_i].doc, strlen(bad[_i].doc), 32),
	    -1);
	ck_assert_ptr_nonnull(s.err);
	ck_assert_msg(strstr(s.err, bad[_i].err) != NULL,
	    "row %d: '%s' lacks '%s'", _i, s.err, bad[_i].err);
	ck_assert_uint_eq(s.err_off, bad[_i].off);
	ck_assert_int_eq(s.truncated, bad[_i].truncated);
}
END_TEST

/* A NUL byte is not JSON anywhere, inside a string or out. */
START_TEST(test_nul_byte)
{
	static const char a[] = "[\"a\0b\"]", b[] = "[1,\0 2]";
	struct jscan s;

	ck_assert_int_eq(scan_doc(&s, a, sizeof(a) - 1, 32), -1);
	ck_assert_uint_eq(s.err_off, 3);
	ck_assert_int_eq(scan_doc(&s, b, sizeof(b) - 1, 32), -1);
	ck_assert_uint_eq(s.err_off, 3);
}
END_TEST

/* max_depth D allows D - 1 nested containers, as json-c's depth D. */
START_TEST(test_depth)
{
	char doc[200];
	struct jscan s;
	int d;

	for (d = 2; d <= 40; d++) {
		memset(doc, '[', (size_t)d);
		memset(doc + d, ']', (size_t)d);
		ck_assert_int_eq(scan_doc(&s, doc, 2 * (size_t)d, d + 1), 0);
		ck_assert_int_eq(scan_doc(&s, doc, 2 * (size_t)d, d), -1);
		ck_assert_str_eq(s.err, "nesting too deep");
		ck_assert_uint_eq(s.err_off, (size_t)d - 1);
	}
	/* a deep document fails fast, without deep recursion */
	{
		size_t n = 1000000;
		char *big = malloc(n);

		memset(big, '[', n);
		ck_assert_int_eq(scan_doc(&s, big, n, 1000), -1);
		ck_assert_uint_eq(s.err_off, JSCAN_MAX_DEPTH - 1);
		free(big);
	}
}
END_TEST

static const struct {
	const char	*in;		/* a JSON string */
	const char	*out;
	size_t		 len;
} dec[] = {
	{ "\"plain\"", "plain", 5 },
	{ "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8 },
	{ "\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac", 6 },
	{ "\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4 },
	/* U+1DE00: json-c 0.16 gives U+FFFD for U+xD800..U+xDFFF, wrongly */
	{ "\"\\ud837\\ude00\"", "\xf0\x9d\xb8\x80", 4 },
	/* unpaired surrogates become U+FFFD, as json-c does */
	{ "\"\\ud800\"", "\xef\xbf\xbd", 3 },
	{ "\"\\udc00x\"", "\xef\xbf\xbdx", 4 },
	{ "\"\\ud800\\u0041\"", "\xef\xbf\xbd" "A", 4 },
	{ "\"\\uD800\\uDBFF\"", "\xef\xbf\xbd\xef\xbf\xbd", 6 },
	{ "\"a\\u0000b\"", "a\0b", 3 },
};

START_TEST(test_decode)
{
	struct jscan s;
	struct jscan_val v;
	char *d;
	size_t n;

	jscan_init(&s, dec[_i].in, strlen(dec[_i].in), 8);
	ck_assert_int_eq(jscan_value(&s, &v), 0);
	ck_assert_int_eq(v.type, JSCAN_STRING);
	d = malloc(v.str.len + 1);
	n = jscan_decode(&v.str, d);
	ck_assert_uint_eq(n, dec[_i].len);
	ck_assert_int_eq(memcmp(d, dec[_i].out, n), 0);
	ck_assert_int_eq(d[n], '\0');
	free(d);
}
END_TEST

START_TEST(test_str_is)
{
	static const char doc[] = "{\"_id\":1,\"\\u005fid\":2,\"_i\":3,"
	    "\"_id\\u0000x\":4,\"_idx\":5}";
	static const int want[] = { 1, 1, 0, 1, 0 };
	struct jscan s;
	struct jscan_str k;
	struct jscan_val v;
	int i = 0;

	jscan_init(&s, doc, sizeof(doc) - 1, 8);
	ck_assert_int_eq(jscan_object(&s), 0);
	while (jscan_member(&s, &k) == 1) {
		ck_assert_int_lt(i, 5);
		/* a key is a C string to json-c, so "_id\0x" is "_id" */
		ck_assert_int_eq(jscan_str_is(&k, "_id"), want[i]);
		ck_assert_int_eq(jscan_value(&s, &v), 0);
		ck_assert_int_eq(jscan_int64(&v), i + 1);
		i++;
	}
	ck_assert_int_eq(i, 5);
	ck_assert_int_eq(jscan_end(&s), 0);
}
END_TEST

static const struct {
	const char	*num;
	int		 is_int;
	int64_t		 v;
} ints[] = {
	{ "0", 1, 0 },
	{ "-0", 1, 0 },
	{ "42", 1, 42 },
	{ "-42", 1, -42 },
	{ "9223372036854775806", 1, INT64_MAX - 1 },
	{ "9223372036854775807", 1, INT64_MAX },
	{ "9223372036854775808", 1, INT64_MAX },
	{ "99999999999999999999999", 1, INT64_MAX },
	{ "-9223372036854775807", 1, -INT64_MAX },
	{ "-9223372036854775808", 1, INT64_MIN },
	{ "-9223372036854775809", 1, INT64_MIN },
	{ "1.0", 0, 0 },
	{ "1e3", 0, 0 },
};

START_TEST(test_int64)
{
	struct jscan s;
	struct jscan_val v;

	jscan_init(&s, ints[_i].num, strlen(ints[_i].num), 8);
	ck_assert_int_eq(jscan_value(&s, &v), 0);
	ck_assert_int_eq(v.type, JSCAN_NUMBER);
	ck_assert_int_eq(v.is_int, ints[_i].is_int);
	if (v.is_int)
		ck_assert_int_eq(jscan_int64(&v), ints[_i].v);
	ck_assert_uint_eq(v.len, strlen(ints[_i].num));
}
END_TEST

START_TEST(test_compact)
{
	static const char doc[] = " [ { \"a b\" : [ 1 , \"x\\\" y\" ] ,\n"
	    "\t\"c\":\"\\\\\" } , true ] ";
	struct jscan s;
	struct jscan_val v;
	char *c;

	jscan_init(&s, doc, sizeof(doc) - 1, 8);
	ck_assert_int_eq(jscan_value(&s, &v), 0);
	ck_assert_int_eq(v.type, JSCAN_ARRAY);
	c = jscan_compact(&v);
	ck_assert_str_eq(c, "[{\"a b\":[1,\"x\\\" y\"],\"c\":\"\\\\\"},true]");
	free(c);
	ck_assert_int_eq(jscan_end(&s), 0);
}
END_TEST

/* Walking by hand: types, members, elements, and a dead scanner stays
 * dead. */
START_TEST(test_walk)
{
	static const char doc[] = "{\"a\":[true,false,null,\"s\",-1.5e2],"
	    "\"b\":{}}";
	static const enum jscan_type types[] = { JSCAN_TRUE, JSCAN_FALSE,
	    JSCAN_NULL, JSCAN_STRING, JSCAN_NUMBER };
	struct jscan s;
	struct jscan_str k;
	struct jscan_val v;
	int i;

	jscan_init(&s, doc, sizeof(doc) - 1, 8);
	ck_assert_int_eq(jscan_peek(&s), JSCAN_OBJECT);
	ck_assert_int_eq(jscan_object(&s), 0);
	ck_assert_int_eq(jscan_member(&s, &k), 1);
	ck_assert(jscan_str_is(&k, "a"));
	ck_assert_int_eq(jscan_array(&s), 0);
	for (i = 0; jscan_element(&s) == 1; i++) {
		ck_assert_int_eq(jscan_peek(&s), types[i]);
		ck_assert_int_eq(jscan_value(&s, &v), 0);
		ck_assert_int_eq(v.type, types[i]);
	}
	ck_assert_int_eq(i, 5);
	ck_assert_int_eq(jscan_member(&s, &k), 1);
	ck_assert(jscan_str_is(&k, "b"));
	ck_assert_int_eq(jscan_value(&s, &v), 0);
	ck_assert_int_eq(v.type, JSCAN_OBJECT);
	ck_assert_uint_eq(v.len, 2);
	ck_assert_int_eq(jscan_member(&s, &k), 0);
	ck_assert_int_eq(jscan_end(&s), 0);

	/* an array where an object is expected: error, and it sticks */
	jscan_init(&s, "[1]", 3, 8);
	ck_assert_int_eq(jscan_object(&s), -1);
	ck_assert_str_eq(s.err, "expected an object");
	ck_assert_int_eq(jscan_peek(&s), JSCAN_NONE);
	ck_assert_int_eq(jscan_array(&s), -1);
	ck_assert_int_eq(jscan_end(&s), -1);
	ck_assert_str_eq(s.err, "expected an object");
}
END_TEST

static Suite *
jscan_suite(void)
{
	Suite *s = suite_create("jscan");
	TCase *tc = tcase_create("jscan");

	tcase_add_loop_test(tc, test_good, 0, LDRT_ARRAY_SIZE(good));
	tcase_add_loop_test(tc, test_bad, 0, LDRT_ARRAY_SIZE(bad));
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_depth);
	tcase_add_loop_test(tc, test_decode, 0, LDRT_ARRAY_SIZE(dec));
	tcase_add_test(tc, test_str_is);
	tcase_add_loop_test(tc, test_int64, 0, LDRT_ARRAY_SIZE(ints));
	tcase_add_test(tc, test_compact);
	tcase_add_test(tc, test_walk);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(jscan_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
