/*
 * check_cli.c: global options and how settings are resolved (option >
 * LDRT_* environment > config file > default).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct {
	int		 opt;
	const char	*arg;
	int		 want;	/* return of cli_global_option */
} global_rows[] = {
	{ 'p', "staging", 1 },
	{ 'p', "", -1 },
	{ 'q', NULL, 1 },
	{ 'v', NULL, 1 },
	{ 'x', NULL, 0 },
};

START_TEST(test_global_option_table)
{
	struct ldrt_globals g;
	struct ldrt_err e = LDRT_ERR_INIT;

	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(cli_global_option(&g, global_rows[_i].opt,
	    global_rows[_i].arg, &e), global_rows[_i].want);
	if (global_rows[_i].want < 0)
		ck_assert_int_eq(e.ex, EX_USAGE);
}
END_TEST

/* Long-only global options by name, through getopt_long. */
static int
parse(struct ldrt_globals *g, const char *a1, const char *a2,
    struct ldrt_err *e)
{
	char *argv[] = { "x", (char *)a1, (char *)a2, NULL };
	struct option *lo = cli_longopts(NULL, NULL);
	int opt, r = 0;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(a2 ? 3 : 2, argv, CLI_GLOBAL_SHORTOPTS, lo,
	    NULL)) != -1) {
		r = cli_global_option(g, opt, optarg, e);
		if (r <= 0)
			break;
	}
	free(lo);
	return r;
}

START_TEST(test_store_and_timeout_values)
{
	struct ldrt_globals g;
	struct ldrt_err e = LDRT_ERR_INIT;

	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(parse(&g, "--store", "file", &e), 1);
	ck_assert_str_eq(g.store, "file");
	ck_assert_int_eq(parse(&g, "--store", "vault", &e), -1);
	ck_assert_int_eq(e.ex, EX_USAGE);
	ck_assert_ptr_nonnull(strstr(e.msg, "vault"));
	ck_assert_int_eq(parse(&g, "--timeout", "5", &e), 1);
	ck_assert_int_eq(g.timeout, 5);
	ck_assert_int_eq(parse(&g, "--timeout", "0", &e), -1);
	ck_assert_int_eq(parse(&g, "--timeout", "5s", &e), -1);
	ck_assert_int_eq(parse(&g, "--timeout", "99999", &e), -1);
	ck_assert_int_eq(parse(&g, "--no-prompt", NULL, &e), 1);
	ck_assert_int_eq(g.no_prompt, 1);
	ck_assert_int_eq(parse(&g, "--api-url", "https://x", &e), 1);
	ck_assert_str_eq(g.api_url, "https://x");
}
END_TEST

static char cfgpath[64];

static void
cfg_setup(void)
{
	FILE *f;
	int fd;

	strcpy(cfgpath, "/tmp/check_cli.XXXXXX");
	fd = mkstemp(cfgpath);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs("[profile default]\napi-url = https://cfg.example\n"
	    "store = file\ntimeout = 7\n"
	    "[profile other]\napi-url = http://127.0.0.1:9\n", f);
	fclose(f);
	unsetenv("LDRT_API_URL");
	unsetenv("LDRT_PROFILE");
	unsetenv("LDRT_STORE");
	unsetenv("LDRT_TIMEOUT");
	unsetenv("LDRT_CA_BUNDLE");
	setenv("LDRT_CONFIG", cfgpath, 1);
}

static void
cfg_teardown(void)
{
	unlink(cfgpath);
	unsetenv("LDRT_CONFIG");
}

START_TEST(test_resolve_from_config)
{
	struct ldrt_ctx ctx;
	struct ldrt_err e = LDRT_ERR_INIT;

	memset(&ctx, 0, sizeof(ctx));
	ck_assert_int_eq(ctx_init(&ctx, &e), 0);
	ck_assert_str_eq(ctx.profile, "default");
	ck_assert_str_eq(ctx.api_url, "https://cfg.example");
	ck_assert_str_eq(ctx.api_host, "cfg.example");
	ck_assert_str_eq(ctx.store_backend, "file");
	ck_assert_int_eq(ctx.timeout, 7);
	ctx_release(&ctx);
}
END_TEST

START_TEST(test_resolve_env_over_config)
{
	struct ldrt_ctx ctx;
	struct ldrt_err e = LDRT_ERR_INIT;

	setenv("LDRT_API_URL", "https://env.example:8443/", 1);
	setenv("LDRT_STORE", "secret-service", 1);
	memset(&ctx, 0, sizeof(ctx));
	ck_assert_int_eq(ctx_init(&ctx, &e), 0);
	ck_assert_str_eq(ctx.api_url, "https://env.example:8443/");
	ck_assert_str_eq(ctx.api_host, "env.example:8443");
	ck_assert_str_eq(ctx.store_backend, "secret-service");
	ctx_release(&ctx);
}
END_TEST

START_TEST(test_resolve_option_over_env)
{
	struct ldrt_ctx ctx;
	struct ldrt_err e = LDRT_ERR_INIT;

	setenv("LDRT_API_URL", "https://env.example", 1);
	memset(&ctx, 0, sizeof(ctx));
	ctx.g.api_url = "https://opt.example";
	ctx.g.profile = "other";
	ck_assert_int_eq(ctx_init(&ctx, &e), 0);
	ck_assert_str_eq(ctx.api_url, "https://opt.example");
	ck_assert_str_eq(ctx.profile, "other");
	ctx_release(&ctx);
}
END_TEST

START_TEST(test_resolve_profile_and_plain_http)
{
	struct ldrt_ctx ctx;
	struct ldrt_err e = LDRT_ERR_INIT;

	setenv("LDRT_PROFILE", "other", 1);
	memset(&ctx, 0, sizeof(ctx));
	ck_assert_int_eq(ctx_init(&ctx, &e), 0);
	ck_assert_str_eq(ctx.api_url, "http://127.0.0.1:9");
	ck_assert_str_eq(ctx.store_backend, "auto");
	ctx_release(&ctx);

	memset(&ctx, 0, sizeof(ctx));
	ctx.g.api_url = "http://app.launchdarkly.com";
	ck_assert_int_eq(ctx_init(&ctx, &e), -1);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ctx_release(&ctx);
}
END_TEST

START_TEST(test_resolve_bad_env_timeout)
{
	struct ldrt_ctx ctx;
	struct ldrt_err e = LDRT_ERR_INIT;

	setenv("LDRT_TIMEOUT", "soon", 1);
	memset(&ctx, 0, sizeof(ctx));
	ck_assert_int_eq(ctx_init(&ctx, &e), -1);
	ck_assert_int_eq(e.ex, EX_USAGE);
	ck_assert_ptr_nonnull(strstr(e.msg, "LDRT_TIMEOUT"));
	ctx_release(&ctx);
}
END_TEST

static Suite *
cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("options");

	tcase_add_loop_test(tc, test_global_option_table, 0,
	    (int)(sizeof(global_rows) / sizeof(global_rows[0])));
	tcase_add_test(tc, test_store_and_timeout_values);
	suite_add_tcase(s, tc);
	tc = tcase_create("resolve");
	tcase_add_checked_fixture(tc, cfg_setup, cfg_teardown);
	tcase_add_test(tc, test_resolve_from_config);
	tcase_add_test(tc, test_resolve_env_over_config);
	tcase_add_test(tc, test_resolve_option_over_env);
	tcase_add_test(tc, test_resolve_profile_and_plain_http);
	tcase_add_test(tc, test_resolve_bad_env_timeout);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cli_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
