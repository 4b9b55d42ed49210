/*
 * check_timeutil.c: durations, RFC 3339 / epoch-ms times, formatting.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ldrt.h"
#include "timeutil.h"

static const struct {
	const char	*in;
	int64_t		 secs;
} dur_ok[] = {
	{ "0", 0 },
	{ "0s", 0 },
	{ "0w", 0 },
	{ "1s", 1 },
	{ "90s", 90 },
	{ "15m", 900 },
	{ "1h", 3600 },
	{ "24h", 86400 },
	{ "7d", 604800 },
	{ "30d", 2592000 },
	{ "2w", 1209600 },
	{ "007d", 604800 },
	{ "3155760000s", 3155760000LL },	/* exactly 100 years */
	{ "36525d", 3155760000LL },
	{ "5217w", 5217LL * 604800 },
};

static const char *dur_bad[] = {
	"", "s", "m", "-1s", "-0", "+1s", " 1s", "1s ", "1 s", "1", "00",
	"10", "1x", "1S", "1H", "1D", "1ms", "1sec", "1h30m", "1.5h", "0x10s",
	"1e3s", "3155760001s", "36526d", "5218w", "52600000m",
	"99999999999999999999s", "9223372036854775807s",
	"9223372036854775808s", "1s\n", "1\ns", "\xff" "1s",
};

START_TEST(test_duration_ok)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	int64_t s = -42;

	ck_assert_msg(time_parse_duration(dur_ok[_i].in, &s, &e) == 0,
	    "'%s': %s", dur_ok[_i].in, e.msg);
	ck_assert_int_eq(s, dur_ok[_i].secs);
	ck_assert_int_eq(e.ex, 0);
}
END_TEST

START_TEST(test_duration_bad)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	int64_t s = -42;

	ck_assert_msg(time_parse_duration(dur_bad[_i], &s, &e) == -1,
	    "'%s' accepted", dur_bad[_i]);
	ck_assert_int_eq(s, -42);
	ck_assert_int_eq(e.ex, EX_USAGE);
	ck_assert_ptr_nonnull(strstr(e.msg, "invalid duration '"));
	ck_assert_ptr_nonnull(strstr(e.msg,
	    "(use e.g. 90s, 15m, 1h, 7d, 2w)"));
}
END_TEST

START_TEST(test_duration_msg)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	int64_t s;

	ck_assert_int_eq(time_parse_duration("5y", &s, &e), -1);
	ck_assert_str_eq(e.msg,
	    "invalid duration '5y' (use e.g. 90s, 15m, 1h, 7d, 2w)");
	ck_assert_int_eq(time_parse_duration(NULL, &s, &e), -1);
	ck_assert_int_eq(time_parse_duration("1x", &s, NULL), -1);
}
END_TEST

static const struct {
	const char	*in;
	int64_t		 ms;
} time_ok[] = {
	{ "2026-12-04T10:00:00Z", 1796378400000LL },
	{ "2026-12-04t10:00:00z", 1796378400000LL },
	{ "2026-12-04T12:00:00+02:00", 1796378400000LL },
	{ "2026-12-04T05:30:00-04:30", 1796378400000LL },
	{ "2026-12-04T10:00:00+00:00", 1796378400000LL },
	{ "2026-12-04T10:00:00-00:00", 1796378400000LL },
	{ "2026-12-04T10:00:00.5Z", 1796378400500LL },
	{ "2026-12-04T10:00:00.123Z", 1796378400123LL },
	{ "2026-12-04T10:00:00.123999999Z", 1796378400123LL },
	{ "2026-12-04T10:00:00.000001Z", 1796378400000LL },
	{ "2026-12-04T11:00:00.250+01:00", 1796378400250LL },
	{ "2026-12-05T00:00:00+14:00", 1796378400000LL },
	{ "1970-01-01T00:00:00Z", 0 },
	{ "1969-12-31T23:59:59Z", -1000 },
	{ "2000-02-29T00:00:00Z", 951782400000LL },
	{ "2024-02-29T23:59:59Z", 1709251199000LL },
	{ "2016-12-31T23:59:60Z", 1483228800000LL },	/* leap second */
	{ "9999-12-31T23:59:59.999Z", 253402300799999LL },
	{ "0", 0 },
	{ "1796378400000", 1796378400000LL },
	{ "0001796378400000", 1796378400000LL },
	{ "253402300799999", 253402300799999LL },
};

static const char *time_bad[] = {
	"", "Z", "now", "-1", "+1796378400000", "1796378400000 ",
	"1.5", "1e9", "253402300800000", "99999999999999999999999",
	"2026-12-04", "2026-12-04T10:00:00", "2026-12-04T10:00Z",
	"2026-12-04T10:00:00+02", "2026-12-04T10:00:00+0200",
	"2026-12-04T10:00:00+2:00", "2026-12-04T10:00:00+24:00",
	"2026-12-04T10:00:00+02:60", "2026-12-04 10:00:00Z",
	"2026-12-04_10:00:00Z", "20261204T100000Z", "2026-W49-5T10:00:00Z",
	"2026-338T10:00:00Z", "2026-02-30T10:00:00Z", "2026-02-29T10:00:00Z",
	"1900-02-29T10:00:00Z", "2026-04-31T10:00:00Z", "2026-13-01T10:00:00Z",
	"2026-00-01T10:00:00Z", "2026-12-00T10:00:00Z", "2026-12-32T10:00:00Z",
	"2026-12-04T24:00:00Z", "2026-12-04T10:60:00Z", "2026-12-04T10:00:61Z",
	"0000-12-04T10:00:00Z", "26-12-04T10:00:00Z", "02026-12-04T10:00:00Z",
	"2026-1-04T10:00:00Z", "2026-12-4T10:00:00Z", "2026-12-04T1:00:00Z",
	"2026-12-04T10:00:00.Z", "2026-12-04T10:00:00,5Z",
	"2026-12-04T10:00:00ZZ", "2026-12-04T10:00:00Z ", " 2026-12-04T10:00:00Z",
	"2026-12-04T10:00:00+02:00x", "2026-12-04T10:00:00UTC",
	"2026-12-04T10:00:00Z\n", "0001-01-01T00:00:00+00:01",
	"9999-12-31T23:59:59-00:01", "2026-12-04T10:00:00+\xff\xff:00",
};

START_TEST(test_time_ok)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	int64_t ms = -42;

	ck_assert_msg(time_parse_time(time_ok[_i].in, &ms, &e) == 0,
	    "'%s': %s", time_ok[_i].in, e.msg);
	ck_assert_int_eq(ms, time_ok[_i].ms);
}
END_TEST

START_TEST(test_time_bad)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	int64_t ms = -42;

	ck_assert_msg(time_parse_time(time_bad[_i], &ms, &e) == -1,
	    "'%s' accepted as %lld", time_bad[_i], (long long)ms);
	ck_assert_int_eq(ms, -42);
	ck_assert_int_eq(e.ex, EX_USAGE);
	ck_assert_ptr_nonnull(strstr(e.msg, "invalid time '"));
}
END_TEST

START_TEST(test_time_msg)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	int64_t ms;

	ck_assert_int_eq(time_parse_time("tomorrow", &ms, &e), -1);
	ck_assert_str_eq(e.msg, "invalid time 'tomorrow' (use RFC 3339, "
	    "e.g. 2026-12-04T10:00:00Z, or epoch milliseconds)");
	ck_assert_int_eq(time_parse_time(NULL, &ms, &e), -1);
}
END_TEST

static const struct {
	int64_t		 ms;
	const char	*out;
} fmt_ms[] = {
	{ 0, "1970-01-01T00:00:00Z" },
	{ 999, "1970-01-01T00:00:00Z" },
	{ -1, "1969-12-31T23:59:59Z" },
	{ -1000, "1969-12-31T23:59:59Z" },
	{ -1001, "1969-12-31T23:59:58Z" },
	{ 1796378400000LL, "2026-12-04T10:00:00Z" },
	{ 1796378400999LL, "2026-12-04T10:00:00Z" },
	{ 951782400000LL, "2000-02-29T00:00:00Z" },
	{ 1709251199000LL, "2024-02-29T23:59:59Z" },
	{ 253402300799999LL, "9999-12-31T23:59:59Z" },
	{ -62135596800000LL, "0001-01-01T00:00:00Z" },
	/* the edges of the hand-written path; beyond it, snprintf's */
	{ -62167219200000LL, "0000-01-01T00:00:00Z" },
	{ -62167219200001LL, "-001-12-31T23:59:59Z" },
	{ 253402300800000LL, "10000-01-01T00:00:00Z" },
	{ 1012345678901LL, "2002-01-29T23:07:58Z" },
};

START_TEST(test_format_ms)
{
	char buf[64];

	memset(buf, 'x', sizeof(buf));
	time_format_ms(fmt_ms[_i].ms, buf, sizeof(buf));
	ck_assert_str_eq(buf, fmt_ms[_i].out);
}
END_TEST

START_TEST(test_format_ms_small_buffer)
{
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	time_format_ms(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1970-01");
	buf[0] = 'q';
	time_format_ms(0, buf, 0);
	ck_assert_int_eq(buf[0], 'q');
}
END_TEST

/* Every whole second of a sample, parsed back from its own formatting. */
START_TEST(test_format_ms_round_trip)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char buf[64];
	int64_t ms, back;

	for (ms = -86400000LL * 800; ms < 253402300799999LL;
	    ms += 86400000LL * 97 + 3601000) {
		time_format_ms(ms, buf, sizeof(buf));
		ck_assert_msg(time_parse_time(buf, &back, &e) == 0, "%s", buf);
		ck_assert_int_eq(back, ms);
	}
}
END_TEST

static const struct {
	int64_t		 secs;
	const char	*out;
} fmt_dur[] = {
	{ 0, "0s" },
	{ 1, "1s" },
	{ 45, "45s" },
	{ 60, "1m" },
	{ 90, "1m30s" },
	{ 3600, "1h" },
	{ 5400, "1h30m" },
	{ 3601, "1h1s" },
	{ 86400, "1d" },
	{ 97200, "1d3h" },
	{ 172800, "2d" },
	{ 1209600, "14d" },
	{ 2592000, "30d" },
	{ 90061, "1d1h1m1s" },
	{ -90, "-1m30s" },
	{ -86400, "-1d" },
	{ INT64_MIN, "-106751991167300d15h30m8s" },
	{ INT64_MAX, "106751991167300d15h30m7s" },
};

START_TEST(test_format_duration)
{
	char buf[64];

	memset(buf, 'x', sizeof(buf));
	time_format_duration(fmt_dur[_i].secs, buf, sizeof(buf));
	ck_assert_str_eq(buf, fmt_dur[_i].out);
}
END_TEST

START_TEST(test_format_duration_small_buffer)
{
	char buf[4];

	time_format_duration(90061, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1d1");
	time_format_duration(90061, buf, 1);
	ck_assert_str_eq(buf, "");
}
END_TEST

/* Single-unit durations come back as they were parsed. */
START_TEST(test_duration_round_trip)
{
	static const char *in[] = { "45s", "1m", "1h", "2d", "30d", "59s",
	    "59m", "23h", "36525d" };
	struct ldrt_err e = LDRT_ERR_INIT;
	char buf[32];
	int64_t s;
	size_t i;

	for (i = 0; i < LDRT_ARRAY_SIZE(in); i++) {
		ck_assert_int_eq(time_parse_duration(in[i], &s, &e), 0);
		time_format_duration(s, buf, sizeof(buf));
		ck_assert_str_eq(buf, in[i]);
	}
}
END_TEST

START_TEST(test_clocks)
{
	int64_t now = time_now_ms(), m1, m2;

	/* after 2020-01-01 and before 2200 */
	ck_assert(now > 1577836800000LL);
	ck_assert(now < 7258118400000LL);
	m1 = time_mono_ms();
	m2 = time_mono_ms();
	ck_assert(m1 >= 0);
	ck_assert(m2 >= m1);
}
END_TEST

static Suite *
timeutil_suite(void)
{
	Suite *s = suite_create("timeutil");
	TCase *tc;

	tc = tcase_create("duration");
	tcase_add_loop_test(tc, test_duration_ok, 0, LDRT_ARRAY_SIZE(dur_ok));
	tcase_add_loop_test(tc, test_duration_bad, 0,
	    LDRT_ARRAY_SIZE(dur_bad));
	tcase_add_test(tc, test_duration_msg);
	tcase_add_loop_test(tc, test_format_duration, 0,
	    LDRT_ARRAY_SIZE(fmt_dur));
	tcase_add_test(tc, test_format_duration_small_buffer);
	tcase_add_test(tc, test_duration_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("time");
	tcase_add_loop_test(tc, test_time_ok, 0, LDRT_ARRAY_SIZE(time_ok));
	tcase_add_loop_test(tc, test_time_bad, 0, LDRT_ARRAY_SIZE(time_bad));
	tcase_add_test(tc, test_time_msg);
	tcase_add_loop_test(tc, test_format_ms, 0, LDRT_ARRAY_SIZE(fmt_ms));
	tcase_add_test(tc, test_format_ms_small_buffer);
	tcase_add_test(tc, test_format_ms_round_trip);
	tcase_add_test(tc, test_clocks);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(timeutil_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
