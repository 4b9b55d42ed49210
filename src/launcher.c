/*
 * launcher.c: the ld-relay-token command.  It answers --version and
 * --help itself and hands every command to a helper binary: get and
 * credential (and the git-credential-ld-relay alias) to ldrt-keyring,
 * which links only GLib and libsecret, everything else to ldrt-full.  It
 * links nothing but libc, so the commands that sit on other programs' hot
 * paths do not pay for libcurl, json-c and OpenSSL (46 shared objects to
 * relocate) on every run.  Option errors and unknown commands are
 * reported by ldrt-full, so there is one wording for them.
 */
#include "config.h"

#include <string.h>
#include <sys/resource.h>

#include "argscan.h"
#include "help.h"
#include "sibling.h"

/* Does anything after the command (before "--") ask for help? */
static int
launcher_wants_help(int argc, char **argv, int from)
{
	int i;

	for (i = from; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct rlimit rl = { 0, 0 };
	const struct help_entry *h;
	const char *base, *a;
	int i, j;

	(void)setrlimit(RLIMIT_CORE, &rl);
	if (argc < 1 || argv[0] == NULL)
		return 64;
	base = strrchr(argv[0], '/');
	base = base != NULL ? base + 1 : argv[0];
	if (strcmp(base, "git-credential-ld-relay") == 0)
		sibling_exec("ldrt-keyring", argv);

	i = argscan_operand(argc, argv, 1);
	for (j = 1; j < i; j++) {
		a = argv[j];
		if (strcmp(a, "--version") == 0) {
			fputs(PACKAGE_NAME " " PACKAGE_VERSION "\n", stdout);
			return 0;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			help_print(stdout);
			return 0;
		}
	}
	if (i < argc && strcmp(argv[i], "help") == 0) {
		h = i + 1 < argc ? help_find(argv[i + 1]) : NULL;
		if (h != NULL)
			help_print_command(stdout, h);
		else
			help_print(stdout);
		return 0;
	}
	if (i < argc && (h = help_find(argv[i])) != NULL &&
	    launcher_wants_help(argc, argv, i + 1)) {
		help_print_command(stdout, h);
		return 0;
	}
	if (i < argc && (strcmp(argv[i], "get") == 0 ||
	    strcmp(argv[i], "credential") == 0))
		sibling_exec("ldrt-keyring", argv);
	sibling_exec("ldrt-full", argv);
}
