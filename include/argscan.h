/*
 * argscan.h: finding the command word (or the credential operation)
 * behind the global options without parsing them, for the launcher and
 * for ldrt-keyring's stdin handling.  libc only.
 */
#ifndef LDRT_ARGSCAN_H
#define LDRT_ARGSCAN_H

/*
 * Index of the first operand in argv[from..argc-1]: global options are
 * skipped, with the value of those that take one (-p NAME, --profile
 * NAME, --config FILE, ...; "--opt=value" and "-pNAME" carry their own).
 * "--" ends the options.  Returns argc when there is no operand.
 */
int	argscan_operand(int argc, char **argv, int from);

#endif
