/*
 * fuzz_envfile.c: libFuzzer target for envfile_merge() (src/envfile.c)
 * together with emit_env_line() (src/emit.c), the pair every env-file
 * update goes through.
 *
 * Input: byte 0 picks the line format (dotenv, systemd, docker, shell),
 * then NUL-separated fields VAR, VALUE, and the old file (the rest of the
 * input, NULs included, so the NUL refusal is reached too).  When
 * emit_env_line() accepts VAR and VALUE, the line is merged into the old
 * file.  Properties (abort() when one fails):
 *   - on success the output holds no NUL, *outlen == strlen(out), and
 *     contains the new line (without its newline);
 *   - merging the same line into the output again is a fixed point
 *     (byte-identical), i.e. one merge leaves exactly one setting line;
 *     or a clean refusal (EX_DATAERR) for a value that looks like it
 *     goes on (shell values with newlines, docker values starting with
 *     an unbalanced quote): never a merge that changes the file again;
 *   - refusals are EX_DATAERR or EX_USAGE only.
 * Input capped at 64 KiB (env files are small; envfile_read caps at 1 MiB).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#define FUZZ_MAX_INPUT	(64 * 1024)
#include "fuzz_common.h"
#include "emit.h"
#include "envfile.h"
#include "secret.h"

static const enum emit_format fuzz_formats[] = {
	EMIT_DOTENV, EMIT_SYSTEMD, EMIT_DOCKER, EMIT_SHELL
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	const char *var, *value, *old;
	char *line = NULL, *out = NULL, *out2 = NULL, *nl, *buf, *oldcopy;
	size_t outlen = 0, out2len = 0, oldlen, hdr;
	enum emit_format f;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	f = fuzz_formats[data[0] % 4];
	data++;
	size--;
	/* VAR and VALUE are C strings; the old file is the raw remainder. */
	var = (const char *)data;
	hdr = strnlen(var, size);
	if (hdr >= size)
		return 0;
	value = var + hdr + 1;
	hdr += 1 + strnlen(value, size - hdr - 1);
	if (hdr >= size)
		return 0;
	hdr++;
	if ((buf = fuzz_dup(data, hdr)) == NULL)
		return 0;
	var = buf;
	value = buf + strlen(buf) + 1;
	oldlen = size - hdr;
	if ((oldcopy = fuzz_dup(data + hdr, oldlen)) == NULL) {
		free(buf);
		return 0;
	}
	old = oldcopy;
	if (emit_env_line(f, var, value, &line, &e) != 0)
		goto out;
	if (envfile_merge(old, oldlen, var, line, &out, &outlen, &e) != 0) {
		if (e.ex != EX_DATAERR && e.ex != EX_USAGE)
			abort();
		goto out;
	}
	if (strlen(out) != outlen)
		abort();
	if ((nl = strchr(line, '\n')) != NULL)
		*nl = '\0';
	if (strstr(out, line) == NULL)
		abort();
	if (nl != NULL)
		*nl = '\n';
	if (envfile_merge(out, outlen, var, line, &out2, &out2len, &e) != 0) {
		/* A refusal is safe (nothing is written); it happens for a
		 * value that looks like it goes on to the next line. */
		if (e.ex != EX_DATAERR)
			abort();
	} else if (out2len != outlen || memcmp(out, out2, outlen) != 0)
		abort();
	/* An absent file works as well. */
	secret_free(out2);
	out2 = NULL;
	if (envfile_merge(NULL, 0, var, line, &out2, &out2len, &e) != 0)
		abort();
out:
	secret_free(out2);
	secret_free(out);
	secret_free(line);
	free(oldcopy);
	free(buf);
	return 0;
}
