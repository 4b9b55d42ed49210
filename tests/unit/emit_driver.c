/*
 * emit_driver.c: a small program for tests/integration/t50-readers.sh,
 * which hands what we write to the real readers.
 *
 *   emit_driver FORMAT VAR [NAME]      key on stdin (all of it, bytes as
 *                                      they are); emit_render() on stdout
 *   emit_driver --merge FILE FORMAT VAR
 *                                      value on stdin; envfile_update() with
 *                                      an emit_env_line(); prints "written"
 *                                      or "unchanged"
 *   emit_driver --read-systemd FILE VAR
 *                                      reads FILE with systemd's own
 *                                      EnvironmentFile= parser
 *                                      (load_env_file() from
 *                                      libsystemd-shared) and prints VAR's
 *                                      value; exit 2 if unset, 77 if the
 *                                      library is not there
 *
 * Errors: the message on stderr, the EX_* class as exit status.
 */
#include "config.h"

#include <dlfcn.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emit.h"
#include "envfile.h"
#include "secret.h"

static char	*read_stdin(void);
static int	 do_render(int, char **);
static int	 do_merge(int, char **);
static int	 do_read_systemd(int, char **);

static char *
read_stdin(void)
{
	size_t len = 0, cap = 1024;
	char *p = xmalloc(cap);
	size_t n;

	while ((n = fread(p + len, 1, cap - len - 1, stdin)) > 0) {
		len += n;
		if (cap - len - 1 == 0)
			p = xrealloc(p, cap *= 2);
	}
	p[len] = '\0';
	if (strlen(p) != len) {
		fprintf(stderr, "emit_driver: NUL on stdin\n");
		exit(EX_DATAERR);
	}
	return p;
}

static int
do_render(int argc, char **argv)
{
	struct emit_input in = { .old_key_expires_ms = -1 };
	struct ldrt_err e = LDRT_ERR_INIT;
	enum emit_format f;
	char *out, *key = NULL;

	if (argc < 3)
		return EX_USAGE;
	if (emit_format_parse(argv[1], &f, &e) != 0)
		goto fail;
	in.var = argv[2];
	in.name = argc > 3 ? argv[3] : "prod";
	in.id = "5f0c0ffee";
	in.display_key = "****6666";
	in.old_key_expires_ms = 1764842400000LL;
	key = read_stdin();
	in.key = key;
	if (emit_render(f, &in, &out, &e) != 0)
		goto fail;
	fputs(out, stdout);
	secret_free(out);
	secret_free(key);
	return 0;
fail:
	secret_free(key);
	fprintf(stderr, "emit_driver: %s\n", e.msg);
	return e.ex;
}

static int
do_merge(int argc, char **argv)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	enum atomic_result res;
	enum emit_format f;
	char *line = NULL, *value;
	int ex = 0;

	if (argc < 4)
		return EX_USAGE;
	value = read_stdin();
	if (emit_format_parse(argv[2], &f, &e) != 0 ||
	    emit_env_line(f, argv[3], value, &line, &e) != 0 ||
	    envfile_update(argv[1], argv[3], line, 0, &res, &e) != 0) {
		fprintf(stderr, "emit_driver: %s\n", e.msg);
		ex = e.ex;
	} else
		puts(res == ATOMIC_WRITTEN ? "written" : "unchanged");
	secret_free(line);
	secret_free(value);
	return ex;
}

static int
do_read_systemd(int argc, char **argv)
{
	int (*load)(FILE *, const char *, char ***);
	size_t vl;
	char **env = NULL, **p;
	glob_t g;
	void *h = NULL;
	size_t i;
	int r;

	if (argc < 3)
		return EX_USAGE;
	if (glob("/usr/lib/*/systemd/libsystemd-shared-*.so", 0, NULL,
	    &g) == 0) {
		for (i = 0; i < g.gl_pathc && h == NULL; i++)
			h = dlopen(g.gl_pathv[i], RTLD_NOW);
		globfree(&g);
	}
	if (h == NULL ||
	    (load = (int (*)(FILE *, const char *, char ***))dlsym(h,
	    "load_env_file")) == NULL) {
		fprintf(stderr, "emit_driver: no libsystemd-shared\n");
		return 77;
	}
	if ((r = load(NULL, argv[1], &env)) < 0) {
		fprintf(stderr, "emit_driver: load_env_file: %s\n",
		    strerror(-r));
		return EX_DATAERR;
	}
	vl = strlen(argv[2]);
	for (p = env; p != NULL && *p != NULL; p++) {
		if (strncmp(*p, argv[2], vl) == 0 && (*p)[vl] == '=') {
			fputs(*p + vl + 1, stdout);
			return 0;
		}
	}
	return 2;
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--merge") == 0)
		return do_merge(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "--read-systemd") == 0)
		return do_read_systemd(argc - 1, argv + 1);
	return do_render(argc, argv);
}
