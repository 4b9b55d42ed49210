/*
 * log.h: diagnostics on stderr.  stdout carries data only.
 *
 * log_verbose() prints only with -v, log_info() is silenced by -q,
 * log_warn() always prints.  Every line is prefixed "ld-relay-token: ".
 * Never pass a secret to any of these.
 */
#ifndef LDRT_LOG_H
#define LDRT_LOG_H

void	log_set_level(int quiet, int verbose);
int	log_is_verbose(void);
int	log_is_quiet(void);
void	log_set_prog(const char *name);
const char *log_prog(void);
void	log_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
