/*
 * sibling.c: exec a helper binary found beside the running one or in
 * PKGLIBEXECDIR.  libc only: the launcher links nothing else.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "sibling.h"

#ifndef PKGLIBEXECDIR
#define PKGLIBEXECDIR "/usr/local/libexec/ld-relay-token"
#endif

/*
 * DIR/REL/prog into buf, DIR being the running binary's directory; 0 if it
 * is executable.  REL "." is the build tree; "../libexec/ld-relay-token"
 * an install under any prefix (also a DESTDIR staging tree).
 */
static int
sibling_beside(const char *rel, const char *prog, char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return -1;
	*slash = '\0';
	if ((size_t)snprintf(buf, len, "%s/%s/%s", exe, rel, prog) >= len)
		return -1;
	return access(buf, X_OK);
}

void
sibling_exec(const char *prog, char **argv)
{
	char path[PATH_MAX];
	int oerrno;

	fflush(NULL);
	if (sibling_beside(".", prog, path, sizeof(path)) != 0 &&
	    sibling_beside("../libexec/ld-relay-token", prog, path,
	    sizeof(path)) != 0 &&
	    (size_t)snprintf(path, sizeof(path), "%s/%s", PKGLIBEXECDIR,
	    prog) >= sizeof(path))
		path[0] = '\0';
	execv(path, argv);
	oerrno = errno;
	fprintf(stderr, "ld-relay-token: cannot run '%s': %s (installation "
	    "incomplete?)\n", path, strerror(oerrno));
	exit(EX_SOFTWARE);
}
