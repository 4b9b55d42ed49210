/*
 * fuzz_common.h: shared bits of the libFuzzer targets in tests/fuzz/.
 *
 * FUZZ_STANDALONE (no libFuzzer, e.g. a gcc or valgrind replay) adds a
 * main() that runs LLVMFuzzerTestOneInput() once on each file named on the
 * command line; tests/unit/check_fuzz_regress.c replays the corpora that
 * way too.  fuzz_split() cuts an input into NUL-separated fields.
 */
#ifndef LDRT_FUZZ_COMMON_H
#define LDRT_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Copies data into a fresh heap buffer (so that ASan sees reads past the
 * end) with a NUL appended, and splits it at NUL bytes into at most nf
 * fields; missing fields are "".  Returns the buffer (free it) or NULL.
 */
static inline char *
fuzz_split(const uint8_t *data, size_t size, const char **f, size_t nf)
{
	char *buf, *p, *end;
	size_t i;

	if ((buf = malloc(size + 1)) == NULL)
		return NULL;
	if (size > 0)
		memcpy(buf, data, size);
	buf[size] = '\0';
	p = buf;
	end = buf + size;
	for (i = 0; i < nf; i++) {
		f[i] = p <= end ? p : "";
		if (p <= end)
			p += strlen(p) + 1;
	}
	return buf;
}

/* A NUL-terminated heap copy of data (cut at its first NUL by readers). */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *p = malloc(size + 1);

	if (p == NULL)
		return NULL;
	if (size > 0)
		memcpy(p, data, size);
	p[size] = '\0';
	return p;
}

/* A copy of data without a terminator (exact size, for length-taking APIs). */
static inline char *
fuzz_dup(const uint8_t *data, size_t size)
{
	char *p = malloc(size > 0 ? size : 1);

	if (p != NULL && size > 0)
		memcpy(p, data, size);
	return p;
}

#ifdef FUZZ_STANDALONE
#ifndef FUZZ_MAX_INPUT
#define FUZZ_MAX_INPUT	(1024 * 1024)
#endif
int
main(int argc, char **argv)
{
	static uint8_t buf[FUZZ_MAX_INPUT + 1];
	size_t n;
	FILE *f;
	int i;

	for (i = 1; i < argc; i++) {
		if ((f = fopen(argv[i], "rb")) == NULL) {
			perror(argv[i]);
			return 1;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
	}
	return 0;
}
#endif

#endif
