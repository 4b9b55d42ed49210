/*
 * secret.c: memory for secrets, reading them without echo, and process
 * hardening.
 *
 * A secbuf grows by allocate-copy-wipe (never realloc, which may leave the
 * old bytes behind in freed memory) up to a fixed cap, and wipes itself on
 * reset and free, in the manner of OpenSSH's sshbuf.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <fcntl.h>
#ifndef LDRT_CORE
#include <openssl/evp.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "secret.h"

void (*secret_release_hook)(const void *p, size_t n);

struct secbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;	/* allocated, excluding the NUL */
	size_t	 max;
};

void
secret_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

/* Wipes n bytes at p, tells the test hook, frees. */
static void
secret_release(void *p, size_t n)
{
	if (p == NULL)
		return;
	secret_wipe(p, n);
	if (secret_release_hook != NULL)
		secret_release_hook(p, n);
	free(p);
}

void
secret_free(char *s)
{
	if (s == NULL)
		return;
	secret_release(s, strlen(s) + 1);
}

char *
secret_strdup(const char *s)
{
	return secret_strndup(s, strlen(s));
}

char *
secret_strndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

struct secbuf *
secbuf_new(size_t max)
{
	struct secbuf *b = xcalloc(1, sizeof(*b));

	b->max = max;
	b->cap = max < 256 ? max : 256;
	b->p = xcalloc(1, b->cap + 1);
	return b;
}

void
secbuf_reserve(struct secbuf *b, size_t n)
{
	char *np;

	if (n > b->max)
		n = b->max;
	if (n <= b->cap)
		return;
	np = xmalloc(n + 1);
	memcpy(np, b->p, b->len + 1);
	secret_release(b->p, b->cap + 1);
	b->p = np;
	b->cap = n;
}

int
secbuf_append(struct secbuf *b, const void *p, size_t n)
{
	size_t ncap;
	char *np;

	if (n > b->max - b->len)
		return -1;
	if (b->len + n > b->cap) {
		ncap = b->cap * 2;
		if (ncap < b->len + n)
			ncap = b->len + n;
		if (ncap > b->max)
			ncap = b->max;
		np = xmalloc(ncap + 1);
		memcpy(np, b->p, b->len);
		secret_release(b->p, b->cap + 1);
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

const char *
secbuf_str(const struct secbuf *b)
{
	return b->p;
}

size_t
secbuf_len(const struct secbuf *b)
{
	return b->len;
}

size_t
secbuf_max(const struct secbuf *b)
{
	return b->max;
}

void
secbuf_reset(struct secbuf *b)
{
	secret_wipe(b->p, b->cap + 1);
	b->len = 0;
}

void
secbuf_free(struct secbuf *b)
{
	if (b == NULL)
		return;
	secret_release(b->p, b->cap + 1);
	free(b);
}

char *
secbuf_detach(struct secbuf *b)
{
	char *s = secret_strndup(b->p, b->len);

	secbuf_reset(b);
	return s;
}

/* Strips one trailing "\n" or "\r\n" and validates a secret line. */
static int
secret_check_line(struct secbuf *b, const char *what, struct ldrt_err *e)
{
	char *p = b->p;
	size_t n = b->len;

	if (n > 0 && p[n - 1] == '\n') {
		n--;
		if (n > 0 && p[n - 1] == '\r')
			n--;
	}
	if (n == 0)
		return err_set(e, EX_DATAERR, "%s is empty", what);
	if (memchr(p, '\0', n) != NULL)
		return err_set(e, EX_DATAERR, "%s contains a NUL byte", what);
	if (memchr(p, '\n', n) != NULL || memchr(p, '\r', n) != NULL)
		return err_set(e, EX_DATAERR, "%s contains more than one line",
		    what);
	secret_wipe(p + n, b->len - n);
	b->len = n;
	return 0;
}

int
secret_read_fd(int fd, const char *what, char **out, struct ldrt_err *e)
{
	struct secbuf *b = secbuf_new(SECRET_MAX);
	char chunk[512];
	ssize_t r;
	int ret = -1;

	*out = NULL;
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_set(e, EX_IOERR, "reading %s: %s", what,
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		if (secbuf_append(b, chunk, (size_t)r) != 0) {
			err_set(e, EX_DATAERR, "%s is longer than %d bytes",
			    what, SECRET_MAX);
			goto out;
		}
	}
	if (secret_check_line(b, what, e) != 0)
		goto out;
	*out = secbuf_detach(b);
	ret = 0;
out:
	secret_wipe(chunk, sizeof(chunk));
	secbuf_free(b);
	return ret;
}

int
secret_read_file(const char *path, const char *what, int check_mode,
    char **out, struct ldrt_err *e)
{
	struct stat st;
	int fd, r, oerrno;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		oerrno = errno;
		return err_set(e, oerrno == ENOENT ? EX_NOINPUT : EX_NOPERM,
		    "%s '%s': %s", what, path, strerror(oerrno));
	}
	if (fstat(fd, &st) != 0) {
		oerrno = errno;
		close(fd);
		return err_set(e, EX_IOERR, "%s '%s': %s", what, path,
		    strerror(oerrno));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, EX_DATAERR, "%s '%s' is not a regular file",
		    what, path);
	}
	if (check_mode && (st.st_mode & 077) != 0) {
		close(fd);
		return err_set(e, EX_NOPERM, "%s '%s' has mode %04o; it must "
		    "not be accessible by group or others", what, path,
		    (unsigned)(st.st_mode & 07777));
	}
	r = secret_read_fd(fd, what, out, e);
	close(fd);
	return r;
}

int
secret_prompt(const char *prompt, char **out, struct ldrt_err *e)
{
	struct termios old, noecho;
	struct secbuf *b = NULL;
	char c;
	ssize_t r;
	int fd, ret = -1, restore = 0;

	*out = NULL;
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_set(e, EX_USAGE, "no terminal to prompt on; pass "
		    "the secret on standard input");
	if (tcgetattr(fd, &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		noecho.c_lflag |= ICANON;
		if (tcsetattr(fd, TCSAFLUSH, &noecho) == 0)
			restore = 1;
	}
	if (write(fd, prompt, strlen(prompt)) < 0)
		goto out;
	b = secbuf_new(SECRET_MAX);
	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n' || c == '\r')
			break;
		if (secbuf_append(b, &c, 1) != 0) {
			err_set(e, EX_DATAERR, "input longer than %d bytes",
			    SECRET_MAX);
			goto out;
		}
	}
	c = 0;
	if (secbuf_len(b) == 0) {
		err_set(e, EX_DATAERR, "empty input");
		goto out;
	}
	*out = secbuf_detach(b);
	ret = 0;
out:
	if (restore)
		(void)tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* nothing useful to do: the prompt line stays unterminated */
	}
	close(fd);
	secbuf_free(b);
	return ret;
}

void
secret_harden_process(void)
{
	struct rlimit rl = { 0, 0 };
	int fd;

	/* fds 0-2 open, so a file we open never becomes stdout */
	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
	umask(077);
	(void)setrlimit(RLIMIT_CORE, &rl);
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_DUMPABLE)
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

#ifndef LDRT_CORE
void
secret_fingerprint(const char *s, char out[13])
{
	static const char hexd[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int i;

	/* EVP cleanses its context; GLib's GChecksum would free the last
	 * input block unwiped */
	if (EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen < 6)
		ldrt_fatal("SHA-256 unavailable");
	for (i = 0; i < 6; i++) {
		out[2 * i] = hexd[md[i] >> 4];
		out[2 * i + 1] = hexd[md[i] & 0xf];
	}
	out[12] = '\0';
}
#endif /* LDRT_CORE: no OpenSSL in the keyring-only binary */
