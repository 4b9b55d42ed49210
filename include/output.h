/*
 * output.h: the OUTPUT OPTS shared by get, create, rotate and token
 * (--format, --var, --env-file, -o, --k8s-name, --k8s-namespace,
 * --follow-symlinks, --exec, --exec-timeout), and delivering one key to
 * all of them: stdout, -o FILE, env files merged atomically, and the
 * command run after a change.
 */
#ifndef LDRT_OUTPUT_H
#define LDRT_OUTPUT_H

#include <getopt.h>
#include <stddef.h>
#include "emit.h"
#include "ldrt.h"

struct config_relay;

#define OUTPUT_MAX_ENV_FILES 16

struct output_opts {
	int		 format_set;	/* --format given */
	enum emit_format format;
	const char	*var;		/* --var; NULL: section or default */
	const char	*env_files[OUTPUT_MAX_ENV_FILES];
	size_t		 n_env_files;
	const char	*out_file;	/* -o */
	const char	*k8s_name;
	const char	*k8s_namespace;
	int		 follow_symlinks;
	const char	*exec;		/* --exec; NULL: section's */
	int64_t		 exec_timeout;	/* seconds; -1 unset */
	int		 allowed;	/* OUTPUT_* bits the command accepts */
};

#define OUTPUT_ALLOW_KEY	0x1	/* relay-key formats, env files, exec */
#define OUTPUT_ALLOW_TOKEN	0x2	/* raw, json, curl-config only */

/* getopt_long rows (terminated) and the short option letter(s). */
extern const struct option output_longopts[];
#define OUTPUT_SHORTOPTS "o:"

void	output_init(struct output_opts *o, int allowed);
/* 1 consumed, 0 not an output option, -1 bad value (EX_USAGE). */
int	output_option(struct output_opts *o, int opt, const char *arg,
	    struct ldrt_err *e);
/* Anything beyond the default stdout printing requested? */
int	output_requested(const struct output_opts *o);

struct output_result {
	size_t	written;	/* files changed */
	size_t	unchanged;	/* files already up to date */
	int	exec_ran;
	int	exec_failed;
};

/*
 * Delivers in->key: formatted on stdout when --format was given without
 * -o (or when print_default is set: raw), to -o FILE, merged into every env
 * file (options, then sec's env-file list when sec is not NULL), then runs
 * the exec command (option, else sec's) once if any file changed.  Stops
 * at the first failure; what was written stays written.
 */
int	output_deliver(const struct output_opts *o,
	    const struct config_relay *sec, const struct emit_input *in,
	    int print_default, struct output_result *res, struct ldrt_err *e);

#endif
