/*
 * fuzz_api.c: libFuzzer target for the JSON mapping of src/api.c.
 *
 * Byte 0 picks the parser; the rest of the input is the response body
 * (binary, not NUL-terminated: the parsers take a length):
 *   0 api_parse_config    (one relay config: create/get/reset/update)
 *   1 api_parse_list      (GET relay-auto-configs)
 *   2 api_parse_identity  (caller identity)
 *   3 api_parse_error     (error bodies, into a small and a large buffer)
 *   4 api_policy_normalize (policy documents from --policy)
 * Properties (abort() when one fails):
 *   - a failed parse is EX_PROTOCOL (config/list/identity) or EX_DATAERR
 *     (policy) and leaves the output empty;
 *   - a parsed config has every required field (id, name, policy,
 *     display_key); a list has n == 0 or items;
 *   - api_parse_error's message is NUL-terminated within the buffer and
 *     holds no control character (it is printed on one line);
 *   - a normalized policy normalizes to itself (idempotent) and parses as
 *     the policy of a config.
 * Input capped at 1 MiB (the http layer caps bodies at a few MiB).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#define FUZZ_MAX_INPUT	(1024 * 1024)
#include "fuzz_common.h"
#include "api.h"
#include "secret.h"

static void
fuzz_check_config(const struct relay_config *c)
{
	if (c->id == NULL || c->name == NULL || c->policy_json == NULL ||
	    c->display_key == NULL)
		abort();
}

static void
fuzz_check_msg(const char *buf, size_t buflen)
{
	size_t i, n = strnlen(buf, buflen);

	if (n >= buflen)
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct relay_config c = RELAY_CONFIG_INIT;
	struct relay_config_list l = RELAY_CONFIG_LIST_INIT;
	struct caller_identity id;
	char small[16], large[512], *body, *pol = NULL, *pol2 = NULL;
	size_t i, len;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	len = size - 1;
	if ((body = fuzz_dup(data + 1, len)) == NULL)
		return 0;
	switch (data[0] % 5) {
	case 0:
		if (api_parse_config(body, len, &c, &e) == 0)
			fuzz_check_config(&c);
		else if (e.ex != EX_PROTOCOL)
			abort();
		relay_config_release(&c);
		break;
	case 1:
		if (api_parse_list(body, len, &l, &e) == 0) {
			if (l.n > 0 && l.items == NULL)
				abort();
			for (i = 0; i < l.n; i++)
				fuzz_check_config(&l.items[i]);
		} else if (e.ex != EX_PROTOCOL || l.n != 0)
			abort();
		relay_config_list_release(&l);
		break;
	case 2:
		memset(&id, 0, sizeof(id));
		if (api_parse_identity(body, len, &id, &e) != 0 &&
		    e.ex != EX_PROTOCOL)
			abort();
		caller_identity_release(&id);
		break;
	case 3:
		if (api_parse_error(body, len, small, sizeof(small)) == 0)
			fuzz_check_msg(small, sizeof(small));
		if (api_parse_error(body, len, large, sizeof(large)) == 0)
			fuzz_check_msg(large, sizeof(large));
		break;
	case 4:
		if (api_policy_normalize(body, len, &pol, &e) != 0) {
			if (e.ex != EX_DATAERR || pol != NULL)
				abort();
			break;
		}
		if (api_policy_normalize(pol, strlen(pol), &pol2, &e) != 0 ||
		    strcmp(pol, pol2) != 0)
			abort();
		break;
	}
	free(pol);
	free(pol2);
	free(body);
	return 0;
}
