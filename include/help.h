/*
 * help.h: the command line's own documentation: the usage line and
 * summary of every command and the global help text, printed by --help,
 * COMMAND --help and usage errors.  Plain data and stdio, so the small
 * launcher binary (src/launcher.c) prints help without loading anything.
 */
#ifndef LDRT_HELP_H
#define LDRT_HELP_H

#include <stdio.h>

struct help_entry {
	const char	*name;
	const char	*usage;		/* arguments, man page shape */
	const char	*summary;	/* one line for --help */
};

extern const struct help_entry help_commands[];	/* NULL-name terminated */

/* The entry of command name, or NULL. */
const struct help_entry *help_find(const char *name);
/* "usage: ld-relay-token [GLOBAL OPTIONS] COMMAND [ARGS]", the command
 * list and the global options. */
void	help_print(FILE *f);
/* "usage: ld-relay-token NAME USAGE" and the summary line. */
void	help_print_command(FILE *f, const struct help_entry *h);

#endif
