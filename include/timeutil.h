/*
 * timeutil.h: durations and times as the command line and config take them
 * (pure functions).
 *
 * A duration is a non-negative integer followed by one unit: s, m, h, d or
 * w ("90s", "15m", "1h", "7d", "2w"); "0" alone is zero.  A time is an
 * RFC 3339 timestamp ("2026-12-04T10:00:00Z", offsets allowed, fractional
 * seconds allowed) or an integer of epoch milliseconds.
 *
 * Durations: digits and one unit, no sign, no blanks, no mixed units
 * ("1h30m" is refused); at most 100 years.  Times: exactly
 * YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|-hh:mm), "t" and "z" also in lower
 * case, real calendar days only, years 0001-9999, fractions truncated to
 * milliseconds; or all digits of epoch ms up to 9999-12-31.  Parse errors
 * are EX_USAGE ("invalid duration 'X' (use e.g. 90s, 15m, 1h, 7d, 2w)",
 * "invalid time 'X' (use RFC 3339, ...)"); *seconds / *epoch_ms are only
 * written on success.
 */
#ifndef LDRT_TIMEUTIL_H
#define LDRT_TIMEUTIL_H

#include <stdint.h>
#include <stddef.h>
#include "ldrt.h"

int	time_parse_duration(const char *s, int64_t *seconds, struct ldrt_err *e);
int	time_parse_time(const char *s, int64_t *epoch_ms, struct ldrt_err *e);
/* Now in epoch milliseconds (CLOCK_REALTIME). */
int64_t	time_now_ms(void);
/* Monotonic clock in milliseconds. */
int64_t	time_mono_ms(void);
/* Formats epoch ms as RFC 3339 UTC ("2026-12-04T10:00:00Z", the
 * milliseconds dropped) into buf, truncated to len (21 bytes suffice). */
void	time_format_ms(int64_t ms, char *buf, size_t len);
/* Formats a duration in seconds as "45s", "1h", "1h30m", "2d3h", "14d"
 * (days, hours, minutes, seconds; zero parts left out; "0s"; a leading
 * "-" when negative) into buf, truncated to len. */
void	time_format_duration(int64_t seconds, char *buf, size_t len);

#endif
