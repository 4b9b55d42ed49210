/*
 * log.c: diagnostics on stderr, one line each, prefixed with the program
 * name.  Never given a secret.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

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

static void
log_vline(const char *tag, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", log_name, tag);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
