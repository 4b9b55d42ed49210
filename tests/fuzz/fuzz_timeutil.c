/*
 * fuzz_timeutil.c: libFuzzer target for src/timeutil.c.
 *
 * Covers time_parse_duration() and time_parse_time() on the whole input
 * (as one C string, cut at the first NUL), and time_format_ms() /
 * time_format_duration() on arbitrary 64-bit values taken from the first
 * 8 input bytes (negative, huge, INT64_MIN: UBSan catches overflow).
 * Properties (abort() when one fails):
 *   - a parsed duration is in 0..100 years;
 *   - a parsed time formats (time_format_ms) to a string that parses back
 *     to the same second (milliseconds are dropped by the format);
 *   - formatting never writes past the buffer and always NUL-terminates.
 * Input is capped at 4 KiB: both grammars are short fixed forms.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#define FUZZ_MAX_INPUT	4096
#include "fuzz_common.h"
#include "timeutil.h"

#define FUZZ_DURATION_MAX	((int64_t)100 * 36525 * 864)

static int64_t
fuzz_floor_sec(int64_t ms)
{
	return ms / 1000 - (ms % 1000 < 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char *s, buf[64], small[8];
	int64_t v, ms, back;
	uint64_t u = 0;
	size_t i;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if ((s = fuzz_cstr(data, size)) == NULL)
		return 0;

	if (time_parse_duration(s, &v, &e) == 0) {
		if (v < 0 || v > FUZZ_DURATION_MAX)
			abort();
		time_format_duration(v, buf, sizeof(buf));
		if (memchr(buf, '\0', sizeof(buf)) == NULL)
			abort();
	}
	if (time_parse_time(s, &ms, &e) == 0) {
		time_format_ms(ms, buf, sizeof(buf));
		if (time_parse_time(buf, &back, &e) != 0 ||
		    back != fuzz_floor_sec(ms) * 1000)
			abort();
	}

	for (i = 0; i < 8 && i < size; i++)
		u = u << 8 | data[i];
	memcpy(&v, &u, sizeof(v));
	time_format_duration(v, buf, sizeof(buf));
	time_format_duration(v, small, sizeof(small));
	if (memchr(small, '\0', sizeof(small)) == NULL)
		abort();
	time_format_ms(v % ((int64_t)253402300800 * 1000), buf, sizeof(buf));
	time_format_ms(v % ((int64_t)253402300800 * 1000), small,
	    sizeof(small));
	if (memchr(small, '\0', sizeof(small)) == NULL)
		abort();
	free(s);
	return 0;
}
