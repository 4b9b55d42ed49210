/*
 * rotate.h: the crash-safe rotation workflow (DESIGN.md, "Rotation, made
 * crash-safe").  Option parsing lives in cmd_rotate.c; this module takes
 * resolved options and rotates, repairs or plans one relay config.
 *
 * One rotation, per relay config id:
 *
 *	lock (state_lock, waits up to lock_wait s, else EX_TEMPFAIL)
 *	GET the config (fresh displayKey); a leftover journal is repaired
 *	    first (see below); a key reset outside the tool ("changed
 *	    elsewhere": the local record's display key differs from the
 *	    API's and there is no journal) is EX_DATAERR unless repair
 *	policy: --if-older-than / max-age against the local rotation time
 *	journal "reset-requested" (old display key, expiry asked) + fsync
 *	POST reset?expiry=now+grace            (never retried)
 *	    lost response: journal "reset-outcome-unknown", EX_TEMPFAIL
 *	    telling the user to run 'rotate --repair NAME'
 *	store the new key (on failure: 0600 recovery file, journal kept)
 *	journal "reset-done-key-stored"; outputs (stdout, -o, env files);
 *	journal "outputs-written"; exec; journal "exec-done"
 *	record (old key's display and expiry, rotation time), rotation log,
 *	clear the journal, unlock
 *
 * Repair (a leftover journal, or rotate --repair): the stored key's last
 * 4 characters are compared with the API's displayKey.  Equal: the store
 * holds the live key; if the journal shows the reset happened (phase past
 * reset-requested, or the stored key is not the journal's old key) the
 * remaining steps (outputs, exec, record, log) are finished, else the
 * journal is cleared.  Different, with the old key's expiry still ahead:
 * reset again with grace and finish.  Different and expired: the key is
 * lost; EX_DATAERR asking for 'rotate --repair --force NAME', which resets
 * without grace.  With repair and no journal: a key changed elsewhere is
 * rotated (reset with grace), and a rotation whose outputs or exec failed
 * gets them again.
 *
 * Exit classes in e->ex: EX_TEMPFAIL lock held / lost reset response /
 * network; EX_DATAERR changed elsewhere or key lost; EX_SOFTWARE the exec
 * command failed after the new key was stored and the outputs written
 * (the old key stays valid until the recorded expiry: restart before it);
 * others as the API, store and envfile layers report them.
 *
 * Test hook (only when built with LDRT_TEST_HOOKS, which configure defines
 * unless --disable-test-hooks): LDRT_TEST_CRASH_AT=POINT kills the process
 * with SIGKILL at POINT: after-journal, after-reset-before-store,
 * after-store-before-outputs, after-outputs-before-exec.
 *
 * Nothing here prints a key.  Summaries go through log_info (stderr);
 * dry-run plans are returned in the result for the caller to print.
 */
#ifndef LDRT_ROTATE_H
#define LDRT_ROTATE_H

#include <stddef.h>
#include <stdint.h>
#include "ldrt.h"

struct ldrt_ctx;
struct output_opts;

#define ROTATE_DEFAULT_GRACE	3600	/* seconds */

struct rotate_opts {
	int64_t	grace_s;	/* --grace; -1: section's, else 1h */
	int64_t	expiry_ms;	/* --expiry (absolute); 0: unset */
	int64_t	if_older_than_s; /* --if-older-than; -1: unset */
	int	use_max_age;	/* without if_older_than: section max-age */
	int	lock_wait;	/* seconds to wait for the per-relay lock */
	int	dry_run;	/* GET only, change nothing */
	int	repair;		/* --repair */
	int	force;		/* --force: repair a lost key without grace */
	int	yes;		/* --yes: a grace of 0 is confirmed */
	int64_t	started_ms;	/* run start: a rotation recorded after it
				   (by a concurrent run) counts as done */
	const struct output_opts *out;	/* OUTPUT OPTS, --exec (not NULL) */
};
void	rotate_opts_init(struct rotate_opts *o, const struct output_opts *out);

enum rotate_status {
	ROTATE_ROTATED = 0,	/* reset, stored, outputs, exec */
	ROTATE_NOT_DUE,		/* policy: younger than the threshold */
	ROTATE_DONE_ELSEWHERE,	/* a concurrent run rotated it after we
				   started */
	ROTATE_REPAIRED,	/* interrupted rotation finished or redone */
	ROTATE_CLEARED,		/* stale journal cleared, nothing lost */
	ROTATE_NOTHING,		/* --repair: nothing to repair */
	ROTATE_PLANNED,		/* --dry-run: plan in res->note */
	ROTATE_FAILED
};

struct rotate_result {
	enum rotate_status status;
	char	id[80];
	char	name[128];
	char	old_display[16];	/* display keys only, never a key */
	char	new_display[16];
	int64_t	old_expiry_ms;		/* 0: none / immediate */
	int64_t	age_ms;			/* key age used by the policy; -1 */
	char	note[640];		/* one line, no secret */
};

/*
 * Rotates (or with o->repair repairs, with o->dry_run plans) the relay
 * config name_or_id.  Returns 0 (res->status says what happened, also
 * NOT_DUE) or -1 with e set (res->status FAILED, res->note empty).
 */
int	rotate_one(struct ldrt_ctx *ctx, const struct rotate_opts *o,
	    const char *name_or_id, struct rotate_result *res,
	    struct ldrt_err *e);

/* One-line summary of a result for logs ("rotated 'prod': ...7f30 ->
 * ...1c2d; old key valid until 2026-12-04T11:00:00Z"). */
void	rotate_summary(const struct rotate_result *res, char *buf,
	    size_t len);

/*
 * For status, list and show: what the local state says about relay id,
 * given the API's current displayKey (NULL if unknown).  Writes one line
 * (no secret) into buf, empty when there is nothing to say, and returns:
 */
enum rotate_local {
	ROTATE_LOCAL_NONE = 0,
	ROTATE_LOCAL_GRACE,		/* "old key ...7f30 valid until T" */
	ROTATE_LOCAL_RESTART_DUE,	/* exec failed, old key expires soon */
	ROTATE_LOCAL_RESTART_OVERDUE,	/* exec failed, old key expired */
	ROTATE_LOCAL_JOURNAL,		/* interrupted rotation: --repair */
	ROTATE_LOCAL_CHANGED_ELSEWHERE	/* reset outside this tool */
};
enum rotate_local rotate_relay_local_state(const char *id,
	    const char *api_display, int64_t now_ms, char *buf, size_t len);

#endif /* LDRT_ROTATE_H */
