/*
 * core_stubs.c: what the keyring-only binary (LDRT_CORE) lacks.  Each
 * function here stands for one that needs libcurl, json-c or OpenSSL; it
 * fails with LDRT_EX_FULL so that main.c hands the run to ldrt-full, which
 * redoes it from the start.  They are reached only before anything was
 * changed (an API request, the state directory), and those that cannot
 * fail abort, because reaching them would be a bug.
 */
#include "config.h"

#include "api.h"
#include "cli.h"
#include "state.h"

int
api_create(struct api *a, const char *name, const char *policy_json,
    struct relay_config *out, struct ldrt_err *e)
{
	return LDRT_NEED_FULL(e, "an API request");
}

void
relay_config_release(struct relay_config *c)
{
	/* nothing can have filled it: every API call is a stub here */
}

int
cmd_read_policy(const char *path, char **out, struct ldrt_err *e)
{
	*out = NULL;
	return LDRT_NEED_FULL(e, "reading a policy");
}

int
cmd_keep_new_key(struct ldrt_ctx *ctx, struct store *s,
    const struct relay_config *rc, struct ldrt_err *e)
{
	return LDRT_NEED_FULL(e, "storing a new key");
}

void
cmd_note_key(const struct relay_config *rc, int64_t old_expiry_ms,
    const char *old_display)
{
	ldrt_fatal("internal error: cmd_note_key in the keyring binary");
}

int
state_lock(const char *id, int wait_seconds, struct state_lock **out,
    struct ldrt_err *e)
{
	*out = NULL;
	return LDRT_NEED_FULL(e, "the state directory");
}

void
state_unlock(struct state_lock *lk)
{
	/* state_lock never succeeds here, so there is nothing to release */
}

int
state_record_mark_rejected(const char *id, const char *name,
    struct ldrt_err *e)
{
	return LDRT_NEED_FULL(e, "the state directory");
}
