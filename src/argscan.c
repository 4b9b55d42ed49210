/*
 * argscan.c: the first operand behind the global options (see argscan.h).
 * Must agree with cli.c's global option table.
 */
#include "config.h"

#include <string.h>

#include "argscan.h"

/* Global long options that take the next argument as their value. */
static const char *const argscan_valued[] = {
	"--profile", "--config", "--api-url", "--ca-bundle", "--store",
	"--proxy", "--timeout", NULL
};

static int
argscan_takes_value(const char *arg)
{
	const char *p;
	size_t i;

	if (arg[1] != '-') {
		/* a cluster of short options: -p takes the rest or the next */
		p = strchr(arg + 1, 'p');
		return p != NULL && p[1] == '\0';
	}
	for (i = 0; argscan_valued[i] != NULL; i++)
		if (strcmp(arg, argscan_valued[i]) == 0)
			return 1;
	return 0;
}

int
argscan_operand(int argc, char **argv, int from)
{
	int i;

	for (i = from; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return i + 1;
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			return i;
		if (argscan_takes_value(argv[i]))
			i++;
	}
	return argc;
}
