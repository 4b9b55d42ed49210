/*
 * store.c: backend selection and the store interface.
 *
 * "auto": the Secret Service if it answers within the deadline; else the
 * file store if the store file exists or a passphrase source is configured;
 * else EX_UNAVAILABLE naming both options.  store_reason() says which
 * backend was chosen and why (for status).
 *
 * Also the backend-independent half of the generic git credentials:
 * argument checks, the secret blob (password plus expiry and refresh-token
 * lines, as git-credential-libsecret writes it) and key comparison.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldrt.h"
#include "secret.h"
#include "store.h"

const char *
store_kind_name(enum store_kind k)
{
	return k == STORE_RELAY_KEY ? "relay-key" : "api-token";
}

void
store_items_free(struct store_item *items, size_t n)
{
	size_t i;

	if (items == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(items[i].profile);
		free(items[i].api_host);
		free(items[i].relay_id);
		free(items[i].relay_name);
	}
	free(items);
}

static int
store_open_file(const struct store_opts *o, struct store *s, const char *why,
    struct ldrt_err *e)
{
#ifdef LDRT_CORE
	/*
	 * The keyring-only binary has no OpenSSL: ldrt-full takes over.  When
	 * "auto" fell back here, the Secret Service already failed (perhaps
	 * after a whole deadline), so ldrt-full is told to use the file store
	 * at once rather than wait for the Secret Service again.
	 */
	if (strncmp(why, "file: Secret Service unavailable", 32) == 0 &&
	    setenv("LDRT_STORE", "file", 1) != 0)
		return err_set(e, EX_OSERR, "setenv: out of memory");
	return LDRT_NEED_FULL(e, "the file store");
#else
	if (store_file_open(o, s, e) != 0)
		return -1;
	s->why = xstrdup(why);
	return 0;
#endif
}

int
store_open(const struct store_opts *o, struct store **out,
    struct ldrt_err *e)
{
	struct ldrt_err sse = LDRT_ERR_INIT;
	const char *b = o->backend != NULL ? o->backend : "auto";
	struct store *s;
	char *why = NULL;
	int r = -1;

	*out = NULL;
	s = xcalloc(1, sizeof(*s));
	s->opts = *o;
	if (strcmp(b, "secret-service") == 0) {
		if (store_secret_service_open(o, s, e) != 0)
			goto out;
		s->why = xstrdup("secret-service: selected by configuration");
	} else if (strcmp(b, "file") == 0) {
		if (store_open_file(o, s, "file: selected by configuration",
		    e) != 0)
			goto out;
	} else if (strcmp(b, "auto") == 0) {
		if (store_secret_service_open(o, s, &sse) == 0) {
			s->why = xstrdup("secret-service: answered on the "
			    "session bus");
		} else if (store_file_exists(o)) {
			why = xasprintf("file: Secret Service unavailable "
			    "(%s), store file exists", sse.msg);
			if (store_open_file(o, s, why, e) != 0)
				goto out;
		} else if (store_file_passphrase_configured(o)) {
			why = xasprintf("file: Secret Service unavailable "
			    "(%s), passphrase source configured", sse.msg);
			if (store_open_file(o, s, why, e) != 0)
				goto out;
		} else {
			err_set(e, sse.ex == EX_NOPERM ? EX_NOPERM :
			    EX_UNAVAILABLE, "no secret store: %s; start a "
			    "Secret Service (gnome-keyring-daemon) or use "
			    "--store file with LDRT_PASSPHRASE_FILE", sse.msg);
			goto out;
		}
	} else {
		err_set(e, EX_CONFIG, "unknown store '%s' (expected auto, "
		    "secret-service or file)", b);
		goto out;
	}
	*out = s;
	s = NULL;
	r = 0;
 out:
	free(why);
	if (s != NULL) {
		free(s->why);
		free(s);
	}
	return r;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->ops != NULL && s->ops->close != NULL)
		s->ops->close(s);
	free(s->why);
	free(s);
}

const char *
store_backend_name(const struct store *s)
{
	return s != NULL && s->ops != NULL ? s->ops->name : "none";
}

const char *
store_reason(const struct store *s)
{
	return s != NULL && s->why != NULL ? s->why : "";
}

static int
store_key_ok(const struct store_key *k, struct ldrt_err *e)
{
	if (k == NULL || k->profile == NULL || k->profile[0] == '\0' ||
	    k->api_host == NULL || k->api_host[0] == '\0')
		return err_set(e, EX_SOFTWARE, "store key without profile or "
		    "API host");
	if (k->kind == STORE_RELAY_KEY &&
	    (k->relay_id == NULL || k->relay_id[0] == '\0'))
		return err_set(e, EX_SOFTWARE, "relay key without relay id");
	return 0;
}

int
store_get(struct store *s, const struct store_key *k, char **secret,
    struct ldrt_err *e)
{
	*secret = NULL;
	if (store_key_ok(k, e) != 0)
		return -1;
	return s->ops->get(s, k, secret, e);
}

int
store_put(struct store *s, const struct store_key *k, const char *secret,
    struct ldrt_err *e)
{
	if (store_key_ok(k, e) != 0)
		return -1;
	return s->ops->put(s, k, secret, e);
}

int
store_delete(struct store *s, const struct store_key *k, struct ldrt_err *e)
{
	if (store_key_ok(k, e) != 0)
		return -1;
	return s->ops->del(s, k, e);
}

int
store_list(struct store *s, const struct store_key *pattern,
    struct store_item **items, size_t *n, struct ldrt_err *e)
{
	*items = NULL;
	*n = 0;
	return s->ops->list(s, pattern, items, n, e);
}

/* ---- generic git credentials ---- */

static int
store_str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
store_cred_same_key(const struct credential *a, const struct credential *b)
{
	return store_str_same(a->protocol, b->protocol) &&
	    store_str_same(a->host, b->host) &&
	    store_str_same(a->path, b->path) &&
	    store_str_same(a->username, b->username);
}

char *
store_cred_secret_encode(const struct credential *c)
{
	char *out, *p;
	size_t n;

	if (c->password == NULL || strchr(c->password, '\n') != NULL ||
	    (c->oauth_refresh_token != NULL &&
	    strchr(c->oauth_refresh_token, '\n') != NULL))
		return NULL;
	n = strlen(c->password) + 64 + (c->oauth_refresh_token != NULL ?
	    strlen(c->oauth_refresh_token) + 32 : 0);
	out = xmalloc(n);
	p = out;
	p += snprintf(p, n, "%s", c->password);
	if (c->password_expiry_utc > 0)
		p += snprintf(p, n - (size_t)(p - out),
		    "\npassword_expiry_utc=%" PRId64, c->password_expiry_utc);
	if (c->oauth_refresh_token != NULL)
		snprintf(p, n - (size_t)(p - out), "\noauth_refresh_token=%s",
		    c->oauth_refresh_token);
	return out;
}

static int64_t
store_parse_expiry(const char *s, size_t n)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 18)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

void
store_cred_secret_decode(const char *blob, struct credential *out)
{
	const char *p, *nl, *end;
	size_t n;

	secret_free(out->password);
	secret_free(out->oauth_refresh_token);
	out->password = NULL;
	out->oauth_refresh_token = NULL;
	out->password_expiry_utc = 0;
	if (blob == NULL)
		blob = "";
	nl = strchr(blob, '\n');
	out->password = nl != NULL ? secret_strndup(blob,
	    (size_t)(nl - blob)) : secret_strdup(blob);
	for (p = nl; p != NULL; p = nl) {
		p++;
		nl = strchr(p, '\n');
		end = nl != NULL ? nl : p + strlen(p);
		n = (size_t)(end - p);
		if (n > 20 && strncmp(p, "oauth_refresh_token=", 20) == 0) {
			secret_free(out->oauth_refresh_token);
			out->oauth_refresh_token = secret_strndup(p + 20,
			    n - 20);
		} else if (n > 20 &&
		    strncmp(p, "password_expiry_utc=", 20) == 0) {
			out->password_expiry_utc = store_parse_expiry(p + 20,
			    n - 20);
		}
	}
}

static int
store_cred_supported(struct store *s, struct ldrt_err *e)
{
	if (s->ops->cred_get == NULL || s->ops->cred_put == NULL ||
	    s->ops->cred_erase == NULL || s->ops->cred_list == NULL)
		return err_set(e, EX_UNAVAILABLE, "the %s store cannot keep "
		    "git credentials", s->ops->name);
	return 0;
}

int
store_cred_get(struct store *s, const struct credential *want,
    struct credential *out, struct ldrt_err *e)
{
	credential_clear(out);
	if (store_cred_supported(s, e) != 0)
		return -1;
	if (want->protocol == NULL)
		return STORE_ABSENT;
	return s->ops->cred_get(s, want, out, e);
}

int
store_cred_put(struct store *s, const struct credential *c,
    struct ldrt_err *e)
{
	if (store_cred_supported(s, e) != 0)
		return -1;
	if (!credential_is_complete(c))
		return err_set(e, EX_SOFTWARE, "incomplete git credential");
	return s->ops->cred_put(s, c, e);
}

int
store_cred_erase(struct store *s, const struct credential *want,
    struct ldrt_err *e)
{
	if (store_cred_supported(s, e) != 0)
		return -1;
	if (credential_is_empty_pattern(want))
		return err_set(e, EX_USAGE, "refusing to erase with an empty "
		    "pattern");
	return s->ops->cred_erase(s, want, e);
}

void
store_creds_free(struct credential *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		credential_release(&v[i]);
	free(v);
}

int
store_cred_list(struct store *s, struct credential **out, size_t *n,
    struct ldrt_err *e)
{
	*out = NULL;
	*n = 0;
	if (store_cred_supported(s, e) != 0)
		return -1;
	return s->ops->cred_list(s, NULL, out, n, e);
}

int
store_cred_find(struct store *s, const struct credential *want,
    struct credential **out, size_t *n, struct ldrt_err *e)
{
	*out = NULL;
	*n = 0;
	if (store_cred_supported(s, e) != 0)
		return -1;
	if (credential_is_empty_pattern(want))
		return err_set(e, EX_USAGE, "refusing to look up git "
		    "credentials with an empty pattern");
	return s->ops->cred_list(s, want, out, n, e);
}
