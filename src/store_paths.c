/*
 * store_paths.c: where the encrypted file store and its passphrase live,
 * for the backend selection (store.c) and the file backend itself.  libc
 * only, so the keyring-only binary makes the same "auto" decision as the
 * full one.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include "store.h"

char *
store_file_default_path(void)
{
	const char *x = getenv("XDG_DATA_HOME"), *home;
	struct passwd *pw;

	if (x != NULL && x[0] == '/')
		return xasprintf("%s/ld-relay-token/store", x);
	home = getenv("HOME");
	if (home == NULL || home[0] != '/') {
		pw = getpwuid(getuid());
		home = pw != NULL && pw->pw_dir != NULL ? pw->pw_dir : "/";
	}
	return xasprintf("%s/.local/share/ld-relay-token/store", home);
}

int
store_file_exists(const struct store_opts *o)
{
	struct stat st;
	char *p;
	int r;

	p = o != NULL && o->file_path != NULL ? xstrdup(o->file_path) :
	    store_file_default_path();
	r = lstat(p, &st) == 0;
	free(p);
	return r;
}

char *
store_file_credential_path(void)
{
	const char *d = getenv("CREDENTIALS_DIRECTORY");

	if (d == NULL || d[0] == '\0')
		return NULL;
	return xasprintf("%s/%s", d, STORE_FILE_PASS_CRED);
}

int
store_file_passphrase_configured(const struct store_opts *o)
{
	const char *pf = getenv("LDRT_PASSPHRASE_FILE");
	struct stat st;
	char *c;
	int r;

	if (o != NULL && o->passphrase_file != NULL)
		return 1;
	if (pf != NULL && pf[0] != '\0')
		return 1;
	if ((c = store_file_credential_path()) == NULL)
		return 0;
	r = stat(c, &st) == 0;
	free(c);
	return r;
}
