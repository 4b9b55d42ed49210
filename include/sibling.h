/*
 * sibling.h: finding and running ld-relay-token's helper binaries.
 *
 * ld-relay-token is split for speed (issue 10): the command users run is
 * a small launcher; ldrt-keyring serves get and credential without the
 * network and crypto libraries; ldrt-full does everything else.  A helper
 * is looked up beside the running binary (the build tree), then in
 * ../libexec/ld-relay-token relative to it (an install under any prefix,
 * a DESTDIR staging tree included), then in the configured PKGLIBEXECDIR.
 */
#ifndef LDRT_SIBLING_H
#define LDRT_SIBLING_H

/*
 * execv()s helper prog with argv unchanged (argv[0] included, so that
 * git-credential-ld-relay stays recognisable).  Never returns: when the
 * helper cannot be run it prints one line and exits EX_SOFTWARE.
 */
void	sibling_exec(const char *prog, char **argv)
	    __attribute__((noreturn));

#endif
