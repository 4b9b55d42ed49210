/*
 * cmd_credential.c: "credential get|store|erase", git's credential-helper
 * protocol on stdin/stdout (also run as git-credential-ld-relay, see
 * main.c).  See /work/shared/protocols/git-credential.md.
 *
 * Three kinds of request:
 *
 *   protocol=ldrelay, host=<relay name or id> (username=<profile>)
 *	The profile: the username, else -p/LDRT_PROFILE, else the profile of
 *	the [relay NAME] section, else "default".
 *	get: the stored relay key; with none stored and a [relay NAME]
 *	section saying create-missing = true (with a policy), the config is
 *	created through the API, its key stored, then answered.  store: a
 *	no-op (keys come from the API).  erase: records that a caller
 *	rejected the stored key (state_record_mark_rejected()), only when the
 *	password sent is the stored key (or none was sent); the key stays.
 *
 *   protocol=<scheme of the API URL> and host = a profile's API host
 *	The API access token of that profile (username=<profile>; without a
 *	username the profile in use, else the first configured profile whose
 *	API host matches).  store saves it (login without the network check),
 *	erase removes it if the password sent equals it (or none was sent).
 *
 *   anything else
 *	A generic credential store compatible with git-credential-libsecret
 *	(store_cred_get/put/erase in store.h).
 *
 * Always non-interactive: a locked keyring is one line on stderr, nothing
 * on stdout, a non-zero exit; nothing is erased because a read failed.
 * Success and "not found" print nothing on stderr.  An unknown operation
 * exits 0 without reading stdin.  Input errors (a line without '=', a line
 * over 65535 bytes, ...) are EX_DATAERR and nothing is stored.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api.h"
#include "cli.h"
#include "credential.h"
#include "ldrt_config.h"
#include "log.h"
#include "secret.h"
#include "state.h"
#include "store.h"

#define CRED_DEFAULT_API_URL	"https://app.launchdarkly.com"
#define CRED_CREATE_LOCK_WAIT	30

enum cred_op { CRED_GET, CRED_STORE, CRED_ERASE };

static int cmd_credential_exec(struct ldrt_ctx *, int, char **,
    struct ldrt_err *);

const struct cmd_entry cmd_credential_entry = {
	.name = "credential",
	.exec = cmd_credential_exec,
};

/* ---- small helpers ---- */

static const char *
cred_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Writes the answer to a get (nothing for a miss). */
static int
cred_answer(const struct credential *ans, struct ldrt_err *e)
{
	char *out = NULL;
	size_t n, off = 0;
	ssize_t w;
	int r = -1;

	if (credential_format_get(ans, &out, e) != 0)
		return -1;
	n = strlen(out);
	while (off < n) {
		w = write(STDOUT_FILENO, out + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err_set(e, EX_IOERR, "writing the answer: %s",
			    w < 0 ? strerror(errno) : "short write");
			goto out;
		}
		off += (size_t)w;
	}
	r = 0;
 out:
	secret_free(out);
	return r;
}

/* Answers username=<user> password=<secret>. */
static int
cred_answer_pair(const char *user, const char *secret, struct ldrt_err *e)
{
	struct credential ans = CREDENTIAL_INIT;
	int r;

	ans.username = xstrdup(user);
	ans.password = secret_strdup(secret);
	r = cred_answer(&ans, e);
	credential_release(&ans);
	return r;
}

static int
cred_str_eq_ct(const char *a, const char *b)
{
	unsigned char d = 0;
	size_t i, n;

	if (a == NULL || b == NULL || (n = strlen(a)) != strlen(b))
		return 0;
	for (i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/*
 * Re-resolves the context for another profile.  profile is copied (it may
 * point into the configuration that ctx_release() frees); the copy stays
 * until the next call, as long as the context may use it.
 */
static int
cred_use_profile(struct ldrt_ctx *ctx, const char *profile,
    struct ldrt_err *e)
{
	static char *held;
	struct ldrt_globals g;
	char *copy;

	if (ctx->cfg != NULL && ctx->profile != NULL &&
	    strcmp(ctx->profile, profile) == 0)
		return 0;
	copy = xstrdup(profile);
	g = ctx->g;
	g.profile = copy;
	ctx_release(ctx);
	ctx->g = g;
	free(held);
	held = copy;
	return ctx_init(ctx, e);
}

/* ---- protocol=ldrelay ---- */

/* A lock name for creating relay NAME: state ids are [A-Za-z0-9_-]. */
static char *
cred_create_lock_id(const char *name)
{
	gchar *h = g_compute_checksum_for_string(G_CHECKSUM_SHA256, name, -1);
	char *id = xasprintf("create-%.40s", h);

	g_free(h);
	return id;
}

/* The stored key of relay target: 0 (*key, *id, *name set), STORE_ABSENT,
 * -1.  Not stored locally at all is STORE_ABSENT too. */
static int
cred_relay_key(struct ldrt_ctx *ctx, const char *target, char **id,
    char **name, char **key, struct ldrt_err *e)
{
	struct store_key k;
	struct store *s;
	int r;

	*id = *name = *key = NULL;
	if (ctx_local_relay(ctx, target, id, name, e) != 0) {
		if (e->ex == EX_NOUSER) {
			err_clear(e);
			return STORE_ABSENT;
		}
		return -1;
	}
	if (ctx_store(ctx, &s, e) != 0)
		return -1;
	memset(&k, 0, sizeof(k));
	k.kind = STORE_RELAY_KEY;
	k.profile = ctx->profile;
	k.api_host = ctx->api_host;
	k.relay_id = *id;
	r = store_get(s, &k, key, e);
	return r;
}

/*
 * create-missing: creates relay name through the API, stores its key and
 * sets *key.  Serialised per name (a second caller waits, then finds the
 * key stored).  0 or -1.
 */
static int
cred_relay_create(struct ldrt_ctx *ctx, const struct config_relay *sec,
    const char *name, char **key, struct ldrt_err *e)
{
	struct relay_config rc = RELAY_CONFIG_INIT, found = RELAY_CONFIG_INIT;
	struct ldrt_err e2 = LDRT_ERR_INIT;
	struct state_lock *lk = NULL;
	struct store *s;
	struct api *a;
	char *lockid, *id = NULL, *nm = NULL, *policy = NULL;
	int r, ret = -1;

	*key = NULL;
	if (sec->policy == NULL)
		return err_set(e, EX_CONFIG, "relay '%s' says create-missing "
		    "but has no policy", name);
	lockid = cred_create_lock_id(name);
	r = state_lock(lockid, CRED_CREATE_LOCK_WAIT, &lk, e);
	free(lockid);
	if (r != 0)
		return -1;
	/* another caller may have created it while we waited */
	r = cred_relay_key(ctx, name, &id, &nm, key, e);
	if (r <= 0) {
		ret = r;
		goto out;
	}
	if (ctx_store(ctx, &s, e) != 0 || ctx_api(ctx, &a, e) != 0)
		goto out;
	if (ctx_find_relay(ctx, name, &found, e) == 0) {
		err_set(e, EX_NOUSER, "relay config '%s' exists (id %s) but "
		    "its key is not stored; run 'ld-relay-token import' or "
		    "'ld-relay-token rotate'", name, found.id);
		goto out;
	}
	if (e->ex != EX_NOUSER)
		goto out;
	err_clear(e);
	if (cmd_read_policy(sec->policy, &policy, e) != 0)
		goto out;
	if (api_create(a, name, policy, &rc, e) != 0)
		goto out;
	if (cmd_keep_new_key(ctx, s, &rc, e) != 0)
		goto out;
	cmd_note_key(&rc, 0, NULL);
	if (ctx->cfg != NULL && ctx->cfg->path != NULL &&
	    config_set_relay_key(ctx->cfg->path, rc.name, "id", rc.id,
	    &e2) != 0)
		log_warn("%s", e2.msg);
	*key = secret_strdup(rc.full_key);
	ret = 0;
 out:
	state_unlock(lk);
	relay_config_release(&rc);
	relay_config_release(&found);
	free(policy);
	free(id);
	free(nm);
	return ret;
}

static int
cred_ldrelay(struct ldrt_ctx *ctx, enum cred_op op, const struct credential *c,
    const char *target, int is_id, struct ldrt_err *e)
{
	const struct config_relay *sec;
	const char *prof = NULL;
	char *id = NULL, *name = NULL, *key = NULL;
	int r, ret = -1;

	if (op == CRED_STORE)
		return 0;		/* keys come from the API */
	if (ctx_init(ctx, e) != 0)
		return -1;
	if (c->username != NULL && c->username[0] != '\0')
		prof = c->username;
	else if (ctx->g.profile == NULL && cred_env("LDRT_PROFILE") == NULL &&
	    (sec = ctx_relay_section(ctx, is_id ? NULL : target,
	    is_id ? target : NULL)) != NULL)
		prof = sec->profile;	/* none asked for: the section's */
	if (prof != NULL && cred_use_profile(ctx, prof, e) != 0)
		return -1;
	r = cred_relay_key(ctx, target, &id, &name, &key, e);
	if (r < 0)
		goto out;
	if (op == CRED_ERASE) {
		if (r == 0 && (c->password == NULL ||
		    cred_str_eq_ct(c->password, key)) &&
		    state_record_mark_rejected(id, name != NULL ? name :
		    (is_id ? NULL : target), e) != 0)
			goto out;
		ret = 0;
		goto out;
	}
	if (r == STORE_ABSENT) {
		sec = ctx_relay_section(ctx, is_id ? NULL : target,
		    is_id ? target : id);
		if (sec == NULL || !sec->create_missing || is_id) {
			ret = 0;	/* a miss: say nothing */
			goto out;
		}
		if (sec->id != NULL) {
			err_set(e, EX_NOUSER, "no key stored for relay '%s' "
			    "(id %s); create-missing applies only to a config "
			    "that does not exist yet: run 'ld-relay-token "
			    "import' or 'ld-relay-token rotate'", target,
			    sec->id);
			goto out;
		}
		if (cred_relay_create(ctx, sec, target, &key, e) != 0)
			goto out;
	}
	if (cred_answer_pair(ctx->profile, key, e) != 0)
		goto out;
	ret = 0;
 out:
	secret_free(key);
	free(id);
	free(name);
	return ret;
}

/* ---- the API token ---- */

/* The API URL a profile would use (as ctx_init resolves it). */
static const char *
cred_profile_api_url(struct ldrt_ctx *ctx, const char *profile)
{
	const struct config_profile *p;

	if (ctx->g.api_url != NULL)
		return ctx->g.api_url;
	if (cred_env("LDRT_API_URL") != NULL)
		return cred_env("LDRT_API_URL");
	p = ctx->cfg != NULL ? config_profile(ctx->cfg, profile) : NULL;
	if (p != NULL && p->api_url != NULL)
		return p->api_url;
	return CRED_DEFAULT_API_URL;
}

/* Length of s without a default port suffix for scheme. */
static size_t
cred_host_len(const char *scheme, const char *s, size_t n)
{
	if (strcasecmp(scheme, "https") == 0 && n > 4 &&
	    memcmp(s + n - 4, ":443", 4) == 0)
		return n - 4;
	if (strcasecmp(scheme, "http") == 0 && n > 3 &&
	    memcmp(s + n - 3, ":80", 3) == 0)
		return n - 3;
	return n;
}

/*
 * 1 if (protocol, host) of c is the scheme and host[:port] of url,
 * compared case-insensitively and with a default port dropped.
 */
static int
cred_is_api_url(const struct credential *c, const char *url)
{
	const char *sep, *h, *end;
	size_t sl, hl, cl;

	if (c->protocol == NULL || c->host == NULL ||
	    (sep = strstr(url, "://")) == NULL)
		return 0;
	sl = (size_t)(sep - url);
	if (strlen(c->protocol) != sl ||
	    strncasecmp(c->protocol, url, sl) != 0)
		return 0;
	h = sep + 3;
	end = h + strcspn(h, "/?#");
	if (memchr(h, '@', (size_t)(end - h)) != NULL)
		h = (const char *)memchr(h, '@', (size_t)(end - h)) + 1;
	hl = cred_host_len(c->protocol, h, (size_t)(end - h));
	cl = cred_host_len(c->protocol, c->host, strlen(c->host));
	return hl == cl && hl > 0 && strncasecmp(h, c->host, hl) == 0;
}

/*
 * Picks the profile whose API host c names: its username if given, else
 * the profile in use, else the first configured profile that matches.
 * Re-resolves ctx for it.  1 if c is an API-token request, 0 if not, -1.
 */
static int
cred_api_profile(struct ldrt_ctx *ctx, const struct credential *c,
    struct ldrt_err *e)
{
	size_t i;

	if (c->username != NULL) {
		if (c->username[0] == '\0' || !cred_is_api_url(c,
		    cred_profile_api_url(ctx, c->username)))
			return 0;
		return cred_use_profile(ctx, c->username, e) == 0 ? 1 : -1;
	}
	if (cred_is_api_url(c, ctx->api_url))
		return 1;
	for (i = 0; ctx->cfg != NULL && i < ctx->cfg->nprofiles; i++) {
		if (!cred_is_api_url(c, cred_profile_api_url(ctx,
		    ctx->cfg->profiles[i].name)))
			continue;
		return cred_use_profile(ctx, ctx->cfg->profiles[i].name,
		    e) == 0 ? 1 : -1;
	}
	return 0;
}

static int
cred_token(struct ldrt_ctx *ctx, enum cred_op op, const struct credential *c,
    struct ldrt_err *e)
{
	struct store_key k;
	struct store *s;
	char *tok = NULL;
	int r, ret = -1;

	if (op == CRED_STORE && (c->ephemeral || c->password == NULL ||
	    c->password[0] == '\0'))
		return 0;
	if (ctx_store(ctx, &s, e) != 0)
		return -1;
	memset(&k, 0, sizeof(k));
	k.kind = STORE_API_TOKEN;
	k.profile = ctx->profile;
	k.api_host = ctx->api_host;
	if ((r = store_get(s, &k, &tok, e)) < 0)
		goto out;
	switch (op) {
	case CRED_GET:
		if (r == 0 && cred_answer_pair(ctx->profile, tok, e) != 0)
			goto out;
		break;
	case CRED_STORE:
		if ((r != 0 || !cred_str_eq_ct(tok, c->password)) &&
		    store_put(s, &k, c->password, e) != 0)
			goto out;
		break;
	case CRED_ERASE:
		if (r == 0 && (c->password == NULL ||
		    cred_str_eq_ct(tok, c->password)) &&
		    store_delete(s, &k, e) < 0)
			goto out;
		break;
	}
	ret = 0;
 out:
	secret_free(tok);
	return ret;
}

/* ---- generic credentials ---- */

static int
cred_generic(struct ldrt_ctx *ctx, enum cred_op op, const struct credential *c,
    struct ldrt_err *e)
{
	struct credential ans = CREDENTIAL_INIT;
	struct store *s;
	int r, ret = -1;

	if (op == CRED_GET && (c->protocol == NULL ||
	    (c->host == NULL && c->path == NULL)))
		return 0;
	if (op == CRED_STORE && (c->ephemeral || !credential_is_complete(c)))
		return 0;
	if (ctx_store(ctx, &s, e) != 0)
		return -1;
	switch (op) {
	case CRED_GET:
		if ((r = store_cred_get(s, c, &ans, e)) < 0)
			goto out;
		if (r == 0) {
			/* answer only the secret parts and the user */
			free(ans.protocol);
			free(ans.host);
			free(ans.path);
			ans.protocol = ans.host = ans.path = NULL;
			if (cred_answer(&ans, e) != 0)
				goto out;
		}
		break;
	case CRED_STORE:
		if (store_cred_put(s, c, e) != 0)
			goto out;
		break;
	case CRED_ERASE:
		if (store_cred_erase(s, c, e) < 0)
			goto out;
		break;
	}
	ret = 0;
 out:
	credential_release(&ans);
	return ret;
}

/* ---- the command ---- */

static int
cred_run(struct ldrt_ctx *ctx, enum cred_op op, struct ldrt_err *e)
{
	struct credential c = CREDENTIAL_INIT;
	const char *target = NULL;
	int r, is_id = 0, ret = -1;

	ctx->g.no_prompt = 1;	/* never prompt inside a git call */
	ctx->g.config_quiet = 1;	/* stderr only on real failures */
	if (credential_read_fd(STDIN_FILENO, &c, e) != 0)
		goto out;
	r = credential_ldrelay_target(&c, &target, &is_id, e);
	if (r < 0)
		goto out;
	if (r == 0) {
		ret = cred_ldrelay(ctx, op, &c, target, is_id, e);
		goto out;
	}
	if (ctx_init(ctx, e) != 0)
		goto out;
	if ((r = cred_api_profile(ctx, &c, e)) < 0)
		goto out;
	if (r == 1)
		ret = cred_token(ctx, op, &c, e);
	else
		ret = cred_generic(ctx, op, &c, e);
 out:
	credential_release(&c);
	return ret;
}

static int
cmd_credential_exec(struct ldrt_ctx *ctx, int argc, char **argv,
    struct ldrt_err *e)
{
	struct option *lo = cli_longopts(NULL, NULL);
	const char *ops;
	enum cred_op op;
	int opt, r, ret = -1;

	while ((r = cli_getopt(&cmd_credential_entry, ctx, argc, argv,
	    CLI_GLOBAL_SHORTOPTS, lo, &opt, e)) == 1) {
		cli_usage(&cmd_credential_entry, e);
		goto out;
	}
	if (r < 0)
		goto out;
	if (optind + 1 != argc) {
		cli_usage(&cmd_credential_entry, e);
		goto out;
	}
	ops = argv[optind];
	if (strcmp(ops, "get") == 0)
		op = CRED_GET;
	else if (strcmp(ops, "store") == 0)
		op = CRED_STORE;
	else if (strcmp(ops, "erase") == 0)
		op = CRED_ERASE;
	else {
		ret = 0;	/* unknown operation: silently, stdin unread */
		goto out;
	}
	ret = cred_run(ctx, op, e);
 out:
	free(lo);
	return ret == 0 ? 0 : (e->ex != 0 ? e->ex : EX_SOFTWARE);
}
