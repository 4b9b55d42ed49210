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
 * libcurl was about to send them; they share the kept-alive connection,
 * and libcurl's silent resend of a request whose reused connection died
 * is refused (a pre-request callback, libcurl >= 7.80; older: a fresh
 * connection each time), so such a request goes out at most once and ends
 * in HTTP_OUTCOME_UNKNOWN.
 * Headers with secret set are built in memory wiped after use; every
 * header line libcurl holds is wiped before it is freed.
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
	int		 tries;		/* attempts made (1 = no retry) */
};
#define HTTP_RESPONSE_INIT { 0, NULL, NULL, NULL, 0 }
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
 * body too large or cut short), or HTTP_OUTCOME_UNKNOWN (-2) when a non-idempotent
 * request may have reached the server and no response was read.
 */
#define HTTP_OUTCOME_UNKNOWN (-2)
int	http_request(struct http *h, const char *method, const char *url,
	    const struct http_header *headers, size_t nheaders,
	    const char *body, size_t body_len, enum http_idempotency idem,
	    struct http_response *resp, struct ldrt_err *e);
/* Sleeps the exponential backoff with jitter that precedes try attempt+1
 * (attempt >= 1), for callers retrying at their own level (409). */
void	http_backoff(struct http *h, int attempt);
/* Number of TCP connections opened so far (for tests and -v). */
long	http_connections(const struct http *h);

/*
 * Pure helpers, exposed for the unit tests.
 *
 * http_retry_wait_ms(): milliseconds to wait before try attempt+1.  For
 * status 429 with a usable Retry-After (seconds or HTTP-date) or
 * X-Ratelimit-Reset (epoch ms; a value below 1e11 is taken as epoch
 * seconds; the past counts as now): max of the two, clamped to [200,
 * 60000].  Otherwise (other statuses, network errors, 429 without either
 * header): 500 ms << (attempt - 1), at most 60000.  Then jitter of
 * jitter_seed % (wait / 4 + 1) is added (seed 0: none).
 *
 * http_error_not_sent(): 1 if a libcurl error code (CURLcode) proves the
 * request never left this host (resolve, connect, TLS handshake failures;
 * otherwise CURLINFO_REQUEST_SIZE == 0, except for a send error).
 *
 * http_location_host(): the host[:port] of an absolute URL (user info
 * dropped, non-printable bytes replaced) into buf; -1 if there is none.
 */
int64_t	http_retry_wait_ms(long status, const char *retry_after,
	    const char *ratelimit_reset, int64_t now_ms, int attempt,
	    uint32_t jitter_seed);
int	http_error_not_sent(int curl_code, long request_size);
int	http_location_host(const char *url, char *buf, size_t len);

#endif
