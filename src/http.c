/*
 * http.c: the libcurl wrapper, and the only file that includes
 * <curl/curl.h>.
 *
 * One easy handle per struct http, reused so that consecutive requests share
 * a kept-alive connection.  TLS verification is always on, redirects are
 * never followed, response bodies go into a capped secret buffer, and the
 * retry policy of http.h lives in http_request().  The wait computation and
 * the "was the request sent?" classification are pure functions so the unit
 * tests can drive them with tables.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ldrt.h"
#include "http.h"
#include "log.h"
#include "secret.h"

#define HTTP_TRIES_429		5	/* tries in all when rate limited */
#define HTTP_TRIES_ERR		3	/* tries in all for 5xx and network */
#define HTTP_WAIT_MIN_MS	200
#define HTTP_WAIT_MAX_MS	60000
#define HTTP_BACKOFF_BASE_MS	500
#define HTTP_HDR_SMALL		128
#define HTTP_HDR_LOCATION	2048

/*
 * CURLOPT_PREREQFUNCTION (libcurl 7.80) makes one connection for a whole
 * run safe; without it every non-idempotent request takes a fresh one.
 */
#if LIBCURL_VERSION_NUM >= 0x075000
#define HTTP_HAVE_PREREQ	1
#else
#define HTTP_HAVE_PREREQ	0
#endif

#define HTTP_TLS_HINT "(use --ca-bundle or LDRT_CA_BUNDLE for a private CA)"

struct http {
	CURL		*curl;
	char		 errbuf[CURL_ERROR_SIZE];
	long		 connects;
	uint32_t	 rng;
	/* the once-only guard of a non-idempotent request (http_prereq_cb) */
	int		 once;		/* the request in flight is guarded */
	int		 prereqs;	/* times libcurl was about to send it */
	int		 resend_blocked; /* a second send was refused */
	/* capture of the response being received */
	struct secbuf	*body;
	int		 too_large;
	char		 content_type[HTTP_HDR_SMALL];
	char		 location[HTTP_HDR_LOCATION];
	char		 retry_after[HTTP_HDR_SMALL];
	char		 rl_reset[HTTP_HDR_SMALL];
};

static size_t	http_write_cb(char *, size_t, size_t, void *);
static size_t	http_header_cb(char *, size_t, size_t, void *);
#if HTTP_HAVE_PREREQ
static int	http_prereq_cb(void *, char *, char *, int, int);
#endif
static int	http_setup(struct http *, const struct http_opts *,
		    struct ldrt_err *);
static int	http_build_headers(const struct http_header *, size_t, int,
		    struct curl_slist **, struct ldrt_err *);
static void	http_free_headers(struct curl_slist *);
static int	http_set_method(struct http *, const char *, const char *,
		    size_t, enum http_idempotency, struct ldrt_err *);
static void	http_capture_reset(struct http *);
static void	http_sleep_ms(int64_t);
static int64_t	http_now_ms(void);
static uint32_t	http_rand(struct http *);
static void	http_url_host(const char *, char *, size_t);
static void	http_format_time(int64_t, char *, size_t);
static void	http_sanitize(char *);
static int	http_tls_error(int);
static int64_t	http_parse_retry_after(const char *, int64_t);
static int64_t	http_parse_reset(const char *, int64_t);
static void	http_header_value(const char *, size_t, char *, size_t);
static int	http_transport_error(struct http *, CURLcode, const char *, int,
		    struct ldrt_err *);
static void	http_take_response(struct http *, long,
		    struct http_response *);

static int http_global_done;

/* ---- pure helpers ---- */

static int64_t
http_parse_retry_after(const char *v, int64_t now_ms)
{
	struct tm tm;
	const char *p;
	char *end;
	long long s;

	if (v == NULL || *v == '\0')
		return -1;
	if (isdigit((unsigned char)*v)) {
		errno = 0;
		s = strtoll(v, &end, 10);
		while (*end == ' ' || *end == '\t')
			end++;
		if (*end != '\0')
			return -1;
		if (errno == ERANGE)
			s = LLONG_MAX;
		if (s > HTTP_WAIT_MAX_MS / 1000 * 10)
			s = HTTP_WAIT_MAX_MS / 1000 * 10;
		return (int64_t)s * 1000;
	}
	/* HTTP-date, "Sun, 06 Nov 1994 08:49:37 GMT" */
	memset(&tm, 0, sizeof(tm));
	p = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (p == NULL || *p != '\0')
		return -1;
	return (int64_t)timegm(&tm) * 1000 - now_ms;
}

/* X-Ratelimit-Reset: epoch milliseconds (documented).  Values too small to
 * be milliseconds of this century are taken as epoch seconds. */
static int64_t
http_parse_reset(const char *v, int64_t now_ms)
{
	char *end;
	long long t;

	if (v == NULL || !isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	t = strtoll(v, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (errno != 0 || *end != '\0')
		return -1;
	if (t < 100000000000LL)
		t *= 1000;
	return t > now_ms ? t - now_ms : 0;	/* the past counts as now */
}

int64_t
http_retry_wait_ms(long status, const char *retry_after,
    const char *ratelimit_reset, int64_t now_ms, int attempt,
    uint32_t jitter_seed)
{
	int64_t ra, rs, w = -1;
	int sh;

	if (status == 429) {
		ra = http_parse_retry_after(retry_after, now_ms);
		rs = http_parse_reset(ratelimit_reset, now_ms);
		w = ra > rs ? ra : rs;
		if (w >= 0) {
			if (w < HTTP_WAIT_MIN_MS)
				w = HTTP_WAIT_MIN_MS;
			if (w > HTTP_WAIT_MAX_MS)
				w = HTTP_WAIT_MAX_MS;
		}
	}
	if (w < 0) {
		sh = attempt < 1 ? 0 : attempt - 1;
		if (sh > 7)
			sh = 7;
		w = (int64_t)HTTP_BACKOFF_BASE_MS << sh;
		if (w > HTTP_WAIT_MAX_MS)
			w = HTTP_WAIT_MAX_MS;
	}
	/* jitter: up to a quarter on top, so clients do not retry in step */
	return w + (int64_t)(jitter_seed % (uint32_t)(w / 4 + 1));
}

int
http_error_not_sent(int code, long request_size)
{
	switch (code) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
		return 1;
	case CURLE_SEND_ERROR:
		return 0;	/* part of the request may be out */
	default:
		/* e.g. a connect timeout: nothing was written yet */
		return request_size == 0;
	}
}

int
http_location_host(const char *location, char *buf, size_t len)
{
	const char *p, *q;
	size_t n;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	if (location == NULL || (p = strstr(location, "://")) == NULL)
		return -1;
	p += 3;
	q = p + strcspn(p, "/?#");
	/* drop user:password@ */
	for (const char *a = p; a < q; a++)
		if (*a == '@')
			p = a + 1;
	n = (size_t)(q - p);
	if (n == 0)
		return -1;
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	http_sanitize(buf);
	return 0;
}

/* Replaces anything but printable ASCII so a string fits on one line. */
static void
http_sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

static void
http_url_host(const char *url, char *buf, size_t len)
{
	if (http_location_host(url, buf, len) != 0)
		snprintf(buf, len, "?");
}

static int
http_tls_error(int code)
{
	switch (code) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CACERT_BADFILE:
		return 1;
	default:
		return 0;
	}
}

static void
http_format_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld ms", (long long)ms);
}

static int64_t
http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
http_sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* xorshift32: jitter only, nothing security relevant */
static uint32_t
http_rand(struct http *h)
{
	uint32_t x = h->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	h->rng = x;
	return x;
}

/* ---- libcurl callbacks ---- */

static size_t
http_write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct http *h = arg;
	size_t n = size * nmemb;
	curl_off_t cl;

	/* a large body (the config list) is received into one buffer */
	if (h->body != NULL && secbuf_len(h->body) == 0 &&
	    curl_easy_getinfo(h->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
	    &cl) == CURLE_OK && cl > 0)
		secbuf_reserve(h->body, (size_t)cl);
	if (h->body == NULL || secbuf_append(h->body, p, n) != 0) {
		h->too_large = 1;
		return 0;	/* aborts the transfer: CURLE_WRITE_ERROR */
	}
	return n;
}

static void
http_header_value(const char *p, size_t n, char *dst, size_t cap)
{
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n' ||
	    p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

static size_t
http_header_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	static const struct {
		const char	*name;
		size_t		 off;
		size_t		 cap;
	} want[] = {
		{ "content-type", offsetof(struct http, content_type),
		    HTTP_HDR_SMALL },
		{ "location", offsetof(struct http, location),
		    HTTP_HDR_LOCATION },
		{ "retry-after", offsetof(struct http, retry_after),
		    HTTP_HDR_SMALL },
		{ "x-ratelimit-reset", offsetof(struct http, rl_reset),
		    HTTP_HDR_SMALL },
	};
	struct http *h = arg;
	size_t n = size * nmemb, i, k;

	/* a new status line (after 100 Continue or a proxy CONNECT) */
	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		http_capture_reset(h);
		return n;
	}
	for (i = 0; i < LDRT_ARRAY_SIZE(want); i++) {
		k = strlen(want[i].name);
		if (n > k && p[k] == ':' &&
		    strncasecmp(p, want[i].name, k) == 0)
			http_header_value(p + k + 1, n - k - 1,
			    (char *)h + want[i].off, want[i].cap);
	}
	return n;
}

static void
http_capture_reset(struct http *h)
{
	h->content_type[0] = '\0';
	h->location[0] = '\0';
	h->retry_after[0] = '\0';
	h->rl_reset[0] = '\0';
}

/* ---- handle ---- */

#define HTTP_SETOPT(h, opt, val) do {					\
	if (curl_easy_setopt((h)->curl, (opt), (val)) != CURLE_OK)	\
		return err_set(e, EX_SOFTWARE,				\
		    "cannot set libcurl option %s", #opt);		\
} while (0)

static int
http_setup(struct http *h, const struct http_opts *o, struct ldrt_err *e)
{
	long timeout = o->timeout > 0 ? o->timeout : 30;
	long ctimeout = o->connect_timeout > 0 ? o->connect_timeout : 10;

	HTTP_SETOPT(h, CURLOPT_ERRORBUFFER, h->errbuf);
	HTTP_SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	HTTP_SETOPT(h, CURLOPT_CONNECTTIMEOUT, ctimeout);
	HTTP_SETOPT(h, CURLOPT_TIMEOUT, timeout);
	HTTP_SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	HTTP_SETOPT(h, CURLOPT_UNRESTRICTED_AUTH, 0L);
	HTTP_SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
	HTTP_SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
	HTTP_SETOPT(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
#if LIBCURL_VERSION_NUM >= 0x075500
	HTTP_SETOPT(h, CURLOPT_PROTOCOLS_STR, "https,http");
#else
	HTTP_SETOPT(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTPS |
	    CURLPROTO_HTTP));
#endif
	if (o->ca_bundle != NULL && o->ca_bundle[0] != '\0') {
		if (access(o->ca_bundle, R_OK) != 0)
			return err_set(e, errno == ENOENT ? EX_NOINPUT :
			    EX_CONFIG, "CA bundle '%s': %s", o->ca_bundle,
			    strerror(errno));
		HTTP_SETOPT(h, CURLOPT_CAINFO, o->ca_bundle);
		HTTP_SETOPT(h, CURLOPT_CAPATH, (char *)NULL);
	}
	if (o->proxy != NULL)
		HTTP_SETOPT(h, CURLOPT_PROXY, o->proxy);
	HTTP_SETOPT(h, CURLOPT_USERAGENT, o->user_agent != NULL ?
	    o->user_agent : "ld-relay-token/" PACKAGE_VERSION);
	HTTP_SETOPT(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTP_BODY_MAX);
	HTTP_SETOPT(h, CURLOPT_WRITEFUNCTION, http_write_cb);
	HTTP_SETOPT(h, CURLOPT_WRITEDATA, h);
	HTTP_SETOPT(h, CURLOPT_HEADERFUNCTION, http_header_cb);
	HTTP_SETOPT(h, CURLOPT_HEADERDATA, h);
	HTTP_SETOPT(h, CURLOPT_TCP_KEEPALIVE, 1L);
#if HTTP_HAVE_PREREQ
	HTTP_SETOPT(h, CURLOPT_PREREQFUNCTION, http_prereq_cb);
	HTTP_SETOPT(h, CURLOPT_PREREQDATA, h);
#endif
	return 0;
}

int
http_new(const struct http_opts *o, struct http **out, struct ldrt_err *e)
{
	static const struct http_opts dflt = { NULL, NULL, 0, 0, NULL };
	struct http *h;

	*out = NULL;
	if (o == NULL)
		o = &dflt;
	if (!http_global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return err_set(e, EX_SOFTWARE,
			    "cannot initialise libcurl");
		http_global_done = 1;
	}
	h = xcalloc(1, sizeof(*h));
	h->rng = (uint32_t)http_now_ms() ^ ((uint32_t)getpid() << 16);
	if (h->rng == 0)
		h->rng = 0x9e3779b9u;
	if ((h->curl = curl_easy_init()) == NULL) {
		free(h);
		return err_set(e, EX_SOFTWARE, "cannot create a libcurl "
		    "handle");
	}
	if (http_setup(h, o, e) != 0) {
		http_free(h);
		return -1;
	}
	*out = h;
	return 0;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	secbuf_free(h->body);
	free(h);
}

void
http_backoff(struct http *h, int attempt)
{
	http_sleep_ms(http_retry_wait_ms(0, NULL, NULL, 0, attempt,
	    h != NULL ? http_rand(h) : 0));
}

long
http_connections(const struct http *h)
{
	return h == NULL ? 0 : h->connects;
}

void
http_response_release(struct http_response *r)
{
	if (r == NULL)
		return;
	secbuf_free(r->body);
	free(r->content_type);
	free(r->location);
	r->status = 0;
	r->body = NULL;
	r->content_type = NULL;
	r->location = NULL;
	r->tries = 0;
}

/* ---- one request ---- */

/*
 * Builds the header list.  Lines of secret headers are built in memory that
 * is wiped at once; curl_slist_append() copies them, and
 * http_free_headers() wipes those copies.
 */
static int
http_build_headers(const struct http_header *hd, size_t n, int has_body,
    struct curl_slist **out, struct ldrt_err *e)
{
	struct curl_slist *l = NULL, *t;
	int have_ctype = 0;
	size_t i, len;
	char *line;

	*out = NULL;
	for (i = 0; i < n; i++) {
		if (strpbrk(hd[i].name, "\r\n:") != NULL ||
		    strpbrk(hd[i].value, "\r\n") != NULL) {
			http_free_headers(l);
			return err_set(e, EX_DATAERR,
			    "header '%.40s' contains a line break", hd[i].name);
		}
		if (strcasecmp(hd[i].name, "Content-Type") == 0)
			have_ctype = 1;
		len = strlen(hd[i].name) + 2 + strlen(hd[i].value) + 1;
		line = xmalloc(len);
		snprintf(line, len, "%s: %s", hd[i].name, hd[i].value);
		t = curl_slist_append(l, line);
		if (hd[i].secret)
			secret_wipe(line, len);
		free(line);
		if (t == NULL) {
			http_free_headers(l);
			ldrt_fatal("out of memory");
		}
		l = t;
	}
	/* no curl defaults: no form Content-Type on an empty POST, no Expect */
	if (!have_ctype && has_body)
		l = curl_slist_append(l, "Content-Type:");
	if (l != NULL)
		l = curl_slist_append(l, "Expect:");
	if (l == NULL)
		ldrt_fatal("out of memory");
	*out = l;
	return 0;
}

static void
http_free_headers(struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p != NULL; p = p->next)
		if (p->data != NULL)
			secret_wipe(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static int
http_set_method(struct http *h, const char *method, const char *body,
    size_t body_len, enum http_idempotency idem, struct ldrt_err *e)
{
	int get = strcmp(method, "GET") == 0;
	int del = strcmp(method, "DELETE") == 0;
	int post = strcmp(method, "POST") == 0;
	int patch = strcmp(method, "PATCH") == 0 || strcmp(method, "PUT") == 0;

	if (!get && !del && !post && !patch)
		return err_set(e, EX_SOFTWARE, "unsupported HTTP method "
		    "'%.16s'", method);
	HTTP_SETOPT(h, CURLOPT_NOBODY, 0L);
	HTTP_SETOPT(h, CURLOPT_CUSTOMREQUEST, (char *)NULL);
	if (get || del) {
		HTTP_SETOPT(h, CURLOPT_HTTPGET, 1L);
	} else {
		HTTP_SETOPT(h, CURLOPT_POST, 1L);
		HTTP_SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(body != NULL ? body_len : 0));
		HTTP_SETOPT(h, CURLOPT_POSTFIELDS, body != NULL ? body : "");
	}
	if (del || patch)
		HTTP_SETOPT(h, CURLOPT_CUSTOMREQUEST, method);
	/*
	 * On a reused connection that turns out dead (no byte of an answer),
	 * libcurl (before 8.16's CURLOPT_FORBID_RETRY_ON_REUSE) silently
	 * resends the request on a new connection, also a POST, which would
	 * apply it twice when the server acted on it and then dropped the
	 * connection.  Every send goes through the DO state, which calls the
	 * pre-request callback first; http_prereq_cb() refuses a second send
	 * of a non-idempotent request within one transfer, so the kept-alive
	 * connection can carry resets too (one TLS handshake for a whole
	 * rotate --all).  Without the callback: a fresh connection each time.
	 */
	h->once = idem == HTTP_NOT_IDEMPOTENT;
	HTTP_SETOPT(h, CURLOPT_FRESH_CONNECT,
	    !HTTP_HAVE_PREREQ && idem == HTTP_NOT_IDEMPOTENT ? 1L : 0L);
	return 0;
}

#if HTTP_HAVE_PREREQ
/*
 * Called by libcurl each time it is about to send the request, on a new or
 * a reused connection: once per attempt.  A second call in one transfer is
 * libcurl's own retry after a reused connection died without an answer;
 * for a non-idempotent request the first one may have been acted on, so
 * the transfer is aborted (CURLE_ABORTED_BY_CALLBACK) and the caller hears
 * "sent, no answer" (HTTP_OUTCOME_UNKNOWN).
 */
static int
http_prereq_cb(void *arg, char *primary_ip, char *local_ip, int primary_port,
    int local_port)
{
	struct http *h = arg;

	LDRT_UNUSED(primary_ip);
	LDRT_UNUSED(local_ip);
	LDRT_UNUSED(primary_port);
	LDRT_UNUSED(local_port);
	if (++h->prereqs > 1 && h->once) {
		h->resend_blocked = 1;
		return CURL_PREREQFUNC_ABORT;
	}
	return CURL_PREREQFUNC_OK;
}
#endif

/* Sets e for a failed transfer and returns its exit class. */
static int
http_transport_error(struct http *h, CURLcode rc, const char *url,
    int notsent, struct ldrt_err *e)
{
	char host[256], why[CURL_ERROR_SIZE];
	int ex;

	http_url_host(url, host, sizeof(host));
	snprintf(why, sizeof(why), "%s", h->errbuf[0] != '\0' ? h->errbuf :
	    curl_easy_strerror(rc));
	http_sanitize(why);
	if (h->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		ex = EX_PROTOCOL;
		err_set(e, ex, "response body from '%s' too large (over %u "
		    "bytes)", host, HTTP_BODY_MAX);
	} else if (rc == CURLE_PARTIAL_FILE) {
		/* the server answered, with less than it announced */
		ex = EX_PROTOCOL;
		err_set(e, ex, "response from '%s' cut short: %s", host, why);
	} else if (rc == CURLE_SSL_CACERT_BADFILE) {
		ex = EX_CONFIG;
		err_set(e, ex, "cannot use the CA bundle: %s", why);
	} else if (http_tls_error(rc)) {
		ex = EX_UNAVAILABLE;
		err_set(e, ex, "TLS verification of '%s' failed: %s "
		    HTTP_TLS_HINT, host, why);
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		ex = EX_TEMPFAIL;
		err_set(e, ex, "request to '%s' timed out: %s", host, why);
	} else if (notsent) {
		ex = EX_TEMPFAIL;
		err_set(e, ex, "cannot reach '%s': %s", host, why);
	} else {
		ex = EX_TEMPFAIL;
		err_set(e, ex, "connection to '%s' failed: %s", host, why);
	}
	return ex;
}

static void
http_take_response(struct http *h, long status, struct http_response *resp)
{
	resp->status = status;
	resp->body = h->body;
	h->body = NULL;
	resp->content_type = xstrdup(h->content_type);
	resp->location = h->location[0] != '\0' ? xstrdup(h->location) : NULL;
}

int
http_request(struct http *h, const char *method, const char *url,
    const struct http_header *headers, size_t nheaders,
    const char *body, size_t body_len, enum http_idempotency idem,
    struct http_response *resp, struct ldrt_err *e)
{
	struct curl_slist *hl = NULL;
	char host[256], when[64];
	int tries429 = 0, trieserr = 0, tries = 0, r = -1;
	int has_body = strcmp(method, "POST") == 0 ||
	    strcmp(method, "PATCH") == 0 || strcmp(method, "PUT") == 0;
	long status, reqsize, nconn;
	int64_t wait = 0;
	CURLcode rc;

	http_response_release(resp);
	http_url_host(url, host, sizeof(host));
	if (http_build_headers(headers, nheaders, has_body, &hl, e) != 0)
		return -1;
	if (http_set_method(h, method, body, body_len, idem, e) != 0)
		goto out;
	if (curl_easy_setopt(h->curl, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hl) != CURLE_OK ||
	    /* plain http is loopback only (api.c): never through a proxy */
	    curl_easy_setopt(h->curl, CURLOPT_NOPROXY,
	    strncasecmp(url, "http://", 7) == 0 ? "*" : (char *)NULL) !=
	    CURLE_OK) {
		err_set(e, EX_SOFTWARE, "cannot set up the request to '%s'",
		    host);
		goto out;
	}
	for (;;) {
		tries++;
		secbuf_free(h->body);
		h->body = secbuf_new(HTTP_BODY_MAX);
		h->too_large = 0;
		h->errbuf[0] = '\0';
		http_capture_reset(h);
		h->prereqs = 0;
		h->resend_blocked = 0;
		log_verbose("%s %s%s", method, url,
		    tries > 1 ? " (retry)" : "");
		rc = curl_easy_perform(h->curl);
		nconn = reqsize = status = 0;
		curl_easy_getinfo(h->curl, CURLINFO_NUM_CONNECTS, &nconn);
		curl_easy_getinfo(h->curl, CURLINFO_REQUEST_SIZE, &reqsize);
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
		h->connects += nconn;
		if (nconn > 0)
			log_verbose("connected to %s (%ld connection%s so far)",
			    host, h->connects, h->connects == 1 ? "" : "s");
		if (rc != CURLE_OK) {
			/* once libcurl was about to send, the request may be
			 * out, whatever a later reconnect failed with */
			int notsent = (!HTTP_HAVE_PREREQ || h->prereqs == 0) &&
			    http_error_not_sent(rc, reqsize);
			int ex;

			if (h->resend_blocked) {
				err_set(e, EX_TEMPFAIL, "the connection to "
				    "'%s' closed without an answer after the "
				    "request was sent (not sent again)", host);
				r = HTTP_OUTCOME_UNKNOWN;
				goto out;
			}
			ex = http_transport_error(h, rc, url, notsent, e);

			/* a short transfer of a GET or DELETE is worth
			 * another try; after the last it stays EX_PROTOCOL */
			if (ex != EX_TEMPFAIL && !(rc == CURLE_PARTIAL_FILE &&
			    idem == HTTP_IDEMPOTENT)) {
				/* too large or cut short: the server did
				 * answer */
				if (ex == EX_PROTOCOL &&
				    idem == HTTP_NOT_IDEMPOTENT)
					r = HTTP_OUTCOME_UNKNOWN;
				goto out;
			}
			if (!notsent && idem == HTTP_NOT_IDEMPOTENT) {
				char why[CURL_ERROR_SIZE];

				snprintf(why, sizeof(why), "%s",
				    h->errbuf[0] != '\0' ? h->errbuf :
				    curl_easy_strerror(rc));
				http_sanitize(why);
				err_set(e, EX_TEMPFAIL, "no response from "
				    "'%s' after the request was sent: %s",
				    host, why);
				r = HTTP_OUTCOME_UNKNOWN;
				goto out;
			}
			if (++trieserr >= HTTP_TRIES_ERR)
				goto out;
			wait = http_retry_wait_ms(0, NULL, NULL, 0, trieserr,
			    http_rand(h));
			log_verbose("%s; retrying in %lld ms (try %d of %d)",
			    e != NULL ? e->msg : "network error",
			    (long long)wait, trieserr + 1, HTTP_TRIES_ERR);
			http_sleep_ms(wait);
			continue;
		}
		if (status >= 300 && status < 400) {
			char lhost[256];

			if (http_location_host(h->location, lhost,
			    sizeof(lhost)) != 0)
				snprintf(lhost, sizeof(lhost), "%s", host);
			err_set(e, EX_PROTOCOL, "API answered HTTP %ld, a "
			    "redirect to '%s', which is not followed (check "
			    "the API URL)", status, lhost);
			goto out;
		}
		if (status == 429) {
			wait = http_retry_wait_ms(429, h->retry_after,
			    h->rl_reset, http_now_ms(), tries429 + 1,
			    http_rand(h));
			if (++tries429 >= HTTP_TRIES_429) {
				http_format_time(http_now_ms() + wait, when,
				    sizeof(when));
				err_set(e, EX_TEMPFAIL, "rate limited by the "
				    "API; retry after %s", when);
				goto out;
			}
			log_verbose("rate limited by the API (HTTP 429); "
			    "waiting %lld ms (try %d of %d)", (long long)wait,
			    tries429 + 1, HTTP_TRIES_429);
			http_sleep_ms(wait);
			continue;
		}
		if (status >= 500 && idem == HTTP_IDEMPOTENT &&
		    trieserr + 1 < HTTP_TRIES_ERR) {
			trieserr++;
			wait = http_retry_wait_ms(status, NULL, NULL, 0,
			    trieserr, http_rand(h));
			log_verbose("API answered HTTP %ld; retrying in %lld "
			    "ms (try %d of %d)", status, (long long)wait,
			    trieserr + 1, HTTP_TRIES_ERR);
			http_sleep_ms(wait);
			continue;
		}
		log_verbose("HTTP %ld from %s", status, host);
		http_take_response(h, status, resp);
		resp->tries = tries;
		r = 0;
		break;
	}
out:
	secbuf_free(h->body);
	h->body = NULL;
	/* drop references to the caller's strings */
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER,
	    (struct curl_slist *)NULL);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, (char *)NULL);
	http_free_headers(hl);
	return r;
}
