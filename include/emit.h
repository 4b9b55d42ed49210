/*
 * emit.h: output formats for handing a key to other programs (pure).
 *
 * emit_render() turns (variable, key, metadata) into the bytes a format's
 * reader expects, and refuses (EX_DATAERR) a value or name the format
 * cannot carry rather than produce something another parser reads
 * differently.  The quoting table of each format is at the top of emit.c
 * and in the man page.
 */
#ifndef LDRT_EMIT_H
#define LDRT_EMIT_H

#include <stddef.h>
#include <stdint.h>
#include "ldrt.h"

enum emit_format {
	EMIT_RAW,
	EMIT_SHELL,
	EMIT_DOTENV,
	EMIT_SYSTEMD,
	EMIT_DOCKER,
	EMIT_JSON,
	EMIT_K8S_SECRET,
	EMIT_CURL_CONFIG
};

#define EMIT_DEFAULT_VAR "AUTO_CONFIG_KEY"

struct emit_input {
	const char	*var;		/* NULL: AUTO_CONFIG_KEY */
	const char	*key;		/* the secret */
	const char	*name;		/* relay name (json, k8s) */
	const char	*id;		/* relay id (json) */
	const char	*display_key;	/* (json) */
	int64_t		 old_key_expires_ms; /* (json) -1: none */
	const char	*k8s_name;	/* NULL: ld-relay-<name> */
	const char	*k8s_namespace;	/* NULL: none */
};

int	emit_format_parse(const char *s, enum emit_format *f, struct ldrt_err *e);
const char *emit_format_name(enum emit_format f);
/* *out: heap string holding the secret; release with secret_free(). */
int	emit_render(enum emit_format f, const struct emit_input *in,
	    char **out, struct ldrt_err *e);
/* Checks a variable name: [A-Za-z_][A-Za-z0-9_]*. */
int	emit_check_var(const char *var, struct ldrt_err *e);
/* One "VAR=value" line (with newline) for an env file of format f
 * (dotenv, systemd, docker or shell). */
int	emit_env_line(enum emit_format f, const char *var, const char *value,
	    char **out, struct ldrt_err *e);

#endif
