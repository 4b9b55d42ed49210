/*
 * runexec.c: run the after-change command (--exec, "exec" in a relay
 * section) through /bin/sh -c, with a timeout, and report how it ended and
 * the last lines of its stderr.
 *
 * The child gets its own process group so that a timeout reaches what the
 * shell started too (systemctl, a script's children).  Between fork() and
 * exec only async-signal-safe calls are made: libsecret/GLib may have
 * threads running.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runexec.h"

#define RUNEXEC_RING	4096	/* stderr bytes kept while it runs */
#define RUNEXEC_SLICE	50	/* ms between checks */

struct runexec_ring {
	char	buf[RUNEXEC_RING];
	size_t	len;
};

static int64_t	runexec_now(void);
static void	runexec_child(const char *, int, int) __attribute__((noreturn));
static void	runexec_ring_add(struct runexec_ring *, const char *, size_t);
static int	runexec_drain(int, struct runexec_ring *);
static void	runexec_tail(const struct runexec_ring *, char *, size_t);
static int	runexec_wait(pid_t, int, int, int, struct runexec_result *,
		    struct runexec_ring *);
static int	runexec_report(const struct runexec_result *, int,
		    struct ldrt_err *);

static int64_t
runexec_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the child: async-signal-safe calls only. */
static void
runexec_child(const char *cmd, int devnull, int errfd)
{
	static const int sigs[] = { SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP,
	    SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2, SIGTSTP, SIGTTIN, SIGTTOU };
	sigset_t none;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);
	if (dup2(devnull, 0) < 0 || dup2(2, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(127);
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
		for (fd = 3; fd < 65536; fd++)
			close(fd);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

static void
runexec_ring_add(struct runexec_ring *r, const char *p, size_t n)
{
	if (n >= sizeof(r->buf)) {
		memcpy(r->buf, p + n - sizeof(r->buf), sizeof(r->buf));
		r->len = sizeof(r->buf);
		return;
	}
	if (r->len + n > sizeof(r->buf)) {
		memmove(r->buf, r->buf + (r->len + n - sizeof(r->buf)),
		    sizeof(r->buf) - n);
		r->len = sizeof(r->buf) - n;
	}
	memcpy(r->buf + r->len, p, n);
	r->len += n;
}

/* Reads what is there; returns 1 at EOF or error, 0 otherwise. */
static int
runexec_drain(int fd, struct runexec_ring *r)
{
	char buf[RUNEXEC_RING];	/* no bigger than the ring: see ring_add */
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			runexec_ring_add(r, buf, n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		return 1;
	}
}

/* The last lines of r into out (printable ASCII and '\n'). */
static void
runexec_tail(const struct runexec_ring *r, char *out, size_t outsz)
{
	size_t end = r->len, start, lines = 0, i, j = 0;

	while (end > 0 && (r->buf[end - 1] == '\n' || r->buf[end - 1] == '\r'))
		end--;
	start = end;
	while (start > 0 && end - start < outsz - 1) {
		if (r->buf[start - 1] == '\n' && ++lines == RUNEXEC_TAIL_LINES)
			break;
		start--;
	}
	for (i = start; i < end && j < outsz - 1; i++) {
		unsigned char c = (unsigned char)r->buf[i];

		if (c == '\r' && i + 1 < end && r->buf[i + 1] == '\n')
			continue;
		out[j++] = (c == '\n' || (c >= 0x20 && c < 0x7f)) ? (char)c :
		    '?';
	}
	out[j] = '\0';
}

/*
 * Waits for pid, reading its stderr from fd, and ends its process group
 * after timeout_ms (SIGTERM) and grace_ms more (SIGKILL).  Returns the wait
 * status.
 */
static int
runexec_wait(pid_t pid, int fd, int timeout_ms, int grace_ms,
    struct runexec_result *res, struct runexec_ring *ring)
{
	int64_t start = runexec_now(), now, kill_at = -1;
	struct pollfd pfd;
	int status = 0, reaped = 0, eof = 0;
	pid_t w;

	for (;;) {
		now = runexec_now();
		if (!res->timed_out && now - start >= timeout_ms) {
			res->timed_out = 1;
			kill(-pid, SIGTERM);
			kill_at = now + grace_ms;
		}
		if (kill_at >= 0 && now >= kill_at) {
			kill(-pid, SIGKILL);
			kill_at = -1;
		}
		if (!reaped) {
			w = waitpid(pid, &status, WNOHANG);
			if (w == pid || (w < 0 && errno == ECHILD))
				reaped = 1;
		}
		if (reaped) {
			if (!eof)
				runexec_drain(fd, ring);
			/* after a timeout, what the shell left behind in its
			 * group gets the rest of the grace, then SIGKILL */
			if (!res->timed_out || kill_at < 0 ||
			    kill(-pid, 0) != 0)
				break;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (eof || poll(&pfd, 1, RUNEXEC_SLICE) <= 0) {
			if (eof)
				poll(NULL, 0, RUNEXEC_SLICE);
			continue;
		}
		if (runexec_drain(fd, ring))
			eof = 1;
	}
	if (res->timed_out)
		kill(-pid, SIGKILL);
	res->duration_ms = runexec_now() - start;
	return status;
}

static int
runexec_report(const struct runexec_result *res, int timeout_ms,
    struct ldrt_err *e)
{
	if (res->timed_out)
		return err_set(e, EX_UNAVAILABLE, "command timed out after "
		    "%d s and was killed", (timeout_ms + 999) / 1000);
	if (res->signaled)
		return err_set(e, EX_UNAVAILABLE, "command was killed by "
		    "signal %d", res->sig);
	if (res->exited && res->status != 0)
		return err_set(e, EX_UNAVAILABLE, "command exited with "
		    "status %d%s", res->status, res->status == 127 ?
		    " (not found?)" : "");
	return 0;
}

int
runexec_ms(const char *cmd, int timeout_ms, int grace_ms,
    struct runexec_result *res, struct ldrt_err *e)
{
	struct runexec_ring *ring = NULL;
	int pfd[2] = { -1, -1 }, devnull = -1, status, oerrno, r = -1;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (timeout_ms <= 0)
		timeout_ms = RUNEXEC_TIMEOUT_DEFAULT * 1000;
	if (grace_ms < 0)
		grace_ms = RUNEXEC_GRACE_MS;
	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 ||
	    pipe2(pfd, O_CLOEXEC) != 0) {
		err_set(e, EX_UNAVAILABLE, "cannot start command: %s",
		    strerror(errno));
		goto out;
	}
	ring = xcalloc(1, sizeof(*ring));
	fflush(NULL);	/* nothing buffered gets written twice */
	if ((pid = fork()) < 0) {
		err_set(e, EX_UNAVAILABLE, "cannot start command: %s",
		    strerror(errno));
		goto out;
	}
	if (pid == 0)
		runexec_child(cmd, devnull, pfd[1]);
	setpgid(pid, pid);	/* also here: no race with kill(-pid) */
	res->started = 1;
	close(pfd[1]);
	pfd[1] = -1;
	if (fcntl(pfd[0], F_SETFL, O_NONBLOCK) != 0) {
		oerrno = errno;
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
		err_set(e, EX_UNAVAILABLE, "cannot watch command: %s",
		    strerror(oerrno));
		goto out;
	}
	status = runexec_wait(pid, pfd[0], timeout_ms, grace_ms, res, ring);
	if (WIFEXITED(status)) {
		res->exited = 1;
		res->status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->signaled = 1;
		res->sig = WTERMSIG(status);
	}
	runexec_tail(ring, res->stderr_tail, sizeof(res->stderr_tail));
	r = runexec_report(res, timeout_ms, e);
out:
	if (devnull >= 0)
		close(devnull);
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	free(ring);
	return r;
}

int
runexec(const char *cmd, int timeout_s, struct runexec_result *res,
    struct ldrt_err *e)
{
	if (timeout_s <= 0 || timeout_s > 86400)
		timeout_s = RUNEXEC_TIMEOUT_DEFAULT;
	return runexec_ms(cmd, timeout_s * 1000, RUNEXEC_GRACE_MS, res, e);
}
