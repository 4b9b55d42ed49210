/*
 * rotate.c: the rotation workflow: lock, journal, reset, store, outputs,
 * exec, record, log, and the repair of an interrupted rotation.  The
 * order and the reasons for it are in rotate.h and DESIGN.md ("Rotation,
 * made crash-safe"): the API shows a new key once, in the reset response,
 * so every step that could lose it is journaled before it is taken.
 */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "cli.h"
#include "ldrt_config.h"
#include "log.h"
#include "output.h"
#include "rotate.h"
#include "runexec.h"
#include "secret.h"
#include "state.h"
#include "store.h"
#include "timeutil.h"

/* Restart "due" warnings start this long before the old key expires. */
#define ROTATE_NEAR_MS	(15 * 60 * 1000)	/* state_record_warning() */

/* One relay being rotated. */
struct rotate_run {
	struct ldrt_ctx			*ctx;
	const struct rotate_opts	*o;
	const struct config_relay	*sec;	/* [relay NAME] or NULL */
	struct relay_config		 rc;	/* fresh GET, after the lock */
	struct rotate_result		*res;
	struct store			*s;
	struct api			*a;
	int64_t				 grace_s; /* resolved */
	int				 grace_ok; /* rotate_grace() passed */
};

static void	rotate_crash(const char *);
static int	rotate_resolve(struct ldrt_ctx *, const char *, char **,
		    char **, struct ldrt_err *);
static int	rotate_grace(struct rotate_run *, struct ldrt_err *);
static const char *rotate_exec_cmd(const struct rotate_run *, int64_t *);
static int64_t	rotate_threshold(const struct rotate_run *);
static void	rotate_log(const struct rotate_run *, enum state_outcome,
		    const char *, const char *, int64_t, const char *);
static int	rotate_stored_key(struct rotate_run *, char **,
		    struct ldrt_err *);
static int	rotate_finish(struct rotate_run *, const char *, const char *,
		    int64_t, enum state_phase, enum state_outcome,
		    struct ldrt_err *);
static int	rotate_reset(struct rotate_run *, int64_t, int64_t,
		    const char *, const struct state_journal *,
		    struct ldrt_err *);
static int	rotate_repair_journal(struct rotate_run *,
		    struct state_journal *, int *, struct ldrt_err *);
static int	rotate_plan(struct rotate_run *, const struct state_record *,
		    struct ldrt_err *);
static int	rotate_redo_outputs(struct rotate_run *,
		    const struct state_record *, struct ldrt_err *);
static int	rotate_skip(struct rotate_run *, const struct state_record *);
static int	rotate_fresh(struct rotate_run *, struct ldrt_err *);
static void	rotate_load_record(const char *, struct state_record *);
static int	rotate_locked(struct rotate_run *, struct ldrt_err *);
static void	rotate_fmt_time(int64_t, char *, size_t);

void
rotate_opts_init(struct rotate_opts *o, const struct output_opts *out)
{
	memset(o, 0, sizeof(*o));
	o->grace_s = -1;
	o->if_older_than_s = -1;
	o->started_ms = time_now_ms();
	o->out = out;
}

/* The test-only crash injection: a real crash, no cleanup at all. */
static void
rotate_crash(const char *point)
{
#ifdef LDRT_TEST_HOOKS
	const char *v = getenv("LDRT_TEST_CRASH_AT");

	if (v != NULL && strcmp(v, point) == 0)
		raise(SIGKILL);
#else
	LDRT_UNUSED(point);
#endif
}

static void
rotate_fmt_time(int64_t ms, char *buf, size_t len)
{
	if (ms <= 0)
		snprintf(buf, len, "now");
	else
		time_format_ms(ms, buf, len);
}

/* The id (and name, if known) of name_or_id: locally, else via the API. */
static int
rotate_resolve(struct ldrt_ctx *ctx, const char *name_or_id, char **id,
    char **name, struct ldrt_err *e)
{
	struct relay_config rc = RELAY_CONFIG_INIT;
	struct ldrt_err e2 = LDRT_ERR_INIT;

	if (ctx_local_relay(ctx, name_or_id, id, name, &e2) == 0)
		return 0;
	if (ctx_find_relay(ctx, name_or_id, &rc, e) != 0)
		return -1;
	*id = xstrdup(rc.id);
	*name = xstrdup(rc.name);
	relay_config_release(&rc);
	return 0;
}

/* The exec command (option, else section) and its timeout in seconds. */
static const char *
rotate_exec_cmd(const struct rotate_run *run, int64_t *timeout)
{
	const struct output_opts *oo = run->o->out;
	const struct config_relay *sec = run->sec;

	*timeout = oo->exec_timeout >= 0 ? oo->exec_timeout :
	    (sec != NULL && sec->exec_timeout >= 0) ? sec->exec_timeout :
	    RUNEXEC_TIMEOUT_DEFAULT;
	if (oo->exec != NULL)
		return oo->exec;
	return sec != NULL ? sec->exec : NULL;
}

/*
 * Grace from --expiry, --grace, the section, or the default.  A grace of
 * 0 must be confirmed; a grace shorter than the exec command may take is
 * refused: the old key could die before the restart is done.
 */
static int
rotate_grace(struct rotate_run *run, struct ldrt_err *e)
{
	const struct rotate_opts *o = run->o;
	const char *cmd, *from = "--grace";
	char g[32], t[32], q[200];
	int64_t timeout, now = time_now_ms();
	int ex = EX_USAGE;

	if (run->grace_ok)
		return 0;
	if (o->expiry_ms > 0) {
		if (o->expiry_ms <= now) {
			rotate_fmt_time(o->expiry_ms, t, sizeof(t));
			return err_set(e, EX_USAGE, "--expiry %s is in the "
			    "past", t);
		}
		run->grace_s = (o->expiry_ms - now + 999) / 1000;
		from = "--expiry";
	} else if (o->grace_s >= 0) {
		run->grace_s = o->grace_s;
	} else if (run->sec != NULL && run->sec->grace >= 0) {
		run->grace_s = run->sec->grace;
		from = "the grace of its relay section";
		ex = EX_CONFIG;
	} else {
		run->grace_s = ROTATE_DEFAULT_GRACE;
		from = "the default grace";
	}
	if (run->grace_s == 0 && !o->yes && !o->dry_run) {
		if (!run->ctx->interactive)
			return err_set(e, EX_USAGE, "a grace of 0 makes the "
			    "old key of '%s' stop working at once; confirm "
			    "with --yes", run->res->name);
		snprintf(q, sizeof(q), "The old key of '%s' stops working at "
		    "once. Rotate?", run->res->name);
		if (cmd_confirm(q, e) != 0)
			return -1;
	}
	cmd = rotate_exec_cmd(run, &timeout);
	if (cmd != NULL && run->grace_s > 0 && run->grace_s < timeout) {
		time_format_duration(run->grace_s, g, sizeof(g));
		time_format_duration(timeout, t, sizeof(t));
		return err_set(e, ex, "%s (%s) for '%s' is shorter than the "
		    "exec timeout (%s): the old key could expire before the "
		    "restart is done", from, g, run->res->name, t);
	}
	run->grace_ok = 1;
	return 0;
}

/* Age threshold in seconds (option, else section max-age), or -1. */
static int64_t
rotate_threshold(const struct rotate_run *run)
{
	if (run->o->if_older_than_s >= 0)
		return run->o->if_older_than_s;
	if (run->o->use_max_age && run->sec != NULL && run->sec->max_age >= 0)
		return run->sec->max_age;
	return -1;
}

/* Appends to the rotation log; a failure there is only a warning. */
static void
rotate_log(const struct rotate_run *run, enum state_outcome outcome,
    const char *old_disp, const char *new_disp, int64_t old_exp,
    const char *msg)
{
	struct state_rotation_event ev;
	struct ldrt_err e = LDRT_ERR_INIT;

	memset(&ev, 0, sizeof(ev));
	ev.relay_id = run->res->id;
	ev.relay_name = run->res->name;
	ev.old_display_key = old_disp;
	ev.new_display_key = new_disp;
	ev.old_key_expires_at_ms = old_exp;
	ev.outcome = outcome;
	ev.message = msg;
	if (state_log_rotation(&ev, &e) != 0)
		log_warn("%s", e.msg);
}

/* The stored key of the relay (NULL if none); -1 if the store failed. */
static int
rotate_stored_key(struct rotate_run *run, char **key, struct ldrt_err *e)
{
	struct store_key k;
	int r;

	*key = NULL;
	if (ctx_store(run->ctx, &run->s, e) != 0)
		return -1;
	memset(&k, 0, sizeof(k));
	k.kind = STORE_RELAY_KEY;
	k.profile = run->ctx->profile;
	k.api_host = run->ctx->api_host;
	k.relay_id = run->res->id;
	r = store_get(run->s, &k, key, e);
	if (r < 0)
		return err_prefix(e, "reading the stored key of '%s'",
		    run->res->name);
	return 0;
}

/*
 * The steps after the new key is stored, from phase `from`: outputs
 * (unless already written), exec, record, log, clear the journal.
 * key is the new key (borrowed).
 */
static int
rotate_finish(struct rotate_run *run, const char *key, const char *old_disp,
    int64_t old_exp, enum state_phase from, enum state_outcome ok_outcome,
    struct ldrt_err *e)
{
	struct state_rotation_event ev;
	struct ldrt_err e2 = LDRT_ERR_INIT;
	struct output_opts oo = *run->o->out;
	struct config_relay sc;
	struct output_result ores;
	struct runexec_result rr;
	struct emit_input in;
	enum state_outcome outcome = ok_outcome;
	const char *cmd;
	char nd[16], until[40];
	int64_t timeout;
	int r = -1;

	state_display_key(key, nd, sizeof(nd));
	snprintf(run->res->new_display, sizeof(run->res->new_display), "%s",
	    nd);
	snprintf(run->res->old_display, sizeof(run->res->old_display), "%s",
	    old_disp != NULL ? old_disp : "");
	run->res->old_expiry_ms = old_exp;
	rotate_fmt_time(old_exp, until, sizeof(until));

	/* outputs without the exec, which runs below whatever changed */
	if (from < STATE_PHASE_OUTPUTS_WRITTEN) {
		oo.exec = NULL;
		if (run->sec != NULL) {
			sc = *run->sec;
			sc.exec = NULL;
		}
		memset(&in, 0, sizeof(in));
		in.key = key;
		in.name = run->res->name;
		in.id = run->res->id;
		in.display_key = nd;
		in.old_key_expires_ms = old_exp > 0 ? old_exp : -1;
		if (output_deliver(&oo, run->sec != NULL ? &sc : NULL, &in, 0,
		    &ores, e) != 0) {
			outcome = STATE_OUTCOME_OUTPUT_FAILED;
			err_prefix(e, "new key of '%s' stored, but writing the "
			    "outputs failed (retry: 'ld-relay-token rotate "
			    "--repair %s'; old key valid until %s)",
			    run->res->name, run->res->name, until);
			goto record;
		}
		/*
		 * The phase only tells a repair not to run exec twice;
		 * without exec the journal is cleared next, and a repair
		 * from KEY_STORED just writes the same outputs again, so
		 * the two fsyncs of the advance are saved (rotate --all).
		 */
		if (rotate_exec_cmd(run, &timeout) != NULL &&
		    state_journal_advance(run->res->id,
		    STATE_PHASE_OUTPUTS_WRITTEN, &e2) != 0)
			log_warn("%s", e2.msg);
		rotate_crash("after-outputs-before-exec");
	}
	if (from < STATE_PHASE_EXEC_DONE &&
	    (cmd = rotate_exec_cmd(run, &timeout)) != NULL) {
		log_info("running '%s'", cmd);
		if (runexec(cmd, (int)timeout, &rr, &e2) != 0) {
			outcome = STATE_OUTCOME_EXEC_FAILED;
			err_set(e, EX_SOFTWARE, "new key of '%s' stored and "
			    "outputs written, but '%s' failed (%s); restart "
			    "before %s, when the old key ...%s stops working",
			    run->res->name, cmd, e2.msg, until,
			    old_disp != NULL ? old_disp : "?");
			if (rr.stderr_tail[0] != '\0')
				log_warn("'%s' said: %s", cmd, rr.stderr_tail);
			goto record;
		}
		if (state_journal_advance(run->res->id, STATE_PHASE_EXEC_DONE,
		    &e2) != 0)
			log_warn("%s", e2.msg);
	}
	r = 0;
record:
	memset(&ev, 0, sizeof(ev));
	ev.relay_id = run->res->id;
	ev.relay_name = run->res->name;
	ev.old_display_key = old_disp;
	ev.new_display_key = nd;
	ev.old_key_expires_at_ms = old_exp;
	ev.outcome = outcome;
	if (state_record_rotated(&ev, &e2) != 0)
		log_warn("%s", e2.msg);
	rotate_log(run, outcome, old_disp, nd, old_exp,
	    r == 0 ? NULL : e->msg);
	if (state_journal_clear(run->res->id, &e2) != 0)
		log_warn("%s", e2.msg);
	if (r == 0)
		run->res->status = ok_outcome == STATE_OUTCOME_REPAIRED ?
		    ROTATE_REPAIRED : ROTATE_ROTATED;
	return r;
}

/*
 * Journal, reset, store, then rotate_finish.  send_exp is the expiry sent
 * (-1: none, the replaced key dies at once); jexp the expiry of the key
 * the relays run (recorded as the old key's expiry); repair_j, when not
 * NULL, is the journal being repaired (kept on failure).
 */
static int
rotate_reset(struct rotate_run *run, int64_t send_exp, int64_t jexp,
    const char *old_disp, const struct state_journal *repair_j,
    struct ldrt_err *e)
{
	struct relay_config nrc = RELAY_CONFIG_INIT;
	struct state_journal j = STATE_JOURNAL_INIT;
	struct ldrt_err e2 = LDRT_ERR_INIT;
	enum state_outcome okout;
	char until[40], nd[16];
	int r, ret = -1;

	if (ctx_store(run->ctx, &run->s, e) != 0)
		return -1;
	rotate_fmt_time(jexp, until, sizeof(until));
	j.id = xstrdup(run->res->id);
	j.name = xstrdup(run->res->name);
	j.grace_s = run->grace_s;
	j.expiry_ms = jexp > 0 ? jexp : 0;
	j.old_display_key = old_disp != NULL ? xstrdup(old_disp) : NULL;
	j.phase = STATE_PHASE_RESET_REQUESTED;
	if (repair_j != NULL) {
		j.started_at_ms = repair_j->started_at_ms;
		r = state_journal_save(&j, e);
	} else
		r = state_journal_begin(&j, e);
	if (r != 0)
		goto out;
	rotate_crash("after-journal");

	r = api_reset(run->a, run->res->id, send_exp, &nrc, e);
	if (r == API_OUTCOME_UNKNOWN) {
		if (state_note_unknown_reset(run->res->id, run->res->name,
		    j.expiry_ms, &e2) != 0)
			log_warn("%s", e2.msg);
		rotate_log(run, STATE_OUTCOME_UNKNOWN, old_disp, NULL, jexp,
		    e->msg);
		err_set(e, EX_TEMPFAIL, "reset of '%s' sent but its response "
		    "was lost: the key may have changed; run 'ld-relay-token "
		    "rotate --repair %s' (old key valid until %s)",
		    run->res->name, run->res->name, until);
		goto out;
	}
	if (r != 0) {
		rotate_log(run, STATE_OUTCOME_RESET_FAILED, old_disp, NULL, 0,
		    e->msg);
		if (repair_j == NULL &&
		    state_journal_clear(run->res->id, &e2) != 0)
			log_warn("%s", e2.msg);
		err_prefix(e, "reset of '%s'", run->res->name);
		goto out;
	}
	rotate_crash("after-reset-before-store");

	if (cmd_keep_new_key(run->ctx, run->s, &nrc, e) != 0) {
		state_display_key(nrc.full_key, nd, sizeof(nd));
		rotate_log(run, STATE_OUTCOME_STORE_FAILED, old_disp, nd, jexp,
		    "new key written to a recovery file");
		log_warn("the rotation journal of '%s' is kept: after "
		    "importing the key, 'ld-relay-token rotate --repair %s' "
		    "writes the outputs", run->res->name, run->res->name);
		goto out;
	}
	/*
	 * A repair sees that the new key was stored when the stored key's
	 * tail is not the journal's old one (rotate_repair_journal()), so
	 * the advance, and its two fsyncs, is needed only when the two
	 * tails happen to be equal.
	 */
	state_display_key(nrc.full_key, nd, sizeof(nd));
	if ((j.old_display_key == NULL || j.old_display_key[0] == '\0' ||
	    strcmp(j.old_display_key, nd) == 0) &&
	    state_journal_advance(run->res->id, STATE_PHASE_KEY_STORED,
	    &e2) != 0)
		log_warn("%s", e2.msg);
	rotate_crash("after-store-before-outputs");

	okout = repair_j != NULL ? STATE_OUTCOME_REPAIRED : STATE_OUTCOME_OK;
	ret = rotate_finish(run, nrc.full_key, old_disp, jexp,
	    STATE_PHASE_KEY_STORED, okout, e);
out:
	state_journal_release(&j);
	relay_config_release(&nrc);
	return ret;
}

/*
 * A leftover journal j.  *proceed is set when the journal was stale
 * (no reset happened): the caller may go on with a normal rotation.
 */
static int
rotate_repair_journal(struct rotate_run *run, struct state_journal *j,
    int *proceed, struct ldrt_err *e)
{
	enum state_repair d;
	enum state_phase from;
	char *key = NULL, sd[16], until[40];
	int64_t now = time_now_ms(), send;
	int ret = -1, reset_done;

	*proceed = 0;
	if (rotate_stored_key(run, &key, e) != 0)
		return -1;
	state_display_key(key, sd, sizeof(sd));
	d = state_repair_decide(j, sd, run->rc.display_key, now);
	rotate_fmt_time(j->expiry_ms, until, sizeof(until));
	log_verbose("journal of '%s': phase %s, stored ...%s, API ...%s",
	    run->res->name, state_phase_name(j->phase), sd,
	    run->rc.display_key);
	switch (d) {
	case STATE_REPAIR_CLEAR:
		reset_done = j->phase == STATE_PHASE_KEY_STORED ||
		    j->phase == STATE_PHASE_OUTPUTS_WRITTEN ||
		    j->phase == STATE_PHASE_EXEC_DONE ||
		    (j->old_display_key != NULL &&
		    strcmp(j->old_display_key, sd) != 0);
		if (!reset_done) {
			if (state_journal_clear(run->res->id, e) != 0)
				goto out;
			rotate_log(run, STATE_OUTCOME_CLEARED, sd, NULL, 0,
			    "interrupted before the reset: nothing lost");
			snprintf(run->res->note, sizeof(run->res->note),
			    "'%s': cleared the journal of a rotation "
			    "interrupted before its reset (key ...%s "
			    "unchanged)", run->res->name, sd);
			run->res->status = ROTATE_CLEARED;
			*proceed = 1;
			ret = 0;
			goto out;
		}
		from = j->phase == STATE_PHASE_RESET_REQUESTED ||
		    j->phase == STATE_PHASE_OUTCOME_UNKNOWN ?
		    STATE_PHASE_KEY_STORED : j->phase;
		log_info("finishing the interrupted rotation of '%s' (new "
		    "key ...%s is stored)", run->res->name, sd);
		ret = rotate_finish(run, key, j->old_display_key,
		    j->expiry_ms, from, STATE_OUTCOME_REPAIRED, e);
		break;
	case STATE_REPAIR_RESET:
		log_warn("the key of '%s' was reset (API ...%s) but the new "
		    "key was not stored; resetting again while the old key "
		    "...%s is valid (until %s)", run->res->name,
		    run->rc.display_key, j->old_display_key != NULL ?
		    j->old_display_key : sd, until);
		if (run->grace_s == 0)
			send = -1;
		else
			send = now + run->grace_s * 1000;
		ret = rotate_reset(run, send, j->expiry_ms,
		    j->old_display_key != NULL ? j->old_display_key : sd, j, e);
		break;
	case STATE_REPAIR_KEY_LOST:
	default:
		if (!run->o->force) {
			rotate_log(run, STATE_OUTCOME_KEY_LOST,
			    j->old_display_key, run->rc.display_key,
			    j->expiry_ms, "new key lost, old key expired");
			err_set(e, EX_DATAERR, "the new key of '%s' (...%s) "
			    "was lost and the old key expired at %s; a reset "
			    "without grace is needed: 'ld-relay-token rotate "
			    "--repair --force %s'", run->res->name,
			    run->rc.display_key, until, run->res->name);
			goto out;
		}
		log_warn("resetting the key of '%s' without grace (the old "
		    "key has expired)", run->res->name);
		ret = rotate_reset(run, -1, 0, j->old_display_key, j, e);
		break;
	}
out:
	secret_free(key);
	if (ret != 0 && e->ex == 0)
		e->ex = EX_SOFTWARE;
	return ret;
}

/* --dry-run: what would happen, from reads only. */
static int
rotate_plan(struct rotate_run *run, const struct state_record *rec,
    struct ldrt_err *e)
{
	struct state_journal j = STATE_JOURNAL_INIT;
	struct rotate_result *res = run->res;
	const char *cmd, *what;
	char *key = NULL, sd[16], until[40], age[32], gr[32];
	int64_t now = time_now_ms(), timeout;
	size_t nenv = run->o->out->n_env_files;
	int r;

	res->status = ROTATE_PLANNED;
	if ((r = state_journal_load(res->id, &j, e)) < 0)
		goto out;
	if (r != STATE_ABSENT) {
		if (rotate_stored_key(run, &key, e) != 0) {
			r = -1;
			goto out;
		}
		state_display_key(key, sd, sizeof(sd));
		rotate_fmt_time(j.expiry_ms, until, sizeof(until));
		switch (state_repair_decide(&j, sd, run->rc.display_key,
		    now)) {
		case STATE_REPAIR_CLEAR:
			what = "finish it or clear the journal (the stored "
			    "key is the live key)";
			break;
		case STATE_REPAIR_RESET:
			what = "reset again with grace (the new key was "
			    "lost, the old key is still valid)";
			break;
		default:
			what = "nothing without --force: the new key was "
			    "lost and the old key expired";
			break;
		}
		snprintf(res->note, sizeof(res->note), "'%s': interrupted "
		    "rotation (phase %s, stored ...%s, API ...%s, old key "
		    "valid until %s): would %s", res->name,
		    state_phase_name(j.phase), sd, run->rc.display_key, until,
		    what);
		r = 0;
		goto out;
	}
	if (state_changed_elsewhere(rec, false, run->rc.display_key)) {
		snprintf(res->note, sizeof(res->note), "'%s': changed "
		    "elsewhere (stored ...%s, API ...%s): %s", res->name,
		    rec->display_key, run->rc.display_key, run->o->repair ?
		    "would rotate it with grace" : "would fail (exit 65) "
		    "without --repair");
		r = 0;
		goto out;
	}
	if (run->o->repair) {
		snprintf(res->note, sizeof(res->note), "'%s': %s", res->name,
		    rec->exec_failed ? "the last rotation's outputs or exec "
		    "failed: would write the outputs and run exec again" :
		    "nothing to repair");
		r = 0;
		goto out;
	}
	if (rotate_skip(run, rec)) {
		r = 0;
		goto out;
	}
	if (rotate_grace(run, e) != 0) {
		r = -1;
		goto out;
	}
	cmd = rotate_exec_cmd(run, &timeout);
	if (run->sec != NULL)
		for (char **p = run->sec->env_files; *p != NULL; p++)
			nenv++;
	time_format_duration(res->age_ms / 1000, age, sizeof(age));
	time_format_duration(run->grace_s, gr, sizeof(gr));
	rotate_fmt_time(run->o->expiry_ms > 0 ? run->o->expiry_ms :
	    run->grace_s > 0 ? now + run->grace_s * 1000 : 0, until,
	    sizeof(until));
	snprintf(res->note, sizeof(res->note), "would rotate '%s' (key ...%s,"
	    " age %s): grace %s, old key valid until about %s; %zu env "
	    "file(s)%s%s%s", res->name, run->rc.display_key, age, gr, until,
	    nenv, cmd != NULL ? ", then run '" : "", cmd != NULL ? cmd : "",
	    cmd != NULL ? "'" : "");
	r = 0;
out:
	secret_free(key);
	state_journal_release(&j);
	return r;
}

/* --repair without a journal: outputs and exec again after they failed. */
static int
rotate_redo_outputs(struct rotate_run *run, const struct state_record *rec,
    struct ldrt_err *e)
{
	struct rotate_result *res = run->res;
	char *key = NULL, sd[16];
	int ret = -1;

	if (!rec->exec_failed) {
		res->status = ROTATE_NOTHING;
		snprintf(res->note, sizeof(res->note), "'%s': nothing to "
		    "repair", res->name);
		return 0;
	}
	if (rotate_stored_key(run, &key, e) != 0)
		return -1;
	state_display_key(key, sd, sizeof(sd));
	if (key == NULL || strcmp(sd, run->rc.display_key) != 0) {
		err_set(e, EX_DATAERR, "the stored key of '%s' is not the live "
		    "key (API ...%s); nothing repaired", res->name,
		    run->rc.display_key);
		goto out;
	}
	log_info("writing the outputs of '%s' again and running its exec (it "
	    "failed after the last rotation)", res->name);
	ret = rotate_finish(run, key, rec->old_display_key,
	    rec->old_key_expires_at_ms, STATE_PHASE_KEY_STORED,
	    STATE_OUTCOME_REPAIRED, e);
out:
	secret_free(key);
	return ret;
}

/*
 * 1 if the relay is to be left alone: rotated by a concurrent run after
 * this run started, or younger than the policy's threshold.
 */
static int
rotate_skip(struct rotate_run *run, const struct state_record *rec)
{
	struct rotate_result *res = run->res;
	char age[32], thr[32];
	int64_t t;

	if (run->o->started_ms > 0 &&
	    rec->created_or_rotated_at_ms >= run->o->started_ms) {
		res->status = ROTATE_DONE_ELSEWHERE;
		snprintf(res->note, sizeof(res->note), "'%s' was just rotated "
		    "by another run (key ...%s)", res->name,
		    run->rc.display_key);
		return 1;
	}
	t = rotate_threshold(run);
	if (t < 0 || res->age_ms >= t * 1000)
		return 0;
	time_format_duration(res->age_ms / 1000, age, sizeof(age));
	time_format_duration(t, thr, sizeof(thr));
	res->status = ROTATE_NOT_DUE;
	snprintf(res->note, sizeof(res->note), "'%s' is not due (key age %s, "
	    "rotated when older than %s)", res->name, age, thr);
	return 1;
}

/* A rotation from scratch: expiry from --expiry or the grace. */
static int
rotate_fresh(struct rotate_run *run, struct ldrt_err *e)
{
	int64_t send;

	if (rotate_grace(run, e) != 0)
		return -1;
	if (run->o->expiry_ms > 0)
		send = run->o->expiry_ms;
	else if (run->grace_s == 0)
		send = -1;
	else
		send = time_now_ms() + run->grace_s * 1000;
	return rotate_reset(run, send, send > 0 ? send : 0,
	    run->rc.display_key, NULL, e);
}

/* Loads the record of the relay (a malformed one is only a warning). */
static void
rotate_load_record(const char *id, struct state_record *rec)
{
	struct ldrt_err e = LDRT_ERR_INIT;

	if (state_record_load(id, rec, &e) < 0) {
		log_warn("%s", e.msg);
		state_record_release(rec);
		state_record_init(rec);
	}
}

/* Everything after the lock is taken and the config was read. */
static int
rotate_locked(struct rotate_run *run, struct ldrt_err *e)
{
	struct state_record rec;
	struct state_journal j;
	struct rotate_result *res = run->res;
	int r, proceed = 0, ret = -1;

	state_record_init(&rec);
	state_journal_init(&j);
	rotate_load_record(res->id, &rec);
	res->age_ms = time_now_ms() - (rec.created_or_rotated_at_ms > 0 ?
	    rec.created_or_rotated_at_ms : run->rc.creation_ms);
	if (run->o->dry_run) {
		ret = rotate_plan(run, &rec, e);
		goto out;
	}
	if ((r = state_journal_load(res->id, &j, e)) < 0)
		goto out;
	if (r != STATE_ABSENT) {
		/* a leftover journal is repaired before anything else */
		if (rotate_grace(run, e) != 0 ||
		    rotate_repair_journal(run, &j, &proceed, e) != 0)
			goto out;
		if (!proceed || run->o->repair) {
			ret = 0;
			goto out;
		}
		state_record_release(&rec);
		rotate_load_record(res->id, &rec);
	} else if (state_changed_elsewhere(&rec, false,
	    run->rc.display_key)) {
		if (!run->o->repair) {
			err_set(e, EX_DATAERR, "the key of '%s' was reset "
			    "outside ld-relay-token (stored ...%s, API has "
			    "...%s): changed elsewhere; 'ld-relay-token rotate "
			    "--repair %s' rotates it and stores the new key",
			    res->name, rec.display_key, run->rc.display_key,
			    res->name);
			goto out;
		}
		log_warn("'%s' was changed elsewhere; rotating it to get a "
		    "key this tool knows", res->name);
		ret = rotate_fresh(run, e);
		goto out;
	} else if (run->o->repair) {
		ret = rotate_redo_outputs(run, &rec, e);
		goto out;
	}
	if (rotate_skip(run, &rec)) {
		ret = 0;
		goto out;
	}
	ret = rotate_fresh(run, e);
out:
	state_record_release(&rec);
	state_journal_release(&j);
	return ret;
}

int
rotate_one(struct ldrt_ctx *ctx, const struct rotate_opts *o,
    const char *name_or_id, struct rotate_result *res, struct ldrt_err *e)
{
	struct rotate_run run;
	struct state_lock *lk = NULL;
	char *id = NULL, *name = NULL;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	res->status = ROTATE_FAILED;
	res->age_ms = -1;
	snprintf(res->name, sizeof(res->name), "%s", name_or_id);
	memset(&run, 0, sizeof(run));
	run.ctx = ctx;
	run.o = o;
	run.res = res;
	run.rc = (struct relay_config)RELAY_CONFIG_INIT;
	run.grace_s = ROTATE_DEFAULT_GRACE;

	if (ctx_init(ctx, e) != 0 ||
	    rotate_resolve(ctx, name_or_id, &id, &name, e) != 0)
		goto out;
	if (!state_id_valid(id)) {
		err_set(e, EX_DATAERR, "relay config '%s' has an invalid id",
		    name_or_id);
		goto out;
	}
	snprintf(res->id, sizeof(res->id), "%s", id);
	if (name != NULL)
		snprintf(res->name, sizeof(res->name), "%s", name);
	/* lock before any request: concurrent runs queue here */
	if (!o->dry_run && state_lock(id, o->lock_wait, &lk, e) != 0)
		goto out;
	if (ctx_api(ctx, &run.a, e) != 0 ||
	    api_get(run.a, id, &run.rc, e) != 0) {
		err_prefix(e, "relay config '%s'", res->name);
		goto out;
	}
	snprintf(res->name, sizeof(res->name), "%s", run.rc.name);
	snprintf(res->old_display, sizeof(res->old_display), "%s",
	    run.rc.display_key);
	run.sec = ctx_relay_section(ctx, run.rc.name, id);
	if (run.sec == NULL && name != NULL)
		run.sec = ctx_relay_section(ctx, name, NULL);
	ret = rotate_locked(&run, e);
out:
	if (ret != 0) {
		res->status = ROTATE_FAILED;
		res->note[0] = '\0';
		if (e->ex == 0)
			e->ex = EX_SOFTWARE;
	}
	state_unlock(lk);
	relay_config_release(&run.rc);
	free(id);
	free(name);
	return ret;
}

void
rotate_summary(const struct rotate_result *res, char *buf, size_t len)
{
	char until[40];

	switch (res->status) {
	case ROTATE_ROTATED:
	case ROTATE_REPAIRED:
		if (res->old_expiry_ms > 0) {
			time_format_ms(res->old_expiry_ms, until,
			    sizeof(until));
			snprintf(buf, len, "%s '%s': ...%s -> ...%s; old key "
			    "valid until %s", res->status == ROTATE_ROTATED ?
			    "rotated" : "repaired", res->name,
			    res->old_display[0] != '\0' ? res->old_display :
			    "?", res->new_display, until);
		} else {
			snprintf(buf, len, "%s '%s': ...%s -> ...%s; old key "
			    "stopped working at once", res->status ==
			    ROTATE_ROTATED ? "rotated" : "repaired", res->name,
			    res->old_display[0] != '\0' ? res->old_display :
			    "?", res->new_display);
		}
		return;
	default:
		snprintf(buf, len, "%s", res->note);
		return;
	}
}

enum rotate_local
rotate_relay_local_state(const char *id, const char *api_display,
    int64_t now_ms, char *buf, size_t len)
{
	struct state_record rec;
	struct state_journal j;
	struct ldrt_err e = LDRT_ERR_INIT;
	enum rotate_local ret = ROTATE_LOCAL_NONE;
	char t[40];
	int jr, rr;

	if (len > 0)
		buf[0] = '\0';
	state_record_init(&rec);
	state_journal_init(&j);
	if (id == NULL || !state_id_valid(id))
		goto out;
	jr = state_journal_load(id, &j, &e);
	rr = state_record_load(id, &rec, &e);
	if (jr == 0) {
		snprintf(buf, len, "rotation interrupted (%s): run "
		    "'ld-relay-token rotate --repair %s'",
		    state_phase_name(j.phase) != NULL ?
		    state_phase_name(j.phase) : "?", id);
		ret = ROTATE_LOCAL_JOURNAL;
		goto out;
	}
	if (rr != 0)
		goto out;
	if (state_changed_elsewhere(&rec, jr == 0, api_display)) {
		snprintf(buf, len, "changed elsewhere (stored key ...%s, API "
		    "...%s)", rec.display_key, api_display);
		ret = ROTATE_LOCAL_CHANGED_ELSEWHERE;
		goto out;
	}
	rotate_fmt_time(rec.old_key_expires_at_ms, t, sizeof(t));
	if (state_record_warning(&rec, now_ms, ROTATE_NEAR_MS) ==
	    STATE_WARN_RESTART_OVERDUE) {
		snprintf(buf, len, "restart overdue: exec failed and the old "
		    "key ...%s expired at %s", rec.old_display_key != NULL ?
		    rec.old_display_key : "?", t);
		ret = ROTATE_LOCAL_RESTART_OVERDUE;
		goto out;
	}
	if (rec.exec_failed && rec.old_key_expires_at_ms > now_ms) {
		snprintf(buf, len, "restart due: exec failed; the old key "
		    "...%s stops working at %s", rec.old_display_key != NULL ?
		    rec.old_display_key : "?", t);
		ret = ROTATE_LOCAL_RESTART_DUE;
		goto out;
	}
	if (rec.old_key_expires_at_ms > now_ms) {
		snprintf(buf, len, "old key ...%s valid until %s",
		    rec.old_display_key != NULL ? rec.old_display_key : "?", t);
		ret = ROTATE_LOCAL_GRACE;
	}
out:
	state_record_release(&rec);
	state_journal_release(&j);
	return ret;
}
