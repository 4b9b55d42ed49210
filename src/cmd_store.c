/*
 * cmd_store.c: "store migrate --to file|secret-service [--delete-source]":
 * move every stored item (API tokens and relay keys of every profile and
 * API host) and every generic git credential the credential helper keeps
 * (store_cred_list()) from the store in use (--store, LDRT_STORE, config;
 * "auto" resolved as usual) to the other backend.
 *
 * First every item is compared with what the destination already holds:
 * a different secret under the same key (say a key rotated since) stops
 * the run with EX_DATAERR before anything is written, unless --overwrite.
 * A git credential's key is (protocol, host, path, username), its secret
 * the password with its expiry and refresh token; the destination's item
 * with exactly that key is found with store_cred_find().  Then each item
 * is read from the source, written to the destination and read back from
 * the destination; only when every item and credential was copied and
 * verified does --delete-source remove them from the source.  A git
 * credential is erased by its key and password; should that pattern also
 * match a source item that was not copied (another program's, or one of
 * a kind store_cred_list() does not show), the credential is left in the
 * source with a warning.  Any failure stops the run with the failure's
 * exit code and nothing is deleted.  The counts go to stderr (log_info);
 * stdout stays empty; no message holds a secret.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "secret.h"
#include "store.h"

#define CMD_STORE_TIMEOUT	10	/* as ctx.c's default */

enum { OPT_TO = CLI_CMD_OPT, OPT_DELETE_SOURCE, OPT_OVERWRITE };

static const struct option cmd_store_opts[] = {
	{ "to", required_argument, NULL, OPT_TO },
	{ "delete-source", no_argument, NULL, OPT_DELETE_SOURCE },
	{ "overwrite", no_argument, NULL, OPT_OVERWRITE },
	{ NULL, 0, NULL, 0 }
};

/* Every kind of item a store holds, in migration order. */
static const enum store_kind cmd_store_kinds[] = {
	STORE_API_TOKEN,
	STORE_RELAY_KEY
};

struct migration {
	struct store		*src;
	struct store		*dst;
	struct store_item	*items;
	size_t			 n;
	unsigned char		*same;		/* already in the destination */
	int			 overwrite;
	size_t			 present;
	size_t			 copied;
	size_t			 tokens;
	size_t			 keys;
	size_t			 deleted;
	struct credential	*creds;		/* git credentials, one per key */
	size_t			 ncreds;
	unsigned char		*cred_same;	/* already in the destination */
	size_t			 cred_present;
	size_t			 cred_copied;
	size_t			 cred_deleted;
	size_t			 cred_kept;	/* not erased, see above */
};

static int cmd_store_exec(struct ldrt_ctx *, int, char **,
    struct ldrt_err *);

const struct cmd_entry cmd_store_entry = {
	.name = "store",
	.exec = cmd_store_exec,
};

static void
cmd_store_key(const struct store_item *it, struct store_key *k)
{
	memset(k, 0, sizeof(*k));
	k->kind = it->kind;
	k->profile = it->profile;
	k->api_host = it->api_host;
	k->relay_id = it->relay_id;
	k->relay_name = it->relay_name;
}

/* "relay key 5f0c... (prod) of profile 'default' on HOST", no secret. */
static void
cmd_store_describe(const struct store_item *it, char *buf, size_t len)
{
	if (it->kind == STORE_RELAY_KEY)
		snprintf(buf, len, "relay key %s%s%s%s of profile '%s' on %s",
		    it->relay_id != NULL ? it->relay_id : "?",
		    it->relay_name != NULL ? " (" : "",
		    it->relay_name != NULL ? it->relay_name : "",
		    it->relay_name != NULL ? ")" : "",
		    it->profile != NULL ? it->profile : "?",
		    it->api_host != NULL ? it->api_host : "?");
	else
		snprintf(buf, len, "API token of profile '%s' on %s",
		    it->profile != NULL ? it->profile : "?",
		    it->api_host != NULL ? it->api_host : "?");
}

static int
cmd_store_streq(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

static int
cmd_store_same(const struct store_item *a, const struct store_item *b)
{
	return a->kind == b->kind && cmd_store_streq(a->profile, b->profile) &&
	    cmd_store_streq(a->api_host, b->api_host) &&
	    (a->kind != STORE_RELAY_KEY ||
	    cmd_store_streq(a->relay_id, b->relay_id));
}

/* Appends the items of one kind, skipping keys already listed (the same
 * key may sit in two keyring collections). */
static int
cmd_store_list_kind(struct migration *m, enum store_kind kind,
    struct ldrt_err *e)
{
	struct store_item *v = NULL;
	struct store_key pat;
	size_t n = 0, i, j;

	memset(&pat, 0, sizeof(pat));
	pat.kind = kind;
	if (store_list(m->src, &pat, &v, &n, e) != 0)
		return err_prefix(e, "listing the source store");
	m->items = xrealloc(m->items, (m->n + n + 1) * sizeof(*m->items));
	for (i = 0; i < n; i++) {
		for (j = 0; j < m->n; j++)
			if (cmd_store_same(&m->items[j], &v[i]))
				break;
		if (j < m->n || v[i].kind != kind)
			continue;	/* freed below */
		if (v[i].profile == NULL || v[i].api_host == NULL ||
		    (kind == STORE_RELAY_KEY && v[i].relay_id == NULL)) {
			log_warn("skipping a %s item without profile, API "
			    "host or relay id", store_kind_name(kind));
			continue;
		}
		m->items[m->n++] = v[i];
		memset(&v[i], 0, sizeof(v[i]));
	}
	store_items_free(v, n);
	return 0;
}

/* Reads item i from the source into *secret (absent is an error). */
static int
cmd_store_read_source(struct migration *m, size_t i, char **secret,
    struct ldrt_err *e)
{
	struct store_key k;
	char what[256];
	int r;

	cmd_store_key(&m->items[i], &k);
	cmd_store_describe(&m->items[i], what, sizeof(what));
	r = store_get(m->src, &k, secret, e);
	if (r < 0)
		return err_prefix(e, "reading the %s", what);
	if (r == STORE_ABSENT)
		return err_set(e, EX_TEMPFAIL, "the %s vanished from the "
		    "source while migrating", what);
	return 0;
}

/*
 * The destination already holds the item what: the same secret marks it
 * (*samep, one more *present); a different one is replaced with a warning
 * under --overwrite, else EX_DATAERR.
 */
static int
cmd_store_conflict(const struct migration *m, int same, const char *what,
    unsigned char *samep, size_t *present, struct ldrt_err *e)
{
	if (same) {
		*samep = 1;
		(*present)++;
		return 0;
	}
	if (!m->overwrite)
		return err_set(e, EX_DATAERR, "the destination already holds "
		    "a different %s (use --overwrite to replace it)", what);
	log_warn("replacing the different %s held by the destination", what);
	return 0;
}

/*
 * Compares item i with the destination: marks it "same" when the
 * destination already holds the identical secret; a different secret is
 * EX_DATAERR unless --overwrite.
 */
static int
cmd_store_check(struct migration *m, size_t i, struct ldrt_err *e)
{
	struct store_key k;
	char what[256], *secret = NULL, *cur = NULL;
	int r, ret = -1;

	cmd_store_key(&m->items[i], &k);
	cmd_store_describe(&m->items[i], what, sizeof(what));
	r = store_get(m->dst, &k, &cur, e);
	if (r < 0) {
		err_prefix(e, "checking the destination for the %s", what);
		goto out;
	}
	if (r == STORE_ABSENT) {
		ret = 0;
		goto out;
	}
	if (cmd_store_read_source(m, i, &secret, e) != 0)
		goto out;
	ret = cmd_store_conflict(m, strcmp(secret, cur) == 0, what,
	    &m->same[i], &m->present, e);
out:
	secret_free(secret);
	secret_free(cur);
	return ret;
}

/* Copies item i and reads it back from the destination. */
static int
cmd_store_copy(struct migration *m, size_t i, struct ldrt_err *e)
{
	const struct store_item *it = &m->items[i];
	struct store_key k;
	char what[256], *secret = NULL, *back = NULL;
	int r, ret = -1;

	if (m->same[i])
		return 0;	/* verified by cmd_store_check() */
	cmd_store_key(it, &k);
	cmd_store_describe(it, what, sizeof(what));
	if (cmd_store_read_source(m, i, &secret, e) != 0)
		goto out;
	if (store_put(m->dst, &k, secret, e) != 0) {
		err_prefix(e, "storing the %s", what);
		goto out;
	}
	r = store_get(m->dst, &k, &back, e);
	if (r < 0) {
		err_prefix(e, "reading back the %s", what);
		goto out;
	}
	if (r == STORE_ABSENT || strcmp(secret, back) != 0) {
		err_set(e, EX_SOFTWARE, "the %s read back from the destination "
		    "does not match the source", what);
		goto out;
	}
	log_verbose("copied the %s", what);
	ret = 0;
out:
	secret_free(secret);
	secret_free(back);
	return ret;
}

static int
cmd_store_delete_source(struct migration *m, struct ldrt_err *e)
{
	struct store_key k;
	char what[256];
	size_t i;

	for (i = 0; i < m->n; i++) {
		cmd_store_key(&m->items[i], &k);
		if (store_delete(m->src, &k, e) < 0) {
			cmd_store_describe(&m->items[i], what, sizeof(what));
			return err_prefix(e, "all %zu items were copied and "
			    "verified, but deleting the %s from the source "
			    "failed after %zu deletions", m->n, what,
			    m->deleted);
		}
		m->deleted++;
	}
	return 0;
}

/* ---- git credentials ---- */

/* "git credential for https://host/path of user 'u'", no secret; control
 * bytes (the keyring may hold anything) shown as '?'. */
static void
cmd_store_cred_describe(const struct credential *c, char *buf, size_t len)
{
	snprintf(buf, len, "git credential for %s://%s%s%s of user '%s'",
	    c->protocol != NULL ? c->protocol : "?",
	    c->host != NULL ? c->host : "",
	    c->path != NULL ? "/" : "", c->path != NULL ? c->path : "",
	    c->username != NULL ? c->username : "?");
	text_sanitize(buf);
}

/* c's key fields, borrowed (never release *k); with_password adds it. */
static void
cmd_store_cred_key(const struct credential *c, int with_password,
    struct credential *k)
{
	credential_init(k);
	k->protocol = c->protocol;
	k->host = c->host;
	k->path = c->path;
	k->username = c->username;
	if (with_password)
		k->password = c->password;
}

/* 1 if a and b hold the same secret: password, expiry, refresh token. */
static int
cmd_store_cred_same_secret(const struct credential *a,
    const struct credential *b)
{
	char *x = store_cred_secret_encode(a), *y = store_cred_secret_encode(b);
	int same = x != NULL && y != NULL && strcmp(x, y) == 0;

	secret_free(x);
	secret_free(y);
	return same;
}

/* The index in v of the credential with c's key, or -1. */
static int
cmd_store_cred_index(const struct credential *v, size_t n,
    const struct credential *c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (store_cred_same_key(&v[i], c))
			return (int)i;
	return -1;
}

/* Lists the source's git credentials: one per key (the first, as get
 * answers), skipping those git could not have stored. */
static int
cmd_store_list_creds(struct migration *m, struct ldrt_err *e)
{
	struct credential *v = NULL;
	size_t n = 0, i;

	if (store_cred_list(m->src, &v, &n, e) != 0)
		return err_prefix(e, "listing the git credentials of the "
		    "source store");
	m->creds = xcalloc(n + 1, sizeof(*m->creds));
	for (i = 0; i < n; i++) {
		if (!credential_is_complete(&v[i])) {
			log_warn("skipping a git credential without protocol, "
			    "host, username or password");
			continue;
		}
		if (cmd_store_cred_index(m->creds, m->ncreds, &v[i]) >= 0)
			continue;	/* a duplicate; freed below */
		m->creds[m->ncreds++] = v[i];
		credential_init(&v[i]);
	}
	store_creds_free(v, n);
	return 0;
}

/*
 * The destination's credential with c's exact key into *out (released by
 * the caller): 0, STORE_ABSENT or -1.
 */
static int
cmd_store_cred_dst(struct migration *m, const struct credential *c,
    struct credential *out, struct ldrt_err *e)
{
	struct credential k, *v = NULL;
	size_t n = 0;
	int i;

	credential_init(out);
	cmd_store_cred_key(c, 0, &k);
	if (store_cred_find(m->dst, &k, &v, &n, e) != 0)
		return -1;
	if ((i = cmd_store_cred_index(v, n, c)) < 0) {
		store_creds_free(v, n);
		return STORE_ABSENT;
	}
	*out = v[i];
	credential_init(&v[i]);
	store_creds_free(v, n);
	return 0;
}

/* As cmd_store_check(), for git credential i. */
static int
cmd_store_cred_check(struct migration *m, size_t i, struct ldrt_err *e)
{
	struct credential cur;
	char what[512];
	int r, ret = -1;

	cmd_store_cred_describe(&m->creds[i], what, sizeof(what));
	if ((r = cmd_store_cred_dst(m, &m->creds[i], &cur, e)) < 0) {
		err_prefix(e, "checking the destination for the %s", what);
		goto out;
	}
	if (r == STORE_ABSENT) {
		ret = 0;
		goto out;
	}
	ret = cmd_store_conflict(m, cmd_store_cred_same_secret(&m->creds[i],
	    &cur), what, &m->cred_same[i], &m->cred_present, e);
 out:
	credential_release(&cur);
	return ret;
}

/* Copies git credential i and reads it back from the destination. */
static int
cmd_store_cred_copy(struct migration *m, size_t i, struct ldrt_err *e)
{
	const struct credential *c = &m->creds[i];
	struct credential back;
	char what[512];
	int r, ret = -1;

	credential_init(&back);
	if (m->cred_same[i])
		return 0;	/* verified by cmd_store_cred_check() */
	cmd_store_cred_describe(c, what, sizeof(what));
	if (store_cred_put(m->dst, c, e) != 0) {
		err_prefix(e, "storing the %s", what);
		goto out;
	}
	if ((r = cmd_store_cred_dst(m, c, &back, e)) < 0) {
		err_prefix(e, "reading back the %s", what);
		goto out;
	}
	if (r == STORE_ABSENT || !cmd_store_cred_same_secret(c, &back)) {
		err_set(e, EX_SOFTWARE, "the %s read back from the destination "
		    "does not match the source", what);
		goto out;
	}
	log_verbose("copied the %s", what);
	ret = 0;
 out:
	credential_release(&back);
	return ret;
}

/*
 * 1 if erasing git credential i (by key and password) from the source
 * removes only credentials that were copied, 0 if it would also remove
 * another item, -1 on error.
 */
static int
cmd_store_cred_erasable(struct migration *m, size_t i, struct ldrt_err *e)
{
	const struct credential *c = &m->creds[i];
	struct credential k, *v = NULL;
	size_t n = 0, j;
	int ok = 1;

	cmd_store_cred_key(c, 0, &k);
	if (store_cred_find(m->src, &k, &v, &n, e) != 0)
		return -1;
	for (j = 0; j < n && ok; j++)
		if (v[j].password != NULL &&
		    strcmp(v[j].password, c->password) == 0 &&
		    cmd_store_cred_index(m->creds, m->ncreds, &v[j]) < 0)
			ok = 0;
	store_creds_free(v, n);
	return ok;
}

static int
cmd_store_cred_delete_source(struct migration *m, struct ldrt_err *e)
{
	struct credential k;
	char what[512];
	size_t i;
	int r;

	for (i = 0; i < m->ncreds; i++) {
		cmd_store_cred_describe(&m->creds[i], what, sizeof(what));
		if ((r = cmd_store_cred_erasable(m, i, e)) == 0) {
			log_warn("left the %s in the source: erasing it would "
			    "also erase an item that was not copied", what);
			m->cred_kept++;
			continue;
		}
		cmd_store_cred_key(&m->creds[i], 1, &k);
		if (r < 0 || store_cred_erase(m->src, &k, e) < 0)
			return err_prefix(e, "all %zu items and %zu git "
			    "credentials were copied and verified, but "
			    "erasing the %s from the source failed after %zu "
			    "item and %zu git credential deletions", m->n,
			    m->ncreds, what, m->deleted, m->cred_deleted);
		m->cred_deleted++;
	}
	return 0;
}

static int
cmd_store_open_dst(struct ldrt_ctx *ctx, const char *to, struct store **out,
    struct ldrt_err *e)
{
	struct store_opts o;

	memset(&o, 0, sizeof(o));
	o.backend = to;
	o.timeout = ctx->timeout > 0 ? ctx->timeout : CMD_STORE_TIMEOUT;
	o.interactive = ctx->interactive;
	if (store_open(&o, out, e) != 0)
		return err_prefix(e, "opening the destination store '%s'", to);
	return 0;
}

static int
cmd_store_migrate(struct ldrt_ctx *ctx, const char *to, int delete_source,
    int overwrite, struct ldrt_err *e)
{
	struct migration m;
	const char *from;
	size_t i;
	int ret = -1;

	memset(&m, 0, sizeof(m));
	m.overwrite = overwrite;
	if (ctx_store(ctx, &m.src, e) != 0)
		return -1;
	from = store_backend_name(m.src);
	if (strcmp(from, to) == 0)
		return err_set(e, EX_USAGE, "the store in use is already '%s' "
		    "(%s); choose the source with --store", from,
		    store_reason(m.src));
	for (i = 0; i < LDRT_ARRAY_SIZE(cmd_store_kinds); i++)
		if (cmd_store_list_kind(&m, cmd_store_kinds[i], e) != 0)
			goto out;
	if (cmd_store_list_creds(&m, e) != 0)
		goto out;
	if (m.n == 0 && m.ncreds == 0) {
		log_info("nothing to migrate: the %s store holds no items "
		    "and no git credentials", from);
		ret = 0;
		goto out;
	}
	if (cmd_store_open_dst(ctx, to, &m.dst, e) != 0)
		goto out;
	m.same = xcalloc(m.n + 1, 1);
	m.cred_same = xcalloc(m.ncreds + 1, 1);
	for (i = 0; i < m.n + m.ncreds; i++) {
		if ((i < m.n ? cmd_store_check(&m, i, e) :
		    cmd_store_cred_check(&m, i - m.n, e)) != 0) {
			log_error("%s", e->msg);
			err_set(e, e->ex, "nothing was copied to %s; nothing "
			    "was deleted from %s", to, from);
			goto out;
		}
	}
	for (i = 0; i < m.n; i++) {
		if (cmd_store_copy(&m, i, e) != 0) {
			log_error("%s", e->msg);
			err_set(e, e->ex, "copied %zu of %zu items from %s to "
			    "%s before the failure; nothing was deleted from "
			    "%s", m.copied, m.n, from, to, from);
			goto out;
		}
		m.copied++;
		if (m.items[i].kind == STORE_RELAY_KEY)
			m.keys++;
		else
			m.tokens++;
	}
	for (i = 0; i < m.ncreds; i++) {
		if (cmd_store_cred_copy(&m, i, e) != 0) {
			log_error("%s", e->msg);
			err_set(e, e->ex, "copied %zu of %zu items and %zu of "
			    "%zu git credentials from %s to %s before the "
			    "failure; nothing was deleted from %s", m.copied,
			    m.n, m.cred_copied, m.ncreds, from, to, from);
			goto out;
		}
		m.cred_copied++;
	}
	log_info("copied %zu item%s from %s to %s (%zu API token%s, %zu relay "
	    "key%s) and %zu git credential%s, each verified by reading it "
	    "back", m.copied, m.copied == 1 ? "" : "s", from, to, m.tokens,
	    m.tokens == 1 ? "" : "s", m.keys, m.keys == 1 ? "" : "s",
	    m.cred_copied, m.cred_copied == 1 ? "" : "s");
	if (m.present + m.cred_present > 0)
		log_info("%zu of them %s already there with the same secret",
		    m.present + m.cred_present,
		    m.present + m.cred_present == 1 ? "was" : "were");
	if (!delete_source) {
		log_info("the %s store is unchanged; run again with "
		    "--delete-source to remove the items from it", from);
		ret = 0;
		goto out;
	}
	if (cmd_store_delete_source(&m, e) != 0 ||
	    cmd_store_cred_delete_source(&m, e) != 0)
		goto out;
	log_info("deleted %zu item%s and %zu git credential%s from %s",
	    m.deleted, m.deleted == 1 ? "" : "s", m.cred_deleted,
	    m.cred_deleted == 1 ? "" : "s", from);
	ret = 0;
out:
	store_items_free(m.items, m.n);
	free(m.same);
	store_creds_free(m.creds, m.ncreds);
	free(m.cred_same);
	store_close(m.dst);
	return ret;
}

static int
cmd_store_exec(struct ldrt_ctx *ctx, int argc, char **argv,
    struct ldrt_err *e)
{
	struct option *lo = cli_longopts(cmd_store_opts, NULL);
	const char *to = NULL;
	int opt, r, delete_source = 0, overwrite = 0, ret = -1;

	while ((r = cli_getopt(&cmd_store_entry, ctx, argc, argv,
	    CLI_GLOBAL_SHORTOPTS, lo, &opt, e)) == 1) {
		if (opt == OPT_TO) {
			to = optarg;
		} else if (opt == OPT_DELETE_SOURCE) {
			delete_source = 1;
		} else if (opt == OPT_OVERWRITE) {
			overwrite = 1;
		} else {
			cli_usage(&cmd_store_entry, e);
			goto out;
		}
	}
	if (r < 0)
		goto out;
	if (optind + 1 != argc || strcmp(argv[optind], "migrate") != 0 ||
	    to == NULL) {
		cli_usage(&cmd_store_entry, e);
		goto out;
	}
	if (strcmp(to, "file") != 0 && strcmp(to, "secret-service") != 0) {
		err_set(e, EX_USAGE, "--to '%s': expected file or "
		    "secret-service", to);
		goto out;
	}
	if (ctx_init(ctx, e) != 0 ||
	    cmd_store_migrate(ctx, to, delete_source, overwrite, e) != 0)
		goto out;
	ret = 0;
out:
	free(lo);
	return ret == 0 ? 0 : (e->ex != 0 ? e->ex : EX_SOFTWARE);
}
