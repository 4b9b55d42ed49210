/*
 * timeutil.c: durations ("90s", "15m", "1h", "7d", "2w") and times (RFC 3339
 * or epoch milliseconds) as the command line and the config file take them,
 * and their compact output forms.  Pure except for the two clocks.
 *
 * Times are parsed by hand rather than with GLib's
 * g_date_time_new_from_iso8601(): that one takes all of ISO 8601, so
 * "20261204T100000Z", "2026-W49-5T10:00:00Z", "2026-338T10:00:00Z" and a
 * space instead of the "T" would all be accepted, and its "+02" offsets.
 * RFC 3339 is the small, unambiguous subset a careful user types:
 *
 *   YYYY-MM-DD "T" hh:mm:ss [ "." 1*DIGIT ] ( "Z" / ("+" / "-") hh:mm )
 *
 * with "t" and "z" in lower case tolerated.  Every field has exactly its
 * digits, the day must exist in that month (no 2026-02-30), hours are
 * 00-23, minutes 00-59, seconds 00-60 (a leap second counts as the next
 * second, as POSIX timegm() does).  Fractions are truncated to milliseconds.
 * Years are 0001-9999, and epoch milliseconds are limited to the same
 * range, so every accepted time can be formatted back.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ldrt.h"
#include "timeutil.h"

/* 100 years of 365.25 days: larger durations are typing errors. */
#define TIME_DURATION_MAX	((int64_t)100 * 36525 * 864)
/* 9999-12-31T23:59:59.999Z */
#define TIME_MS_MAX		INT64_C(253402300799999)
/* 0001-01-01T00:00:00Z */
#define TIME_MS_MIN		INT64_C(-62135596800000)

static int	time_digits(const char *s, int n, int *out);
static int64_t	time_days_from_civil(int64_t y, int m, int d);
static void	time_civil_from_days(int64_t z, int64_t *y, int *m, int *d);
static int	time_days_in_month(int64_t y, int m);
static int	time_parse_rfc3339(const char *s, int64_t *ms);
static int	time_parse_epoch_ms(const char *s, int64_t *ms);

int
time_parse_duration(const char *s, int64_t *seconds, struct ldrt_err *e)
{
	static const struct {
		char	unit;
		int64_t	mult;
	} units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 7 * 86400 },
	};
	const char *p;
	int64_t n = 0;
	size_t i;

	if (s == NULL || *s == '\0')
		goto bad;
	if (strcmp(s, "0") == 0) {
		*seconds = 0;
		return 0;
	}
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > TIME_DURATION_MAX)
			goto bad;
	}
	if (p == s || p[0] == '\0' || p[1] != '\0')
		goto bad;
	for (i = 0; i < LDRT_ARRAY_SIZE(units); i++) {
		if (units[i].unit != *p)
			continue;
		if (n > TIME_DURATION_MAX / units[i].mult)
			goto bad;
		*seconds = n * units[i].mult;
		return 0;
	}
bad:
	return err_set(e, EX_USAGE,
	    "invalid duration '%s' (use e.g. 90s, 15m, 1h, 7d, 2w)",
	    s == NULL ? "" : s);
}

/* Exactly n decimal digits. */
static int
time_digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
time_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
time_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
time_days_in_month(int64_t y, int m)
{
	static const int mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : mdays[m - 1];
}

static int
time_parse_rfc3339(const char *s, int64_t *ms)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, frac = 0, scale = 100;
	const char *p;
	int64_t t;

	if (strlen(s) < 20 ||
	    time_digits(s, 4, &y) != 0 || s[4] != '-' ||
	    time_digits(s + 5, 2, &mo) != 0 || s[7] != '-' ||
	    time_digits(s + 8, 2, &d) != 0 ||
	    (s[10] != 'T' && s[10] != 't') ||
	    time_digits(s + 11, 2, &h) != 0 || s[13] != ':' ||
	    time_digits(s + 14, 2, &mi) != 0 || s[16] != ':' ||
	    time_digits(s + 17, 2, &sec) != 0)
		return -1;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 ||
	    d > time_days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
		return -1;
	p = s + 19;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		/* UTC */
	} else if ((*p == '+' || *p == '-') &&
	    time_digits(p + 1, 2, &oh) == 0 && p[3] == ':' &&
	    time_digits(p + 4, 2, &om) == 0 && p[6] == '\0') {
		if (oh > 23 || om > 59)
			return -1;
		if (*p == '-') {
			oh = -oh;
			om = -om;
		}
	} else
		return -1;
	t = time_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    sec - (oh * 3600 + om * 60);
	t = t * 1000 + frac;
	if (t < TIME_MS_MIN || t > TIME_MS_MAX)
		return -1;
	*ms = t;
	return 0;
}

static int
time_parse_epoch_ms(const char *s, int64_t *ms)
{
	int64_t v = 0;
	const char *p;

	if (*s == '\0')
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
		if (v > TIME_MS_MAX)
			return -1;
	}
	*ms = v;
	return 0;
}

int
time_parse_time(const char *s, int64_t *epoch_ms, struct ldrt_err *e)
{
	int64_t ms;

	if (s != NULL &&
	    (time_parse_epoch_ms(s, &ms) == 0 ||
	    time_parse_rfc3339(s, &ms) == 0)) {
		*epoch_ms = ms;
		return 0;
	}
	return err_set(e, EX_USAGE, "invalid time '%s' (use RFC 3339, e.g. "
	    "2026-12-04T10:00:00Z, or epoch milliseconds)",
	    s == NULL ? "" : s);
}

int64_t
time_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		ldrt_fatal("clock_gettime: %s", strerror(errno));
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
time_mono_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		ldrt_fatal("clock_gettime: %s", strerror(errno));
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Two digits of v (0..99). */
static void
time_put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

void
time_format_ms(int64_t ms, char *buf, size_t len)
{
	int64_t secs, days, rem, y;
	int m, d;

	if (len == 0)
		return;
	/* floor division: -1 ms is 1969-12-31T23:59:59Z */
	secs = ms / 1000 - (ms % 1000 < 0);
	days = secs / 86400 - (secs % 86400 < 0);
	rem = secs - days * 86400;
	time_civil_from_days(days, &y, &m, &d);
	if (y >= 0 && y <= 9999 && len >= 21) {
		/* the common case by hand: list formats thousands */
		time_put2(buf, (int)(y / 100));
		time_put2(buf + 2, (int)(y % 100));
		buf[4] = '-';
		time_put2(buf + 5, m);
		buf[7] = '-';
		time_put2(buf + 8, d);
		buf[10] = 'T';
		time_put2(buf + 11, (int)(rem / 3600));
		buf[13] = ':';
		time_put2(buf + 14, (int)(rem / 60 % 60));
		buf[16] = ':';
		time_put2(buf + 17, (int)(rem % 60));
		buf[19] = 'Z';
		buf[20] = '\0';
		return;
	}
	snprintf(buf, len, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
	    (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
}

void
time_format_duration(int64_t seconds, char *buf, size_t len)
{
	static const struct {
		char	unit;
		int64_t	secs;
	} units[] = {
		{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
	};
	uint64_t v;
	size_t i, off = 0;
	int n;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (seconds == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	if (seconds < 0) {
		v = (uint64_t)0 - (uint64_t)seconds;	/* also INT64_MIN */
		snprintf(buf, len, "-");
		off = 1;
	} else
		v = (uint64_t)seconds;
	for (i = 0; i < LDRT_ARRAY_SIZE(units) && off < len; i++) {
		if (v / (uint64_t)units[i].secs == 0)
			continue;
		n = snprintf(buf + off, len - off, "%" PRIu64 "%c",
		    v / (uint64_t)units[i].secs, units[i].unit);
		if (n < 0)
			return;
		off += (size_t)n;
		v %= (uint64_t)units[i].secs;
	}
}
