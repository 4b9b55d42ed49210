/*
 * http.h: the libcurl wrapper.  Only http.c includes <curl/curl.h>.
 *
 * One easy handle per struct http, reused for keep-alive.  TLS peer and
 * host verification always on; no redirects (a 3xx is an error naming the
 * Location host, and no credentials go there); response bodies capped;
 * proxies from the environment (https_proxy, no_proxy) or opts->proxy.
 *
 * Retry policy (in http_request): 429 waits max(Retry-After,
 * X-Ratelimit-Reset - now) clamped to [0.2 s, 60 s] plus jitter, at most 5
 * tries; 5xx and connection errors are retried with exponential backoff
 * and jitter (3 tries) only for idempotent requests.  Non-idempotent
 * requests are retried only after a 429 or a failure that happened before
 * any byte was sent.
 */
#ifndef LDRT_HTTP_H
#define LDRT_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include "ldrt.h"

#define HTTP_BODY_MAX (8u * 1024 * 1024)

struct secbuf;
struct http;

struct http_opts {
	const char	*ca_bundle;	/* NULL: system default */
	const char	*proxy;		/* NULL: environment */
	long		 timeout;	/* whole request, seconds (default 30) */
	long		 connect_timeout; /* seconds (default 10) */
	const char	*user_agent;
};

struct http_header {
	const char	*name;
	const char	*value;
	int		 secret;	/* wipe the built line after use */
};

struct http_response {
	long		 status;
	struct secbuf	*body;		/* may hold a key: a secret buffer */
	char		*content_type;
	char		*location;	/* for 3xx */
};
#define HTTP_RESPONSE_INIT { 0, NULL, NULL, NULL }
void	http_response_release(struct http_response *r);

enum http_idempotency {
	HTTP_IDEMPOTENT,	/* GET, DELETE: retry 5xx and network errors */
	HTTP_NOT_IDEMPOTENT	/* POST, PATCH: never retried once sent */
};

int	http_new(const struct http_opts *o, struct http **out, struct ldrt_err *e);
void	http_free(struct http *h);
/*
 * Performs one request with the retry policy above.  Returns 0 with *resp
 * filled for any HTTP status that is final (2xx, 4xx other than 429, 5xx
 * after retries; the caller maps the status), or -1 on a transport error
 * (EX_TEMPFAIL network/timeout, EX_UNAVAILABLE TLS verification, EX_PROTOCOL
 * body too large), or HTTP_OUTCOME_UNKNOWN (-2) when a non-idempotent
 * request may have reached the server and no response was read.
 */
#define HTTP_OUTCOME_UNKNOWN (-2)
int	http_request(struct http *h, const char *method, const char *url,
	    const struct http_header *headers, size_t nheaders,
	    const char *body, size_t body_len, enum http_idempotency idem,
	    struct http_response *resp, struct ldrt_err *e);
/* Number of TCP connections opened so far (for tests and -v). */
long	http_connections(const struct http *h);

#endif
