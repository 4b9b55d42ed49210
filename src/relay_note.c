/*
 * relay_note.c: one line about a relay key's local state for status,
 * list and show.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "relay_note.h"
#include "state.h"
#include "timeutil.h"

/* An old key expiring within this window with its restart failed warns. */
#define RELAY_NOTE_NEAR_MS (15 * 60 * 1000)

static void relay_note_add(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends "; " and a formatted part to buf (truncating). */
static void
relay_note_add(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n > 0 && n + 2 < len) {
		memcpy(buf + n, "; ", 3);
		n += 2;
	}
	if (n >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

int
relay_note(const struct relay_config *rc, int64_t now_ms,
    int64_t *old_expiry_ms, char *buf, size_t len)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_journal j;
	struct state_record rec;
	char t[40];
	int jr, rr, flags = 0;

	buf[0] = '\0';
	*old_expiry_ms = 0;
	state_journal_init(&j);
	jr = state_journal_load(rc->id, &j, &e);
	if (jr < 0) {
		relay_note_add(buf, len, "state: %s", e.msg);
		flags |= RELAY_NOTE_WARN;
	} else if (jr == 0) {
		relay_note_add(buf, len, "rotation unfinished (%s): run "
		    "'rotate --repair'", j.phase == STATE_PHASE_OUTCOME_UNKNOWN ?
		    "reset outcome unknown" : "interrupted");
		flags |= RELAY_NOTE_WARN;
	}
	state_journal_release(&j);

	rr = state_record_load(rc->id, &rec, &e);
	if (rr < 0) {
		relay_note_add(buf, len, "state: %s", e.msg);
		flags |= RELAY_NOTE_WARN;
	}
	if (rr == 0) {
		if (state_changed_elsewhere(&rec, jr == 0, rc->display_key)) {
			relay_note_add(buf, len, "changed elsewhere: the "
			    "API's key is not the stored one");
			flags |= RELAY_NOTE_WARN;
		}
		if (rec.old_key_expires_at_ms > now_ms) {
			*old_expiry_ms = rec.old_key_expires_at_ms;
			time_format_ms(rec.old_key_expires_at_ms, t, sizeof(t));
			relay_note_add(buf, len, "old key ...%s valid until %s",
			    rec.old_display_key != NULL ?
			    rec.old_display_key : "", t);
		}
		switch (state_record_warning(&rec, now_ms,
		    RELAY_NOTE_NEAR_MS)) {
		case STATE_WARN_RESTART_DUE:
			relay_note_add(buf, len, "restart due: the last "
			    "restart command failed and the old key expires "
			    "soon");
			flags |= RELAY_NOTE_WARN;
			break;
		case STATE_WARN_RESTART_OVERDUE:
			relay_note_add(buf, len, "restart overdue: the last "
			    "restart command failed and the old key has "
			    "expired");
			flags |= RELAY_NOTE_WARN;
			break;
		default:
			break;
		}
		if (rec.rejected_at_ms > 0) {
			time_format_ms(rec.rejected_at_ms, t, sizeof(t));
			relay_note_add(buf, len, "a credential caller "
			    "rejected the key at %s", t);
			flags |= RELAY_NOTE_WARN;
		}
	}
	state_record_release(&rec);
	return flags;
}
