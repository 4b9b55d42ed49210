/*
 * fuzz_config.c: libFuzzer target for config_parse() (src/config.c, the
 * GKeyFile-based INI parser with profiles and relay sections).
 *
 * The whole input is the file.  Properties (abort() when one fails):
 *   - a failure is EX_CONFIG (or EX_DATAERR for bytes GKeyFile cannot
 *     read) with *out NULL and a message;
 *   - on success every relay has a name and a non-NULL env_files list,
 *     durations are -1 or >= 0, warnings is never NULL, and the lookups
 *     config_relay_by_name/by_id/config_profile find what was parsed.
 * Input capped at 64 KiB (a real config has a few dozen lines; GKeyFile
 * is quadratic-ish in some paths and would only slow the run).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#define FUZZ_MAX_INPUT	(64 * 1024)
#include "fuzz_common.h"
#include "ldrt_config.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct config *c = NULL;
	const struct config_relay *r;
	char *buf;
	size_t i;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if ((buf = fuzz_dup(data, size)) == NULL)
		return 0;
	if (config_parse(buf, size, "fuzz.conf", &c, &e) != 0) {
		if (c != NULL || e.msg[0] == '\0')
			abort();
		free(buf);
		return 0;
	}
	if (c == NULL || c->warnings == NULL)
		abort();
	for (i = 0; i < c->nrelays; i++) {
		r = &c->relays[i];
		if (r->name == NULL || r->env_files == NULL ||
		    r->max_age < -1 || r->grace < -1 || r->exec_timeout < -1)
			abort();
		if (config_relay_by_name(c, r->name) == NULL)
			abort();
		if (r->id != NULL && config_relay_by_id(c, r->id) == NULL)
			abort();
	}
	for (i = 0; i < c->nprofiles; i++)
		if (c->profiles[i].name == NULL ||
		    config_profile(c, c->profiles[i].name) == NULL)
			abort();
	config_free(c);
	free(buf);
	return 0;
}
