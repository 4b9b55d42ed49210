/*
 * fuzz_credential.c: libFuzzer target for src/credential.c.
 *
 * Covers credential_parse() (every key, url= decoding, lists, limits) on
 * arbitrary bytes, then, on inputs that parse, credential_format_get(),
 * credential_match() against itself, credential_label(),
 * credential_split_host() and credential_ldrelay_target().  Checks two
 * properties and aborts when one fails:
 *   - a parsed credential matches itself (with and without password);
 *   - an answer we format parses back to the same username, password,
 *     refresh token and expiry, and consumes the whole answer.
 * Input is capped at 256 KiB (several maximal lines; longer inputs only
 * repeat what shorter ones exercise).
 *
 * Build (clang): clang -g -fsanitize=fuzzer,address,undefined -I. -Iinclude
 *   tests/fuzz/fuzz_credential.c src/credential.c src/secret.c src/util.c
 *   src/log.c -lcrypto
 * Without libFuzzer, -DFUZZ_STANDALONE adds a main() that runs each file
 * named on the command line once (for replaying crashes under gdb).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credential.h"
#include "secret.h"

#define FUZZ_MAX_INPUT	(256 * 1024)

static int
fuzz_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
fuzz_round_trip(const struct credential *c)
{
	struct credential back = CREDENTIAL_INIT;
	struct ldrt_err e = LDRT_ERR_INIT;
	size_t consumed = 0;
	char *out = NULL;

	if (credential_format_get(c, &out, &e) != 0)
		return;		/* refused: a value held CR or LF */
	if (credential_parse(out, strlen(out), &back, &consumed, &e) != 0 ||
	    consumed != strlen(out) ||
	    !fuzz_str_eq(back.username, c->username) ||
	    !fuzz_str_eq(back.password, c->password) ||
	    !fuzz_str_eq(back.oauth_refresh_token, c->oauth_refresh_token) ||
	    back.password_expiry_utc != c->password_expiry_utc ||
	    back.quit != c->quit)
		abort();
	secret_free(out);
	credential_release(&back);
}

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct credential c = CREDENTIAL_INIT;
	struct ldrt_err e = LDRT_ERR_INIT;
	const char *target;
	size_t consumed = 0;
	char *s;
	int port, is_id;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (credential_parse((const char *)data, size, &c, &consumed,
	    &e) != 0) {
		if (e.ex != EX_DATAERR || !credential_is_empty_pattern(&c))
			abort();
		return 0;
	}
	if (consumed > size)
		abort();
	if (!credential_match(&c, &c, 0) || !credential_match(&c, &c, 1))
		abort();
	fuzz_round_trip(&c);
	s = credential_label(&c);
	free(s);
	s = credential_split_host(c.host, &port);
	if ((c.host == NULL) != (s == NULL) || port < 0 || port > 65535)
		abort();
	free(s);
	(void)credential_ldrelay_target(&c, &target, &is_id, &e);
	(void)credential_is_complete(&c);
	credential_release(&c);
	return 0;
}

#ifdef FUZZ_STANDALONE
int
main(int argc, char **argv)
{
	static uint8_t buf[FUZZ_MAX_INPUT];
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
