/*
 * check_util.c: error lines and terminal-safe text (src/util.c).
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ldrt.h"

static const struct {
	const char	*in;
	const char	*out;
} safe[] = {
	{ "", "" },
	{ "plain name", "plain name" },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
	{ "\x1b[31mred\x1b[0m", "?[31mred?[0m" },
	{ "a\nb\rc\td", "a?b?c?d" },
	{ "del\x7f", "del?" },
	{ "csi\xc2\x9b" "2J", "csi??2J" },		/* C1 CSI in UTF-8 */
	{ "\xc2\x80\xc2\x9f\xc2\xa0", "????\xc2\xa0" },	/* NBSP stays */
	{ "cut\xc2", "cut\xc2" },
};

START_TEST(test_sanitize)
{
	char *d = text_safe_dup(safe[_i].in);

	ck_assert_str_eq(d, safe[_i].out);
	ck_assert_uint_eq(strlen(d), strlen(safe[_i].in));	/* widths kept */
	free(d);
}
END_TEST

START_TEST(test_safe_dup_null)
{
	char *d = text_safe_dup(NULL);

	ck_assert_str_eq(d, "");
	free(d);
}
END_TEST

/* An error is one line: newlines and tabs are spaces, escapes are gone. */
START_TEST(test_err_one_line)
{
	struct ldrt_err e = LDRT_ERR_INIT;

	ck_assert_int_eq(err_set(&e, EX_DATAERR, "relay '%s': bad",
	    "x\ny\x1b]0;title\x07"), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_str_eq(e.msg, "relay 'x y?]0;title?': bad");
	err_prefix(&e, "ctx\t%d", 1);
	ck_assert_str_eq(e.msg, "ctx 1: relay 'x y?]0;title?': bad");
}
END_TEST

static Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("text");

	tcase_add_loop_test(tc, test_sanitize, 0, LDRT_ARRAY_SIZE(safe));
	tcase_add_test(tc, test_safe_dup_null);
	tcase_add_test(tc, test_err_one_line);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(util_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
