/*
 * timeutil.h: durations and times as the command line and config take them
 * (pure functions).
 *
 * A duration is a non-negative integer followed by one unit: s, m, h, d or
 * w ("90s", "15m", "1h", "7d", "2w"); "0" alone is zero.  A time is an
 * RFC 3339 timestamp ("2026-12-04T10:00:00Z", offsets allowed, fractional
 * seconds allowed) or an integer of epoch milliseconds.
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
/* Formats epoch ms as RFC 3339 UTC ("2026-12-04T10:00:00Z") into buf. */
void	time_format_ms(int64_t ms, char *buf, size_t len);
/* Formats a duration in seconds as "1h", "90m", "2d3h" into buf. */
void	time_format_duration(int64_t seconds, char *buf, size_t len);

#endif
