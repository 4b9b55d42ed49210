/*
 * util.c: error values and allocation that dies only on out-of-memory.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldrt.h"

void
text_oneline(char *s)
{
	char *p;

	for (p = s; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	text_sanitize(s);
}

void
text_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;

	for (; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
		else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			p[0] = '?';	/* a C1 control (U+0080..U+009F) */
			p[1] = '?';
			p++;
		}
	}
}

char *
text_safe_dup(const char *s)
{
	char *d = xstrdup(s != NULL ? s : "");

	text_sanitize(d);
	return d;
}

/* Appends src to the NUL-terminated dst of size cap, truncating. */
static void
err_append(char *dst, size_t cap, const char *src)
{
	size_t len = strlen(dst), n = strlen(src);

	if (len + 1 >= cap)
		return;
	if (n > cap - 1 - len)
		n = cap - 1 - len;
	memcpy(dst + len, src, n);
	dst[len + n] = '\0';
}

int
err_set(struct ldrt_err *e, int ex, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->ex = ex;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	text_oneline(e->msg);
	return -1;
}

int
err_prefix(struct ldrt_err *e, const char *fmt, ...)
{
	char pre[LDRT_ERR_MSG_MAX], old[LDRT_ERR_MSG_MAX];
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* pre, ": ", old; truncated to fit (the buffer is one line) */
	e->msg[0] = '\0';
	err_append(e->msg, sizeof(e->msg), pre);
	err_append(e->msg, sizeof(e->msg), ": ");
	err_append(e->msg, sizeof(e->msg), old);
	text_oneline(e->msg);
	return -1;
}

void
err_clear(struct ldrt_err *e)
{
	if (e == NULL)
		return;
	e->ex = 0;
	e->msg[0] = '\0';
}

void
ldrt_fatal(const char *fmt, ...)
{
	va_list ap;

	fputs("ld-relay-token: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EX_SOFTWARE);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		ldrt_fatal("out of memory");
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb == 0 ? 1 : nmemb, size == 0 ? 1 : size);

	if (p == NULL)
		ldrt_fatal("out of memory");
	return p;
}

void *
xrealloc(void *old, size_t n)
{
	void *p = realloc(old, n == 0 ? 1 : n);

	if (p == NULL)
		ldrt_fatal("out of memory");
	return p;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		ldrt_fatal("out of memory");
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		ldrt_fatal("out of memory");
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (r < 0)
		ldrt_fatal("out of memory");
	return p;
}
