/*
 * log.c: diagnostics on stderr, one line each, prefixed with the program
 * name.  Never given a secret.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "ldrt.h"
#include "log.h"

static int log_quiet;
static int log_verbosity;
static const char *log_name = "ld-relay-token";

void
log_set_level(int quiet, int verbose)
{
	log_quiet = quiet;
	log_verbosity = verbose;
}

int
log_is_verbose(void)
{
	return log_verbosity > 0;
}

int
log_is_quiet(void)
{
	return log_quiet;
}

void
log_set_prog(const char *name)
{
	log_name = name;
}

const char *
log_prog(void)
{
	return log_name;
}

/* One line on stderr, whatever the arguments hold (names from the API,
 * paths): newlines become spaces, other control characters '?'. */
static void
log_vline(const char *tag, const char *fmt, va_list ap)
{
	char buf[1024], *m = buf;
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n >= (int)sizeof(buf)) {
		m = xmalloc((size_t)n + 1);
		vsnprintf(m, (size_t)n + 1, fmt, aq);
	}
	va_end(aq);
	if (n < 0)
		buf[0] = '\0';
	text_oneline(m);
	fprintf(stderr, "%s: %s%s\n", log_name, tag, m);
	if (m != buf)
		free(m);
}

void
log_verbose(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity <= 0)
		return;
	va_start(ap, fmt);
	log_vline("", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_quiet)
		return;
	va_start(ap, fmt);
	log_vline("", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline("warning: ", fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline("", fmt, ap);
	va_end(ap);
}
