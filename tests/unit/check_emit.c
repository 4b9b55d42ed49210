/*
 * check_emit.c: every output format against a table of values, hostile
 * ones included, each row with the exact bytes expected or a refusal.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "secret.h"

struct row {
	enum emit_format f;
	const char	*key;
	const char	*want;	/* NULL: refused with EX_DATAERR */
};

#define LONGLEN 70000

/* Hostile inputs: quotes, $, backslash, #, spaces, newline, tab, CR,
 * non-ASCII UTF-8, invalid UTF-8, empty. */
static const struct row rows[] = {
	/* raw */
	{ EMIT_RAW, "rel-1", "rel-1\n" },
	{ EMIT_RAW, "", "\n" },
	{ EMIT_RAW, "a b'\"$\\#\t\xc3\xa9\xff", "a b'\"$\\#\t\xc3\xa9\xff\n" },
	{ EMIT_RAW, "a\nb", NULL },
	{ EMIT_RAW, "a\rb", NULL },
	/* shell: plain unquoted, the rest single-quoted, ' as '\'' */
	{ EMIT_SHELL, "rel-1", "export V=rel-1\n" },
	{ EMIT_SHELL, "", "export V=''\n" },
	{ EMIT_SHELL, "a b", "export V='a b'\n" },
	{ EMIT_SHELL, "it's", "export V='it'\\''s'\n" },
	{ EMIT_SHELL, "''", "export V=''\\'''\\'''\n" },
	{ EMIT_SHELL, "$HOME `id` $(id) \\ \" #",
	    "export V='$HOME `id` $(id) \\ \" #'\n" },
	{ EMIT_SHELL, "a\nb\rc\td", "export V='a\nb\rc\td'\n" },
	{ EMIT_SHELL, "\xc3\xa9\xff", "export V='\xc3\xa9\xff'\n" },
	/* dotenv */
	{ EMIT_DOTENV, "rel-1", "V=rel-1\n" },
	{ EMIT_DOTENV, "", "V=''\n" },
	{ EMIT_DOTENV, "a b # $x \"q\" `c`", "V='a b # $x \"q\" `c`'\n" },
	{ EMIT_DOTENV, "a\tb", "V='a\tb'\n" },
	{ EMIT_DOTENV, "\xc3\xa9", "V='\xc3\xa9'\n" },
	{ EMIT_DOTENV, "$", "V='$'\n" },
	{ EMIT_DOTENV, "a${b}", NULL },
	{ EMIT_DOTENV, "it's", NULL },
	{ EMIT_DOTENV, "a\\b", NULL },
	{ EMIT_DOTENV, "a\nb", NULL },
	{ EMIT_DOTENV, "a\rb", NULL },
	{ EMIT_DOTENV, "a\x01", NULL },
	{ EMIT_DOTENV, "a\x7f", NULL },
	{ EMIT_DOTENV, "\xff", NULL },
	{ EMIT_DOTENV, "\xc0\x80", NULL },	/* overlong NUL */
	{ EMIT_DOTENV, "\xed\xa0\x80", NULL },	/* surrogate */
	/* systemd */
	{ EMIT_SYSTEMD, "rel-1", "V=rel-1\n" },
	{ EMIT_SYSTEMD, "", "V=\"\"\n" },
	{ EMIT_SYSTEMD, " a b ", "V=\" a b \"\n" },
	{ EMIT_SYSTEMD, "a\"b\\c$d`e'f#g;h", "V=\"a\\\"b\\\\c\\$d\\`e'f#g;h\"\n" },
	{ EMIT_SYSTEMD, "\\n", "V=\"\\\\n\"\n" },
	{ EMIT_SYSTEMD, "a\tb\xc3\xa9\xf0\x9f\x98\x80", "V=\"a\tb\xc3\xa9\xf0\x9f\x98\x80\"\n" },
	{ EMIT_SYSTEMD, "a\nb", NULL },
	{ EMIT_SYSTEMD, "a\r", NULL },
	{ EMIT_SYSTEMD, "\x1b[0m", NULL },
	{ EMIT_SYSTEMD, "\xef\xbb\xbf" "a", NULL },	/* BOM */
	{ EMIT_SYSTEMD, "\xef\xbf\xbe", NULL },	/* U+FFFE */
	{ EMIT_SYSTEMD, "\xff", NULL },
	/* docker: verbatim */
	{ EMIT_DOCKER, "rel-1", "V=rel-1\n" },
	{ EMIT_DOCKER, "", "V=\n" },
	{ EMIT_DOCKER, "a b #c 'q' \"d\" $e \\f", "V=a b #c 'q' \"d\" $e \\f\n" },
	{ EMIT_DOCKER, "\xc3\xa9", "V=\xc3\xa9\n" },
	{ EMIT_DOCKER, " a", NULL },
	{ EMIT_DOCKER, "a ", NULL },
	{ EMIT_DOCKER, "a\t", NULL },
	{ EMIT_DOCKER, "a\nb", NULL },
	{ EMIT_DOCKER, "a\r", NULL },
	{ EMIT_DOCKER, "\xff", NULL },
	/* curl-config */
	{ EMIT_CURL_CONFIG, "api-1", "header = \"Authorization: api-1\"\n" },
	{ EMIT_CURL_CONFIG, "a\"b\\c d", "header = \"Authorization: a\\\"b\\\\c d\"\n" },
	{ EMIT_CURL_CONFIG, "a\nb", NULL },
	{ EMIT_CURL_CONFIG, "a\rb", NULL },
	{ EMIT_CURL_CONFIG, "a\tb", NULL },
	{ EMIT_CURL_CONFIG, "\xc3\xa9", NULL },
	{ EMIT_CURL_CONFIG, "", NULL },
	{ EMIT_CURL_CONFIG, " a", NULL },
	{ EMIT_CURL_CONFIG, "a ", NULL },
};

START_TEST(test_format_table)
{
	const struct row *r = &rows[_i];
	struct emit_input in = { .var = "V", .key = r->key,
	    .old_key_expires_ms = -1 };
	struct ldrt_err e = LDRT_ERR_INIT;
	char *out = (char *)1;
	int rc;

	rc = emit_render(r->f, &in, &out, &e);
	if (r->want == NULL) {
		ck_assert_msg(rc == -1, "row %d (%s): not refused", _i,
		    emit_format_name(r->f));
		ck_assert_int_eq(e.ex, EX_DATAERR);
		ck_assert_ptr_null(out);
		/* the refusal names no part of the value */
		if (strlen(r->key) > 2)
			ck_assert_ptr_null(strstr(e.msg, r->key));
	} else {
		ck_assert_msg(rc == 0, "row %d (%s): %s", _i,
		    emit_format_name(r->f), e.msg);
		ck_assert_str_eq(out, r->want);
		secret_free(out);
	}
}
END_TEST

START_TEST(test_default_var)
{
	struct emit_input in = { .key = "rel-1", .old_key_expires_ms = -1 };
	struct ldrt_err e = LDRT_ERR_INIT;
	char *out;

	ck_assert_int_eq(emit_render(EMIT_DOTENV, &in, &out, &e), 0);
	ck_assert_str_eq(out, "AUTO_CONFIG_KEY=rel-1\n");
	secret_free(out);
}
END_TEST

static const struct {
	const char	*var;
	int		 ok;
} vars[] = {
	{ "AUTO_CONFIG_KEY", 1 }, { "_", 1 }, { "a1_B", 1 }, { "", 0 },
	{ "1A", 0 }, { "A-B", 0 }, { "A B", 0 }, { "A=B", 0 }, { "\xc3\xa9", 0 },
	{ "A\n", 0 }, { "export A", 0 }, { "A.B", 0 },
};

START_TEST(test_var_names)
{
	struct emit_input in = { .var = vars[_i].var, .key = "k",
	    .name = "n", .old_key_expires_ms = -1 };
	struct ldrt_err e = LDRT_ERR_INIT;
	enum emit_format f;
	char *out;

	ck_assert_int_eq(emit_check_var(vars[_i].var, &e), vars[_i].ok ? 0 :
	    -1);
	for (f = EMIT_SHELL; f <= EMIT_K8S_SECRET; f++) {
		ck_assert_int_eq(emit_render(f, &in, &out, &e),
		    vars[_i].ok ? 0 : -1);
		if (vars[_i].ok)
			secret_free(out);
		else
			ck_assert_int_eq(e.ex, EX_DATAERR);
	}
}
END_TEST

START_TEST(test_long_value)
{
	struct emit_input in = { .var = "V", .old_key_expires_ms = -1 };
	struct ldrt_err e = LDRT_ERR_INIT;
	char *key = malloc(LONGLEN + 1), *out;

	memset(key, 'x', LONGLEN);
	key[LONGLEN] = '\0';
	in.key = key;
	ck_assert_int_eq(emit_render(EMIT_SHELL, &in, &out, &e), 0);
	ck_assert_uint_eq(strlen(out), LONGLEN + 10);
	secret_free(out);
	/* docker's reader cannot take a line over 64 KiB */
	ck_assert_int_eq(emit_render(EMIT_DOCKER, &in, &out, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	key[60000] = '\0';
	ck_assert_int_eq(emit_render(EMIT_DOCKER, &in, &out, &e), 0);
	secret_free(out);
	free(key);
}
END_TEST

START_TEST(test_json)
{
	struct emit_input in = { .var = "V", .name = "prod", .id = "5f0c",
	    .key = "a\"b\\c\n\t\x01\x7f\xc2\x85\xe2\x80\xa8\xc3\xa9\xf0\x9f\x98\x80",
	    .display_key = "****0c", .old_key_expires_ms = 1764842400000LL };
	struct ldrt_err e = LDRT_ERR_INIT;
	char *out;

	ck_assert_int_eq(emit_render(EMIT_JSON, &in, &out, &e), 0);
	ck_assert_str_eq(out, "{\"name\":\"prod\",\"id\":\"5f0c\",\"var\":\"V\","
	    "\"key\":\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\\u0085\\u2028"
	    "\xc3\xa9\xf0\x9f\x98\x80\",\"display_key\":\"****0c\","
	    "\"old_key_expires_at\":\"2025-12-04T10:00:00Z\"}\n");
	secret_free(out);
	in.old_key_expires_ms = -1;
	in.id = NULL;
	in.display_key = NULL;
	in.key = "";
	ck_assert_int_eq(emit_render(EMIT_JSON, &in, &out, &e), 0);
	ck_assert_str_eq(out, "{\"name\":\"prod\",\"id\":null,\"var\":\"V\","
	    "\"key\":\"\",\"display_key\":null,\"old_key_expires_at\":null}\n");
	secret_free(out);
	in.old_key_expires_ms = 1764842400123LL;
	ck_assert_int_eq(emit_render(EMIT_JSON, &in, &out, &e), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"2025-12-04T10:00:00.123Z\""));
	secret_free(out);
	in.key = "\xff";
	ck_assert_int_eq(emit_render(EMIT_JSON, &in, &out, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	in.key = "k";
	in.name = "\xc3(";
	ck_assert_int_eq(emit_render(EMIT_JSON, &in, &out, &e), -1);
}
END_TEST

START_TEST(test_k8s)
{
	struct emit_input in = { .name = "Prod_EU", .key = "rel-1 \"x\"",
	    .old_key_expires_ms = -1 };
	struct ldrt_err e = LDRT_ERR_INIT;
	char *out;

	ck_assert_int_eq(emit_render(EMIT_K8S_SECRET, &in, &out, &e), 0);
	ck_assert_str_eq(out, "apiVersion: v1\nkind: Secret\nmetadata:\n"
	    "  name: \"ld-relay-prod-eu\"\n  labels:\n"
	    "    app.kubernetes.io/managed-by: \"ld-relay-token\"\n"
	    "type: Opaque\nstringData:\n"
	    "  \"AUTO_CONFIG_KEY\": \"rel-1 \\\"x\\\"\"\n");
	secret_free(out);
	in.k8s_name = "relay.example-1";
	in.k8s_namespace = "ld";
	ck_assert_int_eq(emit_render(EMIT_K8S_SECRET, &in, &out, &e), 0);
	ck_assert_ptr_nonnull(strstr(out, "  name: \"relay.example-1\"\n"
	    "  namespace: \"ld\"\n"));
	secret_free(out);
}
END_TEST

static const struct {
	const char	*name;
	const char	*k8s_name;
	const char	*ns;
	int		 ok;
} k8s_rows[] = {
	{ "prod", NULL, NULL, 1 },
	{ "p.1", NULL, NULL, 1 },
	{ NULL, NULL, NULL, 0 },		/* no name at all */
	{ "prod-", NULL, NULL, 0 },		/* ends with '-' */
	{ "a..b", NULL, NULL, 0 },
	{ "a b", NULL, NULL, 0 },
	{ "caf\xc3\xa9", NULL, NULL, 0 },
	{ "x", "Upper", NULL, 0 },		/* explicit: not changed */
	{ "x", "-a", NULL, 0 },
	{ "x", "a_b", NULL, 0 },
	{ "x", "", NULL, 0 },
	{ "x", "ok", "ns-1", 1 },
	{ "x", "ok", "ns.1", 0 },		/* a label has no dots */
	{ "x", "ok", "NS", 0 },
	{ "x", "ok", "", 0 },
	{ "x", "ok", "a234567890123456789012345678901234567890123456789"
	    "012345678901234", 0 },	/* 64 bytes */
};

START_TEST(test_k8s_names)
{
	struct emit_input in = { .name = k8s_rows[_i].name,
	    .k8s_name = k8s_rows[_i].k8s_name, .k8s_namespace = k8s_rows[_i].ns,
	    .key = "k", .old_key_expires_ms = -1 };
	struct ldrt_err e = LDRT_ERR_INIT;
	char *out = NULL;
	int rc;

	rc = emit_render(EMIT_K8S_SECRET, &in, &out, &e);
	ck_assert_msg(rc == (k8s_rows[_i].ok ? 0 : -1), "row %d: %s", _i,
	    e.msg);
	secret_free(out);
}
END_TEST

START_TEST(test_k8s_long_name)
{
	struct emit_input in = { .key = "k", .old_key_expires_ms = -1 };
	struct ldrt_err e = LDRT_ERR_INIT;
	char name[300], *out;

	memset(name, 'a', sizeof(name));
	name[244] = '\0';	/* ld-relay- + 244 = 253: fits */
	in.name = name;
	ck_assert_int_eq(emit_render(EMIT_K8S_SECRET, &in, &out, &e), 0);
	secret_free(out);
	name[244] = 'a';
	name[245] = '\0';
	ck_assert_int_eq(emit_render(EMIT_K8S_SECRET, &in, &out, &e), -1);
}
END_TEST

START_TEST(test_format_names)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	enum emit_format f, g;

	for (f = EMIT_RAW; f <= EMIT_CURL_CONFIG; f++) {
		ck_assert_int_eq(emit_format_parse(emit_format_name(f), &g,
		    &e), 0);
		ck_assert_int_eq(g, f);
	}
	ck_assert_str_eq(emit_format_name(EMIT_K8S_SECRET), "k8s-secret");
	ck_assert_int_eq(emit_format_parse("yaml", &g, &e), -1);
	ck_assert_int_eq(e.ex, EX_USAGE);
	ck_assert_int_eq(emit_format_parse("", &g, &e), -1);
	ck_assert_int_eq(emit_format_parse("RAW", &g, &e), -1);
}
END_TEST

START_TEST(test_env_line_formats)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char *out = (char *)1;

	ck_assert_int_eq(emit_env_line(EMIT_JSON, "V", "k", &out, &e), -1);
	ck_assert_int_eq(e.ex, EX_USAGE);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(emit_env_line(EMIT_SYSTEMD, "V", "a b", &out, &e), 0);
	ck_assert_str_eq(out, "V=\"a b\"\n");
	secret_free(out);
}
END_TEST

static Suite *
emit_suite(void)
{
	Suite *s = suite_create("emit");
	TCase *tc;

	tc = tcase_create("formats");
	tcase_add_loop_test(tc, test_format_table, 0, LDRT_ARRAY_SIZE(rows));
	tcase_add_test(tc, test_default_var);
	tcase_add_test(tc, test_long_value);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_env_line_formats);
	tcase_add_test(tc, test_format_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("names");
	tcase_add_loop_test(tc, test_var_names, 0, LDRT_ARRAY_SIZE(vars));
	tcase_add_test(tc, test_k8s);
	tcase_add_loop_test(tc, test_k8s_names, 0, LDRT_ARRAY_SIZE(k8s_rows));
	tcase_add_test(tc, test_k8s_long_name);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(emit_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
