/*
 * api.h: typed LaunchDarkly REST calls for relay auto configs
 * (../shared/api/relay-auto-configs.md) and their JSON mapping.
 *
 * Every call sends "Authorization: <token>" raw, "LD-API-Version: 20240415"
 * and "User-Agent: ld-relay-token/VERSION".  Errors map to exit classes:
 * 401/403 EX_NOPERM, 404 EX_NOUSER, 400/422 EX_DATAERR, 409 EX_TEMPFAIL,
 * 429 EX_TEMPFAIL (after waiting and retrying), 5xx EX_UNAVAILABLE,
 * network/timeouts EX_TEMPFAIL, malformed responses EX_PROTOCOL, TLS
 * verification failure EX_UNAVAILABLE.
 *
 * The JSON mapping functions are pure (buffers in, structs out) so unit
 * tests and fuzzers drive them without I/O.
 */
#ifndef LDRT_API_H
#define LDRT_API_H

#include <stdint.h>
#include <stddef.h>
#include "ldrt.h"

#define API_VERSION_HEADER "20240415"

struct relay_config {
	char	*id;		/* _id */
	char	*name;
	char	*policy_json;	/* compact JSON array of statements */
	char	*display_key;
	int64_t	 creation_ms;
	int64_t	 modified_ms;
	char	*full_key;	/* secret; NULL unless create/reset; secret_free */
};
#define RELAY_CONFIG_INIT { NULL, NULL, NULL, NULL, 0, 0, NULL }
void	relay_config_release(struct relay_config *c);	/* wipes full_key */

struct relay_config_list {
	struct relay_config	*items;
	size_t			 n;
};
#define RELAY_CONFIG_LIST_INIT { NULL, 0 }
void	relay_config_list_release(struct relay_config_list *l);

struct caller_identity {
	char	*account_id;
	char	*member_id;
	char	*token_name;
	char	*token_kind;
	char	*auth_kind;
	int	 service_token;	/* -1 unknown */
};
void	caller_identity_release(struct caller_identity *c);

/* Pure JSON mapping.  Required fields: _id, name, policy (array),
 * displayKey, creationDate, lastModified (integers; numeric strings are
 * tolerated).  Wrong types or missing required fields: EX_PROTOCOL. */
int	api_parse_config(const char *json, size_t len, struct relay_config *out,
	    struct ldrt_err *e);
int	api_parse_list(const char *json, size_t len,
	    struct relay_config_list *out, struct ldrt_err *e);
int	api_parse_identity(const char *json, size_t len,
	    struct caller_identity *out, struct ldrt_err *e);
/* Extracts "message" (and "code") from an error body into buf; 0 if found,
 * -1 if the body is not a JSON error object.  Control characters are
 * replaced so the result fits on one line. */
int	api_parse_error(const char *json, size_t len, char *buf, size_t buflen);
/* Validates that a policy document is a JSON array of objects each with
 * "effect" allow|deny; returns a compact copy in *out. EX_DATAERR. */
int	api_policy_normalize(const char *json, size_t len, char **out,
	    struct ldrt_err *e);

struct api;

struct api_opts {
	const char	*base_url;	/* https://app.launchdarkly.com */
	const char	*token;		/* borrowed; copied into a secret buffer */
	const char	*ca_bundle;	/* NULL: system default */
	const char	*proxy;		/* NULL: from the environment */
	long		 timeout;	/* whole-request seconds */
};

/* Checks the URL (https, or http to a loopback host: else EX_CONFIG). */
int	api_new(const struct api_opts *o, struct api **out, struct ldrt_err *e);
void	api_free(struct api *a);
/* Host part of the base URL, for store attributes: "host[:port]", the
 * host in lower case, the port only when not the scheme's default. */
const char *api_host(const struct api *a);
/* TCP connections opened so far (keep-alive check in tests, -v). */
long	api_connections(const struct api *a);

int	api_list(struct api *a, struct relay_config_list *out, struct ldrt_err *e);
int	api_get(struct api *a, const char *id, struct relay_config *out,
	    struct ldrt_err *e);
/* POST create: never retried once sent.  *out has full_key set.  Returns
 * 0, -1, or API_OUTCOME_UNKNOWN when a config may have been created but
 * its response was lost or unusable.  A 2xx without fullKey is -1,
 * EX_PROTOCOL, naming the id created.  policy_json is validated as by
 * api_policy_normalize() before anything is sent. */
int	api_create(struct api *a, const char *name, const char *policy_json,
	    struct relay_config *out, struct ldrt_err *e);
/* new_name/policy_json/comment may be NULL (not changed / none); both
 * NULL is EX_USAGE.  Sends only the "replace" ops asked for; a 409 is
 * retried 3 times with backoff, then EX_TEMPFAIL.  api_delete() treats a
 * 404 after a retried try as success (the lost first try was applied).
 * IDs must match [A-Za-z0-9_-]{1,128}, else EX_DATAERR before any
 * request. */
int	api_update(struct api *a, const char *id, const char *new_name,
	    const char *policy_json, const char *comment,
	    struct relay_config *out, struct ldrt_err *e);
int	api_delete(struct api *a, const char *id, struct ldrt_err *e);
/*
 * POST .../reset?expiry=<ms> (expiry_ms < 0: no expiry parameter, the old
 * key dies at once).  Never retried once the request may have reached the
 * server.  Returns 0, -1 (failed, key unchanged), or API_OUTCOME_UNKNOWN
 * (-2: the request may have been applied and its key is lost): e->ex is
 * EX_TEMPFAIL when no response came (connection dropped, timeout, or a
 * gateway's 502/504) and EX_PROTOCOL when a 2xx came whose body was
 * unusable (truncated, malformed, too large, or without fullKey).
 */
#define API_OUTCOME_UNKNOWN (-2)
int	api_reset(struct api *a, const char *id, int64_t expiry_ms,
	    struct relay_config *out, struct ldrt_err *e);
int	api_caller_identity(struct api *a, struct caller_identity *out,
	    struct ldrt_err *e);
/* GET the list endpoint to check a token: 401 -> EX_NOPERM with the
 * server's message; 403 -> EX_NOPERM saying the token lacks relay-proxy
 * permissions. */
int	api_check_token(struct api *a, struct ldrt_err *e);

/* True if url's host is a loopback address or "localhost". */
int	api_url_is_loopback(const char *url);
/* Validates an API base URL: https://HOST[:PORT] or http:// to loopback. */
int	api_check_url(const char *url, struct ldrt_err *e);

#endif
