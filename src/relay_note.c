/*
 * relay_note.c: one line about a relay key's local state for status,
 * list and show: rotate.c's view of the state directory (old key's expiry,
 * interrupted rotation, change made elsewhere, overdue restart) plus a
 * rejection recorded by the credential helper.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "relay_note.h"
#include "rotate.h"
#include "state.h"
#include "timeutil.h"

void
relay_notes_load(struct relay_notes *notes)
{
	memset(notes, 0, sizeof(*notes));
	if (state_journal_list(&notes->journals, &notes->nj, NULL) != 0 ||
	    state_record_list(&notes->records, &notes->nr, NULL) != 0)
		relay_notes_release(notes);
}

void
relay_notes_release(struct relay_notes *notes)
{
	state_list_free(notes->journals);
	state_list_free(notes->records);
	memset(notes, 0, sizeof(*notes));
}

static int
relay_notes_cmp(const void *a, const void *b)
{
	return strcmp(a, *(char *const *)b);
}

/* Whether notes says for certain that id has no local state. */
static int
relay_notes_none(const struct relay_notes *notes, const char *id)
{
	if (notes == NULL || notes->journals == NULL ||
	    notes->records == NULL)
		return 0;
	return bsearch(id, notes->journals, notes->nj, sizeof(char *),
	    relay_notes_cmp) == NULL && bsearch(id, notes->records,
	    notes->nr, sizeof(char *), relay_notes_cmp) == NULL;
}

int
relay_note(const struct relay_config *rc, int64_t now_ms,
    int64_t *old_expiry_ms, char *buf, size_t len)
{
	return relay_note_in(NULL, rc, now_ms, old_expiry_ms, buf, len);
}

int
relay_note_in(const struct relay_notes *notes, const struct relay_config *rc,
    int64_t now_ms, int64_t *old_expiry_ms, char *buf, size_t len)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_record rec;
	enum rotate_local st;
	char t[40];
	size_t n;
	int flags = 0;

	*old_expiry_ms = 0;
	if (relay_notes_none(notes, rc->id)) {
		if (len > 0)
			buf[0] = '\0';
		return 0;
	}
	st = rotate_relay_local_state(rc->id, rc->display_key, now_ms, buf,
	    len);
	if (st != ROTATE_LOCAL_NONE && st != ROTATE_LOCAL_GRACE)
		flags |= RELAY_NOTE_WARN;
	if (state_record_load(rc->id, &rec, &e) == 0) {
		if (rec.old_key_expires_at_ms > now_ms)
			*old_expiry_ms = rec.old_key_expires_at_ms;
		if (rec.rejected_at_ms > 0) {
			time_format_ms(rec.rejected_at_ms, t, sizeof(t));
			n = strlen(buf);
			snprintf(buf + n, len - n, "%sa credential caller "
			    "rejected the key at %s", n > 0 ? "; " : "", t);
			flags |= RELAY_NOTE_WARN;
		}
	}
	state_record_release(&rec);
	return flags;
}
