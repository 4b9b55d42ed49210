/*
 * runexec.h: run the command given with --exec (or "exec" in a relay
 * section) after an output changed.
 *
 * The command runs as /bin/sh -c CMD in its own process group, stdin from
 * /dev/null, stdout sent to our stderr (our stdout carries data only),
 * stderr captured (its last lines are kept for the report), every other
 * descriptor closed and signal handling reset.  Its argv is "sh -c CMD"
 * and its environment is ours unchanged: no key is ever passed to it (we
 * never put a secret in our environment, so nothing needs scrubbing).
 * After timeout the whole process group gets SIGTERM, and SIGKILL after
 * the grace period.
 */
#ifndef LDRT_RUNEXEC_H
#define LDRT_RUNEXEC_H

#include <stdint.h>
#include "ldrt.h"

#define RUNEXEC_TIMEOUT_DEFAULT	60	/* seconds (--exec-timeout) */
#define RUNEXEC_GRACE_MS	5000	/* SIGTERM to SIGKILL */
#define RUNEXEC_TAIL_LINES	10
#define RUNEXEC_TAIL_MAX	2048

struct runexec_result {
	int	started;	/* the command was started */
	int	exited;		/* it exited: status holds its exit status */
	int	status;
	int	signaled;	/* it was killed by signal sig */
	int	sig;
	int	timed_out;	/* we killed it after the timeout */
	int64_t	duration_ms;
	/* The last RUNEXEC_TAIL_LINES lines (at most RUNEXEC_TAIL_MAX bytes)
	 * of its stderr, lines separated by '\n', no trailing newline, bytes
	 * outside printable ASCII shown as '?'.  Empty if it wrote nothing. */
	char	stderr_tail[RUNEXEC_TAIL_MAX + 1];
};

/*
 * Runs cmd and waits for it (timeout_s <= 0: RUNEXEC_TIMEOUT_DEFAULT).
 * Returns 0 if it exited with status 0; otherwise -1 with e set:
 * EX_UNAVAILABLE "command exited with status N" / "was killed by signal
 * N" / "timed out after N s and was killed" / "cannot start command".  res
 * (not NULL) is filled in every case.  The messages do not quote cmd.
 */
int	runexec(const char *cmd, int timeout_s, struct runexec_result *res,
	    struct ldrt_err *e);
/* The same with the timeout and the SIGTERM-to-SIGKILL grace in ms. */
int	runexec_ms(const char *cmd, int timeout_ms, int grace_ms,
	    struct runexec_result *res, struct ldrt_err *e);

#endif
