/*
 * check_http.c: http.c's pure helpers: the retry wait (429 headers,
 * clamping, backoff, jitter bounds), whether a failed transfer may have
 * reached the server, and the Location host shown for a redirect.
 */
#include "config.h"

#include <check.h>
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldrt.h"
#include "http.h"

#define NOW 1800000000000LL

static const struct {
	long		 status;
	const char	*ra, *reset;
	int		 attempt;
	int64_t		 want;
} wait_rows[] = {
	/* Retry-After wins when later */
	{ 429, "3", NULL, 1, 3000 },
	{ 429, "3", "1800000001000", 1, 3000 },
	/* the reset wins when later */
	{ 429, "1", "1800000005000", 1, 5000 },
	{ 429, NULL, "1800000002500", 4, 2500 },
	/* reset in the past counts as now: clamped up to 200 ms */
	{ 429, NULL, "1799999990000", 1, 200 },
	{ 429, "0", NULL, 1, 200 },
	{ 429, NULL, "1800000000050", 1, 200 },
	/* clamped down to 60 s */
	{ 429, "3600", NULL, 1, 60000 },
	{ 429, NULL, "1800009000000", 1, 60000 },
	{ 429, "99999999999999999999", NULL, 1, 60000 },
	/* reset in epoch seconds */
	{ 429, NULL, "1800000004", 1, 4000 },
	/* HTTP-date Retry-After (NOW is 2027-01-15T08:00:00Z) */
	{ 429, "Fri, 15 Jan 2027 08:00:10 GMT", NULL, 1, 10000 },
	/* neither header, or unusable ones: exponential backoff */
	{ 429, NULL, NULL, 1, 500 },
	{ 429, NULL, NULL, 2, 1000 },
	{ 429, NULL, NULL, 4, 4000 },
	{ 429, "soon", "later", 3, 2000 },
	{ 429, "-5", "-5", 1, 500 },
	{ 429, "", "", 2, 1000 },
	/* other statuses ignore the headers */
	{ 503, "30", "1800000030000", 1, 500 },
	{ 500, NULL, NULL, 2, 1000 },
	{ 0, NULL, NULL, 1, 500 },
	{ 0, NULL, NULL, 0, 500 },
	{ 0, NULL, NULL, 100, 60000 },
};

START_TEST(test_retry_wait)
{
	int64_t w, base = wait_rows[_i].want;
	uint32_t seeds[] = { 1, 7, 0xdeadbeef, 0xffffffffu, 12345 };
	size_t i;

	w = http_retry_wait_ms(wait_rows[_i].status, wait_rows[_i].ra,
	    wait_rows[_i].reset, NOW, wait_rows[_i].attempt, 0);
	ck_assert_msg(w == base, "row %d: %lld != %lld", _i, (long long)w,
	    (long long)base);
	for (i = 0; i < LDRT_ARRAY_SIZE(seeds); i++) {
		w = http_retry_wait_ms(wait_rows[_i].status, wait_rows[_i].ra,
		    wait_rows[_i].reset, NOW, wait_rows[_i].attempt, seeds[i]);
		ck_assert_int_ge(w, base);
		ck_assert_int_le(w, base + base / 4);
	}
}
END_TEST

static const struct {
	int	code;
	long	reqsize;
	int	not_sent;
} sent_rows[] = {
	{ CURLE_COULDNT_RESOLVE_HOST, 0, 1 },
	{ CURLE_COULDNT_CONNECT, 0, 1 },
	{ CURLE_SSL_CONNECT_ERROR, 0, 1 },
	{ CURLE_PEER_FAILED_VERIFICATION, 0, 1 },
	{ CURLE_OPERATION_TIMEDOUT, 0, 1 },	/* connect timeout */
	{ CURLE_OPERATION_TIMEDOUT, 180, 0 },
	{ CURLE_GOT_NOTHING, 180, 0 },
	{ CURLE_RECV_ERROR, 180, 0 },
	{ CURLE_PARTIAL_FILE, 180, 0 },
	{ CURLE_SEND_ERROR, 0, 0 },
	{ CURLE_SEND_ERROR, 100, 0 },
	{ CURLE_WRITE_ERROR, 180, 0 },
};

START_TEST(test_not_sent)
{
	ck_assert_int_eq(http_error_not_sent(sent_rows[_i].code,
	    sent_rows[_i].reqsize), sent_rows[_i].not_sent);
}
END_TEST

static const struct {
	const char	*loc;
	int		 r;
	const char	*host;
} loc_rows[] = {
	{ "https://evil.example/steal?token=x", 0, "evil.example" },
	{ "https://u:p@evil.example:8443/x", 0, "evil.example:8443" },
	{ "http://[::1]:80", 0, "[::1]:80" },
	{ "https://h\x1b[31m/x", 0, "h?[31m" },
	{ "/relative/path", -1, "" },
	{ "", -1, "" },
	{ NULL, -1, "" },
	{ "https:///x", -1, "" },
};

START_TEST(test_location_host)
{
	char buf[64];

	ck_assert_int_eq(http_location_host(loc_rows[_i].loc, buf,
	    sizeof(buf)), loc_rows[_i].r);
	ck_assert_str_eq(buf, loc_rows[_i].host);
}
END_TEST

START_TEST(test_response_release)
{
	struct http_response r = HTTP_RESPONSE_INIT;

	r.status = 200;
	r.content_type = strdup("application/json");
	r.location = strdup("https://x/");
	r.tries = 2;
	http_response_release(&r);
	ck_assert_ptr_null(r.content_type);
	ck_assert_ptr_null(r.location);
	ck_assert_ptr_null(r.body);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(r.tries, 0);
	http_response_release(&r);
	http_response_release(NULL);
}
END_TEST

START_TEST(test_new_bad_ca)
{
	struct http_opts o = { "/nonexistent/ca.pem", NULL, 5, 5, NULL };
	struct ldrt_err e = LDRT_ERR_INIT;
	struct http *h = (struct http *)&o;

	ck_assert_int_eq(http_new(&o, &h, &e), -1);
	ck_assert_ptr_null(h);
	ck_assert_int_eq(e.ex, EX_NOINPUT);
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/ca.pem"));
	o.ca_bundle = NULL;
	ck_assert_int_eq(http_new(&o, &h, &e), 0);
	ck_assert_int_eq(http_connections(h), 0);
	http_free(h);
	http_free(NULL);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc;

	tc = tcase_create("pure");
	tcase_add_loop_test(tc, test_retry_wait, 0, LDRT_ARRAY_SIZE(wait_rows));
	tcase_add_loop_test(tc, test_not_sent, 0, LDRT_ARRAY_SIZE(sent_rows));
	tcase_add_loop_test(tc, test_location_host, 0,
	    LDRT_ARRAY_SIZE(loc_rows));
	tcase_add_test(tc, test_response_release);
	tcase_add_test(tc, test_new_bad_ca);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(http_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
