/*
 * fuzz_emit.c: libFuzzer target for src/emit.c, every output format.
 *
 * Input: byte 0 picks the format (all 8), byte 1 the optional fields
 * present, byte 2..9 old_key_expires_ms; then NUL-separated fields KEY,
 * VAR, NAME, ID, DISPLAY_KEY, K8S_NAME, K8S_NAMESPACE.  Also runs
 * emit_format_parse() on the KEY field and emit_check_var() on VAR.
 * Properties (abort() when one fails):
 *   - a refusal is EX_DATAERR or EX_USAGE, and leaves *out NULL;
 *   - json output is one JSON object that json-c parses back, whose "key"
 *     is exactly KEY (the format must carry every byte it accepts);
 *   - raw output is KEY plus one newline;
 *   - no output contains a NUL before its end.
 * Input capped at 64 KiB.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#define FUZZ_MAX_INPUT	(64 * 1024)
#include "fuzz_common.h"
#include "emit.h"
#include "secret.h"

static void
fuzz_check_json(const char *out, const char *key)
{
	struct json_tokener *tok;
	struct json_object *o, *k;
	size_t len = strlen(out);

	if ((tok = json_tokener_new()) == NULL)
		return;
	o = json_tokener_parse_ex(tok, out, (int)len);
	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "key", &k) ||
	    !json_object_is_type(k, json_type_string) ||
	    (size_t)json_object_get_string_len(k) != strlen(key) ||
	    memcmp(json_object_get_string(k), key, strlen(key)) != 0)
		abort();
	json_object_put(o);
	json_tokener_free(tok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct emit_input in;
	enum emit_format f, pf;
	const char *fld[7];
	uint64_t u = 0;
	char *buf, *out = NULL;
	unsigned opt;
	size_t i;

	if (size < 10 || size > FUZZ_MAX_INPUT)
		return 0;
	f = (enum emit_format)(data[0] % 8);
	opt = data[1];
	for (i = 2; i < 10; i++)
		u = u << 8 | data[i];
	if ((buf = fuzz_split(data + 10, size - 10, fld, 7)) == NULL)
		return 0;
	memset(&in, 0, sizeof(in));
	in.key = fld[0];
	in.var = opt & 1 ? fld[1] : NULL;
	in.name = opt & 2 ? fld[2] : NULL;
	in.id = opt & 4 ? fld[3] : NULL;
	in.display_key = opt & 8 ? fld[4] : NULL;
	in.k8s_name = opt & 16 ? fld[5] : NULL;
	in.k8s_namespace = opt & 32 ? fld[6] : NULL;
	in.old_key_expires_ms = opt & 64 ? (int64_t)(u >> 1) : -1;
	if ((f == EMIT_K8S_SECRET || f == EMIT_JSON) && in.name == NULL)
		in.name = "prod";

	(void)emit_format_parse(fld[0], &pf, &e);
	(void)emit_check_var(fld[1], &e);
	if (emit_render(f, &in, &out, &e) != 0) {
		if (out != NULL || (e.ex != EX_DATAERR && e.ex != EX_USAGE))
			abort();
		goto out;
	}
	if (out == NULL)
		abort();
	if (f == EMIT_RAW && (strncmp(out, in.key, strlen(in.key)) != 0 ||
	    strcmp(out + strlen(in.key), "\n") != 0))
		abort();
	if (f == EMIT_JSON)
		fuzz_check_json(out, in.key);
out:
	secret_free(out);
	free(buf);
	return 0;
}
