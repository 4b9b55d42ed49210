/*
 * main.c: argv[0], global options, the command table, dispatch, and the
 * one place that prints an error and turns it into the exit code.
 *
 * Built twice.  ldrt-full has every command.  ldrt-keyring (LDRT_CORE) has
 * only get and credential and links neither libcurl, json-c nor OpenSSL,
 * because those paths run on other programs' hot paths; whatever it cannot
 * do itself (an API request, the file store, JSON state) it hands to
 * ldrt-full by exec with the same arguments and the same standard input.
 * The ld-relay-token command itself is src/launcher.c.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "help.h"
#include "log.h"
#include "secret.h"
#include "sibling.h"
#ifdef LDRT_CORE
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>
#include "argscan.h"
#include "credential.h"
#endif

#ifdef LDRT_CORE
static const struct cmd_entry *const commands[] = {
	&cmd_get_entry,
	&cmd_credential_entry,
};
#else
static const struct cmd_entry *const commands[] = {
	&cmd_login_entry,
	&cmd_logout_entry,
	&cmd_status_entry,
	&cmd_create_entry,
	&cmd_list_entry,
	&cmd_show_entry,
	&cmd_update_entry,
	&cmd_delete_entry,
	&cmd_import_entry,
	&cmd_get_entry,
	&cmd_rotate_entry,
	&cmd_token_entry,
	&cmd_store_entry,
	&cmd_credential_entry,
};
#endif

#ifdef LDRT_CORE
static char **core_argv;

/* Hands the whole run to ldrt-full (same argv, same stdin); never
 * returns. */
static void
core_exec_full(void)
{
	/* a replayed request is read again from its start */
	(void)lseek(STDIN_FILENO, 0, SEEK_SET);
	sibling_exec("ldrt-full", core_argv);
}

/* Will "credential ... OP" read a request (get, store, erase)? */
static int
core_credential_reads(int argc, char **argv)
{
	int i = argscan_operand(argc, argv, 1);

	return i < argc && (strcmp(argv[i], "get") == 0 ||
	    strcmp(argv[i], "store") == 0 || strcmp(argv[i], "erase") == 0);
}

/*
 * Makes fd 0 a memfd holding the credential request (up to the blank line
 * that ends it, or EOF), so that ldrt-full can read the same request if
 * the run is handed over after it was read.
 */
static int
core_replayable_stdin(struct ldrt_err *e)
{
	char buf[4096];
	size_t total = 0;
	ssize_t n;
	char last = '\n';
	int fd, ret = -1;

	fd = memfd_create("ldrt-credential", MFD_CLOEXEC);
	if (fd < 0)
		return err_set(e, EX_OSERR, "memfd_create: %s",
		    strerror(errno));
	for (;;) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(e, EX_IOERR, "reading the request: %s",
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (write(fd, buf, (size_t)n) != n) {
			err_set(e, EX_OSERR, "buffering the request: %s",
			    strerror(errno));
			goto out;
		}
		total += (size_t)n;
		/* a blank line ends the request; more input is not read */
		if (total > CREDENTIAL_INPUT_MAX ||
		    memmem(buf, (size_t)n, "\n\n", 2) != NULL ||
		    (last == '\n' && buf[0] == '\n'))
			break;
		last = buf[n - 1];
	}
	if (lseek(fd, 0, SEEK_SET) != 0 || dup2(fd, STDIN_FILENO) < 0) {
		err_set(e, EX_OSERR, "replaying the request: %s",
		    strerror(errno));
		goto out;
	}
	ret = 0;
out:
	secret_wipe(buf, sizeof(buf));
	close(fd);
	return ret;
}
#endif

static const struct cmd_entry *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < LDRT_ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

/* True if args (up to "--") ask for help. */
static int
wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

static int
run_command(struct ldrt_ctx *ctx, const struct cmd_entry *c, int argc,
    char **argv)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	int ex;

	if (wants_help(argc, argv)) {
		help_print_command(stdout, help_find(c->name));
		return 0;
	}
#ifdef LDRT_CORE
	if (c == &cmd_credential_entry && core_credential_reads(argc, argv) &&
	    core_replayable_stdin(&e) != 0) {
		log_error("%s", e.msg);
		return e.ex;
	}
#endif
	optind = 0;
	opterr = 0;
	ex = c->exec(ctx, argc, argv, &e);
#ifdef LDRT_CORE
	if (ex != 0 && e.ex == LDRT_EX_FULL)
		core_exec_full();
	ctx_config_warnings(ctx);
#endif
	if (ex != 0) {
		if (e.msg[0] != '\0')
			log_error("%s", e.msg);
		if (e.ex != 0)
			ex = e.ex;
	}
	return ex;
}

/*
 * Installed as git-credential-ld-relay: "git-credential-ld-relay [GLOBAL
 * OPTIONS] OPERATION" is "ld-relay-token credential [GLOBAL OPTIONS]
 * OPERATION" (an unknown operation exits 0 without reading stdin).
 */
static int
credential_mode(struct ldrt_ctx *ctx, int argc, char **argv)
{
	char **av;
	int i, ex;

	av = xcalloc((size_t)argc + 1, sizeof(*av));
	av[0] = (char *)"credential";
	for (i = 1; i < argc; i++)
		av[i] = argv[i];
	ex = run_command(ctx, &cmd_credential_entry, argc, av);
	free(av);
	ctx_release(ctx);
	return ex;
}

int
main(int argc, char **argv)
{
	static const struct option version_opts[] = {
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ldrt_err e = LDRT_ERR_INIT;
	struct ldrt_ctx ctx;
	const struct cmd_entry *c;
	struct option *lo;
	const char *base;
	int opt, r, ex;

	secret_harden_process();
	memset(&ctx, 0, sizeof(ctx));
#ifdef LDRT_CORE
	core_argv = argv;
#endif
	if (argc > 0 && argv[0] != NULL) {
		base = strrchr(argv[0], '/');
		base = base != NULL ? base + 1 : argv[0];
		if (strcmp(base, "git-credential-ld-relay") == 0)
			return credential_mode(&ctx, argc, argv);
	}

	lo = cli_longopts(version_opts, NULL);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+" CLI_GLOBAL_SHORTOPTS "h", lo,
	    NULL)) != -1) {
		if (opt == 'V') {
			printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			free(lo);
			return 0;
		}
		if (opt == 'h') {
			help_print(stdout);
			free(lo);
			return 0;
		}
		r = (opt == '?' || opt == ':') ? 0 :
		    cli_global_option(&ctx.g, opt, optarg, &e);
		if (r <= 0) {
			if (r == 0)
				err_set(&e, EX_USAGE, "%s option '%s' (see "
				    "'ld-relay-token --help')", opt == ':' ?
				    "missing value for" : "unknown",
				    argv[optind - 1]);
			log_error("%s", e.msg);
			free(lo);
			return EX_USAGE;
		}
	}
	free(lo);
	log_set_level(ctx.g.quiet, ctx.g.verbose);
	if (optind >= argc) {
		help_print(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[optind], "help") == 0) {
		c = optind + 1 < argc ? cmd_find(argv[optind + 1]) : NULL;
		if (c == NULL) {
			help_print(stdout);
			return 0;
		}
		help_print_command(stdout, help_find(c->name));
		return 0;
	}
	c = cmd_find(argv[optind]);
#ifdef LDRT_CORE
	if (c == NULL)
		core_exec_full();
#endif
	if (c == NULL) {
		log_error("unknown command '%s' (see 'ld-relay-token --help')",
		    argv[optind]);
		return EX_USAGE;
	}
	ex = run_command(&ctx, c, argc - optind, argv + optind);
	ctx_release(&ctx);
	return ex;
}
