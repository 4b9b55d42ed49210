/*
 * ctx.c: the per-run context.  Settings are resolved once, after the
 * command has parsed its options (option > LDRT_* environment > config >
 * default); the store, the API token and the API client are opened on
 * first use, so a command that needs none of them pays for none.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "cli.h"
#include "ldrt_config.h"
#include "log.h"
#include "secret.h"
#include "store.h"
#include "url.h"

#define DEFAULT_API_URL		"https://app.launchdarkly.com"
#define DEFAULT_HTTP_TIMEOUT	30
#define DEFAULT_STORE_TIMEOUT	10

static const char *
ctx_env(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0') ? v : NULL;
}

void
ctx_config_warnings(const struct ldrt_ctx *ctx)
{
	if (ctx->cfg == NULL)
		return;
	for (char **w = ctx->cfg->warnings; *w != NULL; w++) {
		if (ctx->g.config_quiet)
			log_verbose("warning: %s", *w);
		else
			log_warn("%s", *w);
	}
}

int
ctx_init(struct ldrt_ctx *ctx, struct ldrt_err *e)
{
	const struct config_profile *prof;
	struct url_info u;
	const char *v;
	int t;

	if (ctx->cfg != NULL)
		return 0;
	log_set_level(ctx->g.quiet, ctx->g.verbose);
	v = ctx->g.config_path != NULL ? ctx->g.config_path :
	    ctx_env("LDRT_CONFIG");
	if (config_load(v, &ctx->cfg, e) != 0)
		return -1;
#ifndef LDRT_CORE
	/* ldrt-keyring prints them once it knows it will not hand the run to
	 * ldrt-full, which would print them again */
	ctx_config_warnings(ctx);
#endif

	ctx->profile = ctx->g.profile != NULL ? ctx->g.profile :
	    ctx_env("LDRT_PROFILE") != NULL ? ctx_env("LDRT_PROFILE") :
	    "default";
	prof = config_profile(ctx->cfg, ctx->profile);

	ctx->api_url = ctx->g.api_url;
	if (ctx->api_url == NULL)
		ctx->api_url = ctx_env("LDRT_API_URL");
	if (ctx->api_url == NULL && prof != NULL)
		ctx->api_url = prof->api_url;
	if (ctx->api_url == NULL)
		ctx->api_url = DEFAULT_API_URL;
	if (url_check_api(ctx->api_url, &u, e) != 0)
		return -1;
	ctx->api_host = xstrdup(u.host);

	ctx->ca_bundle = ctx->g.ca_bundle;
	if (ctx->ca_bundle == NULL)
		ctx->ca_bundle = ctx_env("LDRT_CA_BUNDLE");
	if (ctx->ca_bundle == NULL && prof != NULL)
		ctx->ca_bundle = prof->ca_bundle;

	ctx->store_backend = ctx->g.store;
	if (ctx->store_backend == NULL)
		ctx->store_backend = ctx_env("LDRT_STORE");
	if (ctx->store_backend == NULL && prof != NULL)
		ctx->store_backend = prof->store;
	if (ctx->store_backend == NULL)
		ctx->store_backend = "auto";
	if (strcmp(ctx->store_backend, "auto") != 0 &&
	    strcmp(ctx->store_backend, "secret-service") != 0 &&
	    strcmp(ctx->store_backend, "file") != 0)
		return err_set(e, EX_CONFIG, "invalid store '%s' (auto, "
		    "secret-service or file)", ctx->store_backend);

	ctx->proxy = ctx->g.proxy;
	if (ctx->proxy == NULL)
		ctx->proxy = ctx_env("LDRT_PROXY");
	if (ctx->proxy == NULL && prof != NULL)
		ctx->proxy = prof->proxy;

	ctx->timeout = ctx->g.timeout;
	if (ctx->timeout == 0 && (v = ctx_env("LDRT_TIMEOUT")) != NULL) {
		if (cli_parse_timeout(v, &t, e) != 0)
			return err_prefix(e, "LDRT_TIMEOUT");
		ctx->timeout = t;
	}
	if (ctx->timeout == 0 && prof != NULL)
		ctx->timeout = prof->timeout;

	ctx->interactive = !ctx->g.no_prompt && isatty(STDIN_FILENO);
	return 0;
}

void
ctx_release(struct ldrt_ctx *ctx)
{
#ifndef LDRT_CORE
	api_free(ctx->api);
#endif
	store_close(ctx->store);
	secret_free(ctx->token);
	config_free(ctx->cfg);
	free(ctx->api_host);
	memset(ctx, 0, sizeof(*ctx));
}

int
ctx_store(struct ldrt_ctx *ctx, struct store **out, struct ldrt_err *e)
{
	struct store_opts o;

	*out = NULL;
	if (ctx_init(ctx, e) != 0)
		return -1;
	if (ctx->store == NULL) {
		memset(&o, 0, sizeof(o));
		o.backend = ctx->store_backend;
		o.timeout = ctx->timeout > 0 ? ctx->timeout :
		    DEFAULT_STORE_TIMEOUT;
		o.interactive = ctx->interactive;
		if (store_open(&o, &ctx->store, e) != 0)
			return -1;
		log_verbose("store: %s (%s)", store_backend_name(ctx->store),
		    store_reason(ctx->store));
	}
	*out = ctx->store;
	return 0;
}

/* $CREDENTIALS_DIRECTORY/ld-api-token (systemd LoadCredential=). */
static int
ctx_token_credential(struct ldrt_ctx *ctx, struct ldrt_err *e)
{
	const char *dir = ctx_env("CREDENTIALS_DIRECTORY");
	char *path;
	int r;

	if (dir == NULL)
		return STORE_ABSENT;
	path = xasprintf("%s/ld-api-token", dir);
	if (access(path, F_OK) != 0) {
		free(path);
		return STORE_ABSENT;
	}
	r = secret_read_file(path, "API token credential", 1, &ctx->token, e);
	free(path);
	if (r != 0)
		return -1;
	ctx->token_source = "systemd credential";
	return 0;
}

int
ctx_token(struct ldrt_ctx *ctx, const char **out, struct ldrt_err *e)
{
	struct store_key k;
	struct store *s;
	int r;

	*out = NULL;
	if (ctx->token == NULL) {
		if (ctx_init(ctx, e) != 0)
			return -1;
		r = ctx_token_credential(ctx, e);
		if (r < 0)
			return -1;
		if (r == STORE_ABSENT) {
			if (ctx_store(ctx, &s, e) != 0)
				return -1;
			memset(&k, 0, sizeof(k));
			k.kind = STORE_API_TOKEN;
			k.profile = ctx->profile;
			k.api_host = ctx->api_host;
			r = store_get(s, &k, &ctx->token, e);
			if (r < 0)
				return -1;
			if (r == STORE_ABSENT)
				return err_set(e, EX_NOPERM, "not logged in to "
				    "'%s' (profile '%s'); run 'ld-relay-token "
				    "login'", ctx->api_host, ctx->profile);
			ctx->token_source = store_backend_name(s);
		}
	}
	*out = ctx->token;
	return 0;
}

/* 24 hex characters, the shape of a config _id. */
static int
ctx_looks_like_id(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return i == 24;
}

#ifdef LDRT_CORE
int
ctx_api(struct ldrt_ctx *ctx, struct api **out, struct ldrt_err *e)
{
	*out = NULL;
	return LDRT_NEED_FULL(e, "an API request");
}

int
ctx_find_relay(struct ldrt_ctx *ctx, const char *name_or_id,
    struct relay_config *out, struct ldrt_err *e)
{
	return LDRT_NEED_FULL(e, "an API request");
}
#else
int
ctx_api(struct ldrt_ctx *ctx, struct api **out, struct ldrt_err *e)
{
	struct api_opts o;
	const char *token;

	*out = NULL;
	if (ctx->api == NULL) {
		if (ctx_token(ctx, &token, e) != 0)
			return -1;
		memset(&o, 0, sizeof(o));
		o.base_url = ctx->api_url;
		o.token = token;
		o.ca_bundle = ctx->ca_bundle;
		o.proxy = ctx->proxy;
		o.timeout = ctx->timeout > 0 ? ctx->timeout :
		    DEFAULT_HTTP_TIMEOUT;
		if (api_new(&o, &ctx->api, e) != 0)
			return -1;
	}
	*out = ctx->api;
	return 0;
}

int
ctx_find_relay(struct ldrt_ctx *ctx, const char *name_or_id,
    struct relay_config *out, struct ldrt_err *e)
{
	struct relay_config_list l = RELAY_CONFIG_LIST_INIT;
	struct api *a;
	char ids[160] = "";
	size_t i, found = 0, pick = 0;
	int r = -1;

	if (ctx_api(ctx, &a, e) != 0)
		return -1;
	if (ctx_looks_like_id(name_or_id)) {
		r = api_get(a, name_or_id, out, e);
		if (r == 0 || e->ex != EX_NOUSER)
			return r;
	}
	if (api_list(a, &l, e) != 0)
		return -1;
	for (i = 0; i < l.n; i++) {
		if (strcmp(l.items[i].name, name_or_id) != 0 &&
		    strcmp(l.items[i].id, name_or_id) != 0)
			continue;
		if (found++ > 0)
			strncat(ids, ", ", sizeof(ids) - strlen(ids) - 1);
		strncat(ids, l.items[i].id, sizeof(ids) - strlen(ids) - 1);
		pick = i;
	}
	if (found == 0) {
		err_set(e, EX_NOUSER, "no relay config named '%s'",
		    name_or_id);
	} else if (found > 1) {
		err_set(e, EX_DATAERR, "name '%s' matches %zu relay configs "
		    "(%s); use an id", name_or_id, found, ids);
	} else {
		*out = l.items[pick];
		memset(&l.items[pick], 0, sizeof(l.items[pick]));
		r = 0;
	}
	relay_config_list_release(&l);
	return r;
}
#endif /* LDRT_CORE */

const struct config_relay *
ctx_relay_section(struct ldrt_ctx *ctx, const char *name, const char *id)
{
	const struct config_relay *r = NULL;

	if (ctx->cfg == NULL)
		return NULL;
	if (name != NULL)
		r = config_relay_by_name(ctx->cfg, name);
	if (r == NULL && id != NULL)
		r = config_relay_by_id(ctx->cfg, id);
	return r;
}

int
ctx_local_relay(struct ldrt_ctx *ctx, const char *name_or_id, char **id,
    char **name, struct ldrt_err *e)
{
	const struct config_relay *sec;
	struct store_item *items = NULL;
	struct store_key pat;
	struct store *s;
	size_t n = 0, i, found = 0, pick = 0;
	char ids[160] = "";

	*id = NULL;
	*name = NULL;
	if (ctx_init(ctx, e) != 0)
		return -1;
	sec = config_relay_by_name(ctx->cfg, name_or_id);
	if (sec == NULL)
		sec = config_relay_by_id(ctx->cfg, name_or_id);
	if (sec != NULL && sec->id != NULL) {
		*id = xstrdup(sec->id);
		*name = xstrdup(sec->name);
		return 0;
	}
	if (ctx_store(ctx, &s, e) != 0)
		return -1;
	memset(&pat, 0, sizeof(pat));
	pat.kind = STORE_RELAY_KEY;
	pat.profile = ctx->profile;
	pat.api_host = ctx->api_host;
	if (store_list(s, &pat, &items, &n, e) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(items[i].relay_id, name_or_id) == 0) {
			found = 1;
			pick = i;
			break;
		}
		if (items[i].relay_name == NULL ||
		    strcmp(items[i].relay_name, name_or_id) != 0)
			continue;
		if (found++ > 0)
			strncat(ids, ", ", sizeof(ids) - strlen(ids) - 1);
		strncat(ids, items[i].relay_id, sizeof(ids) - strlen(ids) - 1);
		pick = i;
	}
	if (found > 1) {
		store_items_free(items, n);
		return err_set(e, EX_DATAERR, "name '%s' matches %zu stored "
		    "relay keys (%s); use an id", name_or_id, found, ids);
	}
	if (found == 1) {
		*id = xstrdup(items[pick].relay_id);
		if (items[pick].relay_name != NULL)
			*name = xstrdup(items[pick].relay_name);
	}
	store_items_free(items, n);
	if (found == 1)
		return 0;
	if (ctx_looks_like_id(name_or_id)) {
		*id = xstrdup(name_or_id);
		return 0;
	}
	return err_set(e, EX_NOUSER, "no key stored for relay '%s' (profile "
	    "'%s')", name_or_id, ctx->profile);
}
