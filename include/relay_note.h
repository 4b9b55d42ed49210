/*
 * relay_note.h: what `status`, `list` and `show` say about the local state
 * of one relay config's key, from the state directory (records, journal)
 * and the API's display key: the old key's recorded expiry, a rotation
 * left unfinished, a reset done outside the tool, an overdue restart, a
 * key a credential caller rejected.
 */
#ifndef LDRT_RELAY_NOTE_H
#define LDRT_RELAY_NOTE_H

#include <stddef.h>
#include <stdint.h>

struct relay_config;

#define RELAY_NOTE_WARN	0x1	/* something needs the operator */

/*
 * Writes a one-line annotation for rc into buf ("" when there is nothing
 * to say) and returns a mask of RELAY_NOTE_* flags.  *old_expiry_ms gets
 * the recorded expiry of the replaced key (0: none or past).  Never fails:
 * state that cannot be read is itself reported in buf.
 */
int	relay_note(const struct relay_config *rc, int64_t now_ms,
	    int64_t *old_expiry_ms, char *buf, size_t len);

/*
 * For many configs at once (list, status): which ids have a journal or a
 * state record, read with two directory listings, so that a config with
 * no local state costs no file access.  If a listing fails, every config
 * is looked up on its own, as by relay_note.
 */
struct relay_notes {
	char	**journals;	/* sorted; NULL when not listed */
	char	**records;
	size_t	  nj, nr;
};
void	relay_notes_load(struct relay_notes *notes);
void	relay_notes_release(struct relay_notes *notes);
int	relay_note_in(const struct relay_notes *notes,
	    const struct relay_config *rc, int64_t now_ms,
	    int64_t *old_expiry_ms, char *buf, size_t len);

#endif
