/*
 * state.h: the state directory, $XDG_STATE_HOME/ld-relay-token/ (or
 * ~/.local/state/ld-relay-token/), which makes key rotation crash-safe.
 *
 *   locks/<id>.lock     per-relay flock, held for a whole rotation
 *   journal/<id>.json   a rotation in flight (written BEFORE the reset), or
 *                       the note that a reset's outcome is unknown
 *   relays/<id>.json    per-relay record: display key of the stored key,
 *                       rotation time, old key's expiry, exec failure,
 *                       rejection by a credential caller
 *   recovery/<id>-<ms>.key   a new key that could not be stored (0600)
 *   rotations.jsonl     rotation log, one JSON object a line, never a key
 *
 * The directory and its subdirectories are created 0700 and refused
 * (EX_NOPERM naming them) when they are symlinks, are owned by another
 * user or have group/other permission bits.  Every file is created 0600
 * with O_NOFOLLOW.  Records and journals are replaced atomically (temp
 * file O_CREAT|O_EXCL in the same directory, fsync, rename, fsync of the
 * directory): after kill -9 at any instant a journal is either the old
 * version or the new one, never half-written.
 *
 * <id> is a relay config _id and must match [A-Za-z0-9_-]{1,64}; anything
 * else is EX_DATAERR before the file system is touched.
 *
 * A rotation reads (rotate.c):
 *
 *	state_lock(id, lock_wait, &lk, e)            EX_TEMPFAIL if held
 *	state_journal_load(id, &j, e) == STATE_ABSENT, else repair first
 *	state_journal_begin(&j, e)                   phase reset-requested
 *	api reset ... on a lost response: state_note_unknown_reset()
 *	store new key; on failure: state_write_recovery(id, key, &path, e)
 *	state_journal_advance(id, STATE_PHASE_KEY_STORED, e)
 *	write outputs;  state_journal_advance(id, STATE_PHASE_OUTPUTS_WRITTEN)
 *	run exec;       state_journal_advance(id, STATE_PHASE_EXEC_DONE)
 *	state_record_rotated(&ev, e)                 expiry, rotation time
 *	state_log_rotation(&ev, e)
 *	state_journal_clear(id, e);  state_unlock(lk)
 *
 * All functions return 0 on success and -1 with e filled on failure;
 * loaders return STATE_ABSENT (1) when the file does not exist.
 * Times are epoch milliseconds; 0 means "not set".  Nothing here prints.
 */
#ifndef LDRT_STATE_H
#define LDRT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ldrt.h"

#define STATE_ABSENT	1	/* a loader's return: no such file */
#define STATE_ID_MAX	64	/* longest relay config id accepted */

/* ---- the directory ---------------------------------------------------- */

/*
 * Overrides the state directory (tests, --state-dir); NULL restores the
 * default.  The string is copied.
 */
void	state_set_dir(const char *dir);

/*
 * The state directory, created (with missing parents) 0700 and checked:
 * not a symlink, a directory, owned by the effective uid, no group/other
 * bits, else EX_NOPERM naming it.  *out is newly allocated (free()).
 */
int	state_dir(char **out, struct ldrt_err *e);

/* true if id matches [A-Za-z0-9_-]{1,64}. */
bool	state_id_valid(const char *id);

/* ---- per-relay lock --------------------------------------------------- */

struct state_lock;

/*
 * Takes the exclusive lock locks/<id>.lock (flock, file 0600, close-on-exec
 * so that an exec'd restart command does not inherit it).  If it is held,
 * polls every 100 ms for up to wait_seconds (0: a single try), then fails
 * with EX_TEMPFAIL "another rotation of 'ID' is running (lock 'PATH'
 * held)".  *out is set on success only; release with state_unlock().
 * The lock also ends when the process ends, whatever the cause.  Once
 * taken, temp files of id left by a killed writer are removed.
 */
int	state_lock(const char *id, int wait_seconds, struct state_lock **out,
	    struct ldrt_err *e);
/* Releases the lock and frees lk (NULL ok).  The lock file stays. */
void	state_unlock(struct state_lock *lk);
/* The lock file's path (borrowed from lk). */
const char *state_lock_path(const struct state_lock *lk);

/* ---- per-relay record -------------------------------------------------- */

struct state_record {
	char	*name;			/* relay name at the last write */
	char	*display_key;		/* last 4 chars of the stored key */
	int64_t	 created_or_rotated_at_ms;	/* for max-age policy */
	char	*old_display_key;	/* key replaced by the last rotation */
	int64_t	 old_key_expires_at_ms;	/* its expiry (the API keeps none) */
	bool	 exec_failed;		/* the last rotation's exec failed (or
					   its outputs): no restart yet */
	int64_t	 exec_failed_at_ms;
	int64_t	 rejected_at_ms;	/* credential erase: a caller rejected
					   the key */
	int64_t	 updated_at_ms;		/* set by state_record_save() */
};
#define STATE_RECORD_INIT { NULL, NULL, 0, NULL, 0, false, 0, 0, 0 }

void	state_record_init(struct state_record *r);
/* Frees the strings and re-initialises (NULL ok). */
void	state_record_release(struct state_record *r);
/* Replaces a string field: frees the old value, stores a copy of s
 * (NULL clears it). */
void	state_record_set(char **field, const char *s);

/*
 * Loads relays/<id>.json into *out (which is initialised first; release it
 * with state_record_release() in every case).  Returns STATE_ABSENT with a
 * zeroed record when there is none; a malformed file is EX_DATAERR naming
 * the file and the offset.
 */
int	state_record_load(const char *id, struct state_record *out,
	    struct ldrt_err *e);
/* Writes relays/<id>.json atomically, updated_at_ms = now. */
int	state_record_save(const char *id, const struct state_record *r,
	    struct ldrt_err *e);
/* Removes relays/<id>.json; absent is not an error. */
int	state_record_delete(const char *id, struct ldrt_err *e);
/*
 * credential erase: load (or start) the record, set rejected_at_ms = now
 * and name (if not NULL), save.
 */
int	state_record_mark_rejected(const char *id, const char *name,
	    struct ldrt_err *e);

/*
 * After a rotation stored its new key (outcome OK, REPAIRED, EXEC_FAILED
 * or OUTPUT_FAILED; others are EX_SOFTWARE): records in relays/<id>.json
 * name, new and old display keys, the old key's expiry, the rotation time
 * (ev->time_ms, 0: now), exec_failed (true for EXEC_FAILED and
 * OUTPUT_FAILED: the relays were not restarted with the new key) and
 * clears rejected_at_ms.  The same event then goes to state_log_rotation().
 */
struct state_rotation_event;
int	state_record_rotated(const struct state_rotation_event *ev,
	    struct ldrt_err *e);

/*
 * For status/list: a warning when the exec of the last rotation failed
 * (the Relay Proxy may still run the old key) and the old key's expiry is
 * within near_ms of now_ms (RESTART_DUE) or past (RESTART_OVERDUE).
 */
enum state_warning {
	STATE_WARN_NONE = 0,
	STATE_WARN_RESTART_DUE,
	STATE_WARN_RESTART_OVERDUE
};
enum state_warning state_record_warning(const struct state_record *r,
	    int64_t now_ms, int64_t near_ms);

/*
 * For status/list/rotate: true when the key was reset outside this tool,
 * i.e. the record knows a display key, no journal is present, and the
 * API's displayKey differs from it.
 */
bool	state_changed_elsewhere(const struct state_record *r,
	    bool journal_present, const char *api_display_key);

/*
 * The display key of a key: its last 4 characters (the whole key if it is
 * shorter) into out (at least 5 bytes).  out never holds more than 4
 * characters of the key.
 */
void	state_display_key(const char *key, char *out, size_t len);

/* ---- journal ----------------------------------------------------------- */

enum state_phase {
	STATE_PHASE_RESET_REQUESTED = 0,	/* "reset-requested" */
	STATE_PHASE_KEY_STORED,			/* "reset-done-key-stored" */
	STATE_PHASE_OUTPUTS_WRITTEN,		/* "outputs-written" */
	STATE_PHASE_EXEC_DONE,			/* "exec-done" */
	STATE_PHASE_OUTCOME_UNKNOWN		/* "reset-outcome-unknown" */
};
/* Name as written in the journal; NULL for an out-of-range value. */
const char *state_phase_name(enum state_phase p);
/* -1 if s names no phase. */
int	state_phase_parse(const char *s, enum state_phase *out);

struct state_journal {
	char		*id;		/* relay config id */
	char		*name;		/* relay name, for messages */
	int64_t		 started_at_ms;	/* 0: now (begin fills it in) */
	int64_t		 grace_s;	/* grace asked for, seconds */
	int64_t		 expiry_ms;	/* expiry sent with the reset: when the
					   key being replaced stops working;
					   0: immediately (no grace) */
	char		*old_display_key; /* display key before the reset */
	enum state_phase phase;
	int64_t		 updated_at_ms;	/* set on every write */
};
#define STATE_JOURNAL_INIT \
	{ NULL, NULL, 0, 0, 0, NULL, STATE_PHASE_RESET_REQUESTED, 0 }

void	state_journal_init(struct state_journal *j);
void	state_journal_release(struct state_journal *j);	/* NULL ok */

/*
 * Creates journal/<j->id>.json atomically with j's fields (phase as given,
 * normally RESET_REQUESTED; started_at_ms 0 means now) and fsyncs it
 * before returning: call it BEFORE the reset.  Refuses (EX_SOFTWARE) to
 * replace a leftover journal: repair that first.
 */
int	state_journal_begin(const struct state_journal *j, struct ldrt_err *e);
/* Writes j, replacing any journal of j->id (used by repair). */
int	state_journal_save(const struct state_journal *j, struct ldrt_err *e);
/* Moves the journal of id to phase (EX_SOFTWARE if there is none). */
int	state_journal_advance(const char *id, enum state_phase phase,
	    struct ldrt_err *e);
/* Loads journal/<id>.json into *out (initialised first; release it in
 * every case); STATE_ABSENT if none.  Malformed: EX_DATAERR. */
int	state_journal_load(const char *id, struct state_journal *out,
	    struct ldrt_err *e);
/* Removes the journal (fsyncs the directory); absent is not an error. */
int	state_journal_clear(const char *id, struct ldrt_err *e);
/*
 * The ids of all journals (leftover rotations and outcome-unknown notes),
 * sorted.  *ids is a NULL-terminated array owned by the caller
 * (state_list_free()); *n its length (n may be NULL).
 */
int	state_journal_list(char ***ids, size_t *n, struct ldrt_err *e);
/* The same for the state records (relays/). */
int	state_record_list(char ***ids, size_t *n, struct ldrt_err *e);
void	state_list_free(char **ids);

/*
 * A reset whose response was lost: the key may have changed.  Records the
 * journal of id in phase "reset-outcome-unknown" with expiry_ms (the
 * expiry sent with that reset), keeping the fields of an existing
 * journal, or creating one with name.
 */
int	state_note_unknown_reset(const char *id, const char *name,
	    int64_t expiry_ms, struct ldrt_err *e);

/*
 * What to do about a leftover journal j (rotate --repair, or the next run):
 * stored_display is the display key of the key in the store, computed with
 * state_display_key(); api_display the API's displayKey now.
 *   CLEAR      equal: the store holds the live key; clear the journal
 *   RESET      different, but the old key's expiry (j->expiry_ms) has not
 *              passed: reset again with grace and finish the rotation
 *   KEY_LOST   different and the expiry has passed (or there was none):
 *              the new key is lost; a reset without grace is needed
 */
enum state_repair {
	STATE_REPAIR_CLEAR = 0,
	STATE_REPAIR_RESET,
	STATE_REPAIR_KEY_LOST
};
enum state_repair state_repair_decide(const struct state_journal *j,
	    const char *stored_display, const char *api_display,
	    int64_t now_ms);

/* ---- recovery file ----------------------------------------------------- */

/*
 * Writes key + "\n" to recovery/<id>-<now ms>.key (O_CREAT|O_EXCL, 0600,
 * fsync, directory fsynced) when the store failed.  *path_out (newly
 * allocated) is the path to tell the user; the key goes nowhere else and
 * is never in e.
 */
int	state_write_recovery(const char *id, const char *key, char **path_out,
	    struct ldrt_err *e);

/* ---- rotation log ------------------------------------------------------ */

enum state_outcome {
	STATE_OUTCOME_OK = 0,		/* "ok" */
	STATE_OUTCOME_EXEC_FAILED,	/* "exec-failed" */
	STATE_OUTCOME_STORE_FAILED,	/* "store-failed" (recovery file) */
	STATE_OUTCOME_OUTPUT_FAILED,	/* "output-failed" */
	STATE_OUTCOME_RESET_FAILED,	/* "reset-failed" (API said no) */
	STATE_OUTCOME_UNKNOWN,		/* "outcome-unknown" (lost response) */
	STATE_OUTCOME_REPAIRED,		/* "repaired" (reset again) */
	STATE_OUTCOME_CLEARED,		/* "journal-cleared" (nothing lost) */
	STATE_OUTCOME_KEY_LOST		/* "key-lost" */
};
const char *state_outcome_name(enum state_outcome o);

/* One rotation, as logged.  There is deliberately no field for a key. */
struct state_rotation_event {
	int64_t		 time_ms;		/* 0: now */
	const char	*relay_id;		/* required */
	const char	*relay_name;		/* NULL ok */
	const char	*old_display_key;	/* NULL ok */
	const char	*new_display_key;	/* NULL ok */
	int64_t		 old_key_expires_at_ms;	/* 0: none */
	enum state_outcome outcome;
	const char	*message;		/* NULL ok; never a secret */
};

/*
 * Appends one JSON line to rotations.jsonl (O_APPEND, 0600, fsync):
 * {"time", "time_ms", "relay_id", "relay_name", "old_display_key",
 *  "new_display_key", "old_key_expires_at", "old_key_expires_at_ms",
 *  "outcome", "message"}.  A display key longer than 8 characters or that
 * looks like a key ("rel-...") is cut to its last 4 characters.
 */
int	state_log_rotation(const struct state_rotation_event *ev,
	    struct ldrt_err *e);

#endif /* LDRT_STATE_H */
