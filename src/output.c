/*
 * output.c: OUTPUT OPTS parsing and delivery of one key to stdout, -o FILE,
 * env files and the after-change command.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envfile.h"
#include "ldrt_config.h"
#include "log.h"
#include "output.h"
#include "runexec.h"
#include "secret.h"
#include "timeutil.h"

#define DEFAULT_EXEC_TIMEOUT 60

enum {
	OPT_FORMAT = 400,
	OPT_VAR,
	OPT_ENV_FILE,
	OPT_K8S_NAME,
	OPT_K8S_NAMESPACE,
	OPT_FOLLOW_SYMLINKS,
	OPT_EXEC,
	OPT_EXEC_TIMEOUT
};

const struct option output_longopts[] = {
	{ "format",		required_argument, NULL, OPT_FORMAT },
	{ "var",		required_argument, NULL, OPT_VAR },
	{ "env-file",		required_argument, NULL, OPT_ENV_FILE },
	{ "output",		required_argument, NULL, 'o' },
	{ "k8s-name",		required_argument, NULL, OPT_K8S_NAME },
	{ "k8s-namespace",	required_argument, NULL, OPT_K8S_NAMESPACE },
	{ "follow-symlinks",	no_argument,	   NULL, OPT_FOLLOW_SYMLINKS },
	{ "exec",		required_argument, NULL, OPT_EXEC },
	{ "exec-timeout",	required_argument, NULL, OPT_EXEC_TIMEOUT },
	{ NULL, 0, NULL, 0 }
};

void
output_init(struct output_opts *o, int allowed)
{
	memset(o, 0, sizeof(*o));
	o->format = EMIT_RAW;
	o->exec_timeout = -1;
	o->allowed = allowed;
}

static int
output_check_format(const struct output_opts *o, struct ldrt_err *e)
{
	if ((o->allowed & OUTPUT_ALLOW_KEY) == 0 &&
	    o->format != EMIT_RAW && o->format != EMIT_JSON &&
	    o->format != EMIT_CURL_CONFIG)
		return err_set(e, EX_USAGE, "format '%s' is not available "
		    "here (raw, json or curl-config)",
		    emit_format_name(o->format));
	if ((o->allowed & OUTPUT_ALLOW_TOKEN) == 0 &&
	    o->format == EMIT_CURL_CONFIG)
		return err_set(e, EX_USAGE, "format 'curl-config' is for the "
		    "API token ('ld-relay-token token')");
	return 0;
}

int
output_option(struct output_opts *o, int opt, const char *arg,
    struct ldrt_err *e)
{
	int key = (o->allowed & OUTPUT_ALLOW_KEY) != 0;

	switch (opt) {
	case OPT_FORMAT:
		if (emit_format_parse(arg, &o->format, e) != 0)
			return -1;
		o->format_set = 1;
		return output_check_format(o, e) != 0 ? -1 : 1;
	case OPT_VAR:
		if (emit_check_var(arg, e) != 0) {
			e->ex = EX_USAGE;
			return -1;
		}
		o->var = arg;
		return 1;
	case 'o':
		o->out_file = arg;
		return 1;
	case OPT_K8S_NAME:
		o->k8s_name = arg;
		return 1;
	case OPT_K8S_NAMESPACE:
		o->k8s_namespace = arg;
		return 1;
	case OPT_FOLLOW_SYMLINKS:
		o->follow_symlinks = 1;
		return 1;
	}
	if (!key)
		return 0;
	switch (opt) {
	case OPT_ENV_FILE:
		if (o->n_env_files >= OUTPUT_MAX_ENV_FILES)
			return err_set(e, EX_USAGE, "at most %d --env-file "
			    "options", OUTPUT_MAX_ENV_FILES);
		o->env_files[o->n_env_files++] = arg;
		return 1;
	case OPT_EXEC:
		o->exec = arg;
		return 1;
	case OPT_EXEC_TIMEOUT:
		if (time_parse_duration(arg, &o->exec_timeout, e) != 0) {
			e->ex = EX_USAGE;
			return -1;
		}
		return 1;
	}
	return 0;
}

int
output_requested(const struct output_opts *o)
{
	return o->format_set || o->out_file != NULL || o->n_env_files > 0 ||
	    o->exec != NULL;
}

/* Renders the chosen format and prints it or writes -o FILE. */
static int
output_render(const struct output_opts *o, const struct emit_input *in,
    int print_default, struct output_result *res, struct ldrt_err *e)
{
	enum atomic_result ar;
	char *buf = NULL;
	size_t len;
	int r = -1;

	/* stdout gets the key when asked (--format), or by default when no
	 * other destination was given */
	if (!o->format_set && o->out_file == NULL &&
	    !(print_default && o->n_env_files == 0))
		return 0;
	if (emit_render(o->format, in, &buf, e) != 0)
		return -1;
	len = strlen(buf);
	if (o->out_file != NULL) {
		/* the whole output holds the key: always 0600, even when
		 * the file existed with a wider mode */
		if (atomic_write(o->out_file, buf, len, 0600,
		    ATOMIC_FORCE_MODE | (o->follow_symlinks ?
		    ATOMIC_FOLLOW_SYMLINKS : 0), &ar, e) != 0)
			goto out;
		if (ar == ATOMIC_WRITTEN) {
			res->written++;
			log_info("wrote '%s'", o->out_file);
		} else {
			res->unchanged++;
			log_info("'%s' unchanged", o->out_file);
		}
	} else if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
		err_set(e, EX_IOERR, "writing to standard output failed");
		goto out;
	}
	r = 0;
out:
	secret_free(buf);
	return r;
}

static int
output_env_file(const char *path, enum emit_format f, const char *var,
    const char *key, int flags, struct output_result *res,
    struct ldrt_err *e)
{
	enum atomic_result ar;
	char *line = NULL;
	int r;

	if (emit_env_line(f, var, key, &line, e) != 0)
		return err_prefix(e, "env file '%s'", path);
	r = envfile_update(path, var, line, flags, &ar, e);
	secret_free(line);
	if (r != 0)
		return -1;
	if (ar == ATOMIC_WRITTEN) {
		res->written++;
		log_info("updated %s in '%s'", var, path);
	} else {
		res->unchanged++;
		log_info("'%s' unchanged", path);
	}
	return 0;
}

static int
output_exec(const char *cmd, int64_t timeout, struct output_result *res,
    struct ldrt_err *e)
{
	struct runexec_result rr;

	log_info("running '%s'", cmd);
	res->exec_ran = 1;
	if (runexec(cmd, (int)timeout, &rr, e) == 0)
		return 0;
	res->exec_failed = 1;
	/* the tail is printable ASCII, lines joined by '\n' */
	for (char *line = strtok(rr.stderr_tail, "\n"); line != NULL;
	    line = strtok(NULL, "\n"))
		log_warn("'%s' said: %s", cmd, line);
	/* the same code as a rotation whose restart failed: EX_SOFTWARE */
	e->ex = EX_SOFTWARE;
	return err_prefix(e, "command '%s'", cmd);
}

int
output_deliver(const struct output_opts *o, const struct config_relay *sec,
    const struct emit_input *in0, int print_default,
    struct output_result *res, struct ldrt_err *e)
{
	struct emit_input in = *in0;
	enum emit_format envfmt = EMIT_DOTENV;
	const char *cmd;
	int64_t timeout;
	int flags;
	size_t i;

	memset(res, 0, sizeof(*res));
	if (in.var == NULL)
		in.var = o->var;
	if (in.var == NULL && sec != NULL && sec->var != NULL)
		in.var = sec->var;
	if (in.var == NULL)
		in.var = EMIT_DEFAULT_VAR;
	if (in.k8s_name == NULL)
		in.k8s_name = o->k8s_name;
	if (in.k8s_namespace == NULL)
		in.k8s_namespace = o->k8s_namespace;
	if (output_render(o, &in, print_default, res, e) != 0)
		return -1;

	flags = o->follow_symlinks ? ATOMIC_FOLLOW_SYMLINKS : 0;
	flags |= ATOMIC_ALLOW_INPLACE;
	if (sec != NULL && sec->format != NULL &&
	    emit_format_parse(sec->format, &envfmt, e) != 0)
		return err_prefix(e, "relay '%s' format", sec->name);
	for (i = 0; i < o->n_env_files; i++)
		if (output_env_file(o->env_files[i], envfmt, in.var, in.key,
		    flags, res, e) != 0)
			return -1;
	for (i = 0; sec != NULL && sec->env_files[i] != NULL; i++)
		if (output_env_file(sec->env_files[i], envfmt, in.var, in.key,
		    flags, res, e) != 0)
			return -1;

	cmd = o->exec != NULL ? o->exec : sec != NULL ? sec->exec : NULL;
	if (cmd == NULL)
		return 0;
	if (res->written == 0) {
		log_info("nothing changed; not running '%s'", cmd);
		return 0;
	}
	timeout = o->exec_timeout >= 0 ? o->exec_timeout :
	    (sec != NULL && sec->exec_timeout >= 0) ? sec->exec_timeout :
	    DEFAULT_EXEC_TIMEOUT;
	return output_exec(cmd, timeout, res, e);
}
