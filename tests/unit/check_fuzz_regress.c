/*
 * check_fuzz_regress.c: regression tests for what the libFuzzer targets
 * (tests/fuzz/) found, as plain Check tests so that every build runs them
 * (the corpus files in tests/fuzz/corpus/<target>/regress-* replay the
 * same inputs under scripts/fuzz).
 *
 *   envfile-null-old       envfile_merge(NULL, 0, ...) computed NULL + 0
 *                          (undefined behaviour, UBSan pointer-overflow).
 *   envfile-shell-concat   a shell-format line with a ' in a multi-line
 *                          value ('a'\''b<newline>...) was not seen as
 *                          going on to the next line: a second merge
 *                          replaced its first line only and left the rest
 *                          as garbage (a line of it set the variable).
 *   envfile-fixed-point    merging the line a merge just wrote is a fixed
 *                          point or a clean refusal, for every format.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "envfile.h"
#include "secret.h"

START_TEST(test_envfile_null_old)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char *out = NULL;
	size_t len = 0;

	ck_assert_int_eq(envfile_merge(NULL, 0, "K", "K=v\n", &out, &len,
	    &e), 0);
	ck_assert_str_eq(out, "K=v\n");
	ck_assert_uint_eq(len, 4);
	secret_free(out);
	/* a NULL buffer with a length is an absent file too */
	ck_assert_int_eq(envfile_merge(NULL, 5, "K", "K=v\n", &out, &len,
	    &e), 0);
	ck_assert_str_eq(out, "K=v\n");
	secret_free(out);
}
END_TEST

/* Lines that go on to the next one: refused, never half replaced. */
static const char *const continuing[] = {
	"export K='it\"sK='\\''ope'\\''re\nsnt\nK=xb'\n",	/* the finding */
	"K='a'\\''b\nK=c'\n",
	"K='a'\"b\nK=c\"\n",
	"K=\"a\"'b\nc'\n",
	"K='a'\\\n",
	"K=\"a\\\"\nb\"\n",
};

START_TEST(test_envfile_shell_concat)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char *out = NULL;
	size_t len = 0;
	const char *old = continuing[_i];

	ck_assert_int_eq(envfile_merge(old, strlen(old), "K", "K=new\n",
	    &out, &len, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_ptr_null(out);
}
END_TEST

/* Values that end on their line although they hold quotes. */
static const char *const complete[] = {
	"K='a'\\''b'\nA=1\n",
	"K='a'\"b\"'c'\nA=1\n",
	"K=\"a\" # it's a comment\nA=1\n",
	"K='a' 'b\nA=1\n",	/* the word ends at the blank */
	"K=plain'quote\nA=1\n",	/* docker: verbatim */
};

START_TEST(test_envfile_complete)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char *out = NULL;
	size_t len = 0;
	const char *old = complete[_i];

	ck_assert_int_eq(envfile_merge(old, strlen(old), "K", "K=new\n",
	    &out, &len, &e), 0);
	ck_assert_str_eq(out, "K=new\nA=1\n");
	secret_free(out);
}
END_TEST

/* The values the fuzzer used and hostile ones, in every env format. */
static const char *const values[] = {
	"rel-1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d",
	"it\"sK='ope're\nsnt\nK=xb",
	"\"\"\"\"\"\"\".\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\tv",
	"a'b", "'", "\"", "\\", "a\\", "$x `y` ${z}", "a b # c", "",
};
static const enum emit_format formats[] = {
	EMIT_DOTENV, EMIT_SYSTEMD, EMIT_DOCKER, EMIT_SHELL
};

START_TEST(test_envfile_fixed_point)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char *line = NULL, *out = NULL, *out2 = NULL;
	size_t len = 0, len2 = 0, i;
	const char *old = "# c\nA=1\nK=old\n";

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (emit_env_line(formats[i], "K", values[_i], &line, &e) != 0)
			continue;	/* the format cannot carry it */
		ck_assert_int_eq(envfile_merge(old, strlen(old), "K", line,
		    &out, &len, &e), 0);
		if (envfile_merge(out, len, "K", line, &out2, &len2, &e) == 0) {
			ck_assert_uint_eq(len2, len);
			ck_assert_mem_eq(out2, out, len);
		} else
			ck_assert_int_eq(e.ex, EX_DATAERR);
		secret_free(out2);
		secret_free(out);
		secret_free(line);
		out = out2 = line = NULL;
	}
}
END_TEST

static Suite *
fuzz_regress_suite(void)
{
	Suite *s = suite_create("fuzz_regress");
	TCase *tc = tcase_create("envfile");

	tcase_add_test(tc, test_envfile_null_old);
	tcase_add_loop_test(tc, test_envfile_shell_concat, 0,
	    sizeof(continuing) / sizeof(continuing[0]));
	tcase_add_loop_test(tc, test_envfile_complete, 0,
	    sizeof(complete) / sizeof(complete[0]));
	tcase_add_loop_test(tc, test_envfile_fixed_point, 0,
	    sizeof(values) / sizeof(values[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(fuzz_regress_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
