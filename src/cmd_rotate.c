/*
 * cmd_rotate.c: "rotate NAME|ID... | --all": reset relay keys with a grace
 * period, store the new keys, update outputs and run the restart command.
 * The workflow is rotate.c's; this file parses options, picks the relays
 * and turns per-relay results into summaries and one exit code:
 * 0 when every relay succeeded (also "nothing due"); otherwise 75 if any
 * failure was temporary, else the first permanent failure's code.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ldrt_config.h"
#include "log.h"
#include "output.h"
#include "rotate.h"
#include "state.h"
#include "store.h"
#include "timeutil.h"

enum {
	OPT_GRACE = CLI_CMD_OPT,
	OPT_EXPIRY,
	OPT_IF_OLDER,
	OPT_ALL,
	OPT_ALL_STORED,
	OPT_DRY_RUN,
	OPT_REPAIR,
	OPT_FORCE,
	OPT_YES,
	OPT_LOCK_WAIT
};

static const struct option cmd_rotate_opts[] = {
	{ "grace",		required_argument, NULL, OPT_GRACE },
	{ "expiry",		required_argument, NULL, OPT_EXPIRY },
	{ "if-older-than",	required_argument, NULL, OPT_IF_OLDER },
	{ "all",		no_argument,	   NULL, OPT_ALL },
	{ "all-stored",		no_argument,	   NULL, OPT_ALL_STORED },
	{ "dry-run",		no_argument,	   NULL, OPT_DRY_RUN },
	{ "repair",		no_argument,	   NULL, OPT_REPAIR },
	{ "force",		no_argument,	   NULL, OPT_FORCE },
	{ "yes",		no_argument,	   NULL, OPT_YES },
	{ "lock-wait",		required_argument, NULL, OPT_LOCK_WAIT },
	{ NULL, 0, NULL, 0 }
};

/* The relays to work on: strings owned by the list. */
struct cmd_rotate_targets {
	char	**v;
	size_t	  n;
};

static int	cmd_rotate_exec(struct ldrt_ctx *, int, char **,
		    struct ldrt_err *);

const struct cmd_entry cmd_rotate_entry = {
	.name = "rotate",
	.exec = cmd_rotate_exec,
};

static void
cmd_rotate_add(struct cmd_rotate_targets *t, const char *s)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i], s) == 0)
			return;
	t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
	t->v[t->n++] = xstrdup(s);
}

static void
cmd_rotate_targets_free(struct cmd_rotate_targets *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

/* --all: every relay section of the profile; --all-stored: stored keys. */
static int
cmd_rotate_all(struct ldrt_ctx *ctx, int stored,
    struct cmd_rotate_targets *t, struct ldrt_err *e)
{
	const struct config_relay *sec;
	struct store_item *items = NULL;
	struct store_key pat;
	struct store *s;
	size_t i, n = 0;

	for (i = 0; i < ctx->cfg->nrelays; i++) {
		sec = &ctx->cfg->relays[i];
		if (strcmp(sec->profile != NULL ? sec->profile : "default",
		    ctx->profile) != 0)
			continue;
		cmd_rotate_add(t, sec->id != NULL ? sec->id : sec->name);
	}
	if (!stored)
		return 0;
	if (ctx_store(ctx, &s, e) != 0)
		return -1;
	memset(&pat, 0, sizeof(pat));
	pat.kind = STORE_RELAY_KEY;
	pat.profile = ctx->profile;
	pat.api_host = ctx->api_host;
	if (store_list(s, &pat, &items, &n, e) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (items[i].relay_id != NULL)
			cmd_rotate_add(t, items[i].relay_id);
	store_items_free(items, n);
	return 0;
}

/* --repair without names: every leftover journal. */
static int
cmd_rotate_journals(struct cmd_rotate_targets *t, struct ldrt_err *e)
{
	char **ids = NULL;
	size_t i;

	if (state_journal_list(&ids, NULL, e) != 0)
		return -1;
	for (i = 0; ids[i] != NULL; i++)
		cmd_rotate_add(t, ids[i]);
	state_list_free(ids);
	return 0;
}

/* "5", "30s", "2m": seconds to wait for a lock. */
static int
cmd_rotate_lock_wait(const char *arg, int *out, struct ldrt_err *e)
{
	int64_t s;
	char *end;

	if (isdigit((unsigned char)arg[0])) {
		s = strtoll(arg, &end, 10);
		if (*end == '\0' && s <= 86400) {
			*out = (int)s;
			return 0;
		}
	}
	if (time_parse_duration(arg, &s, e) != 0 || s > 86400)
		return err_set(e, EX_USAGE, "invalid --lock-wait '%s' (seconds "
		    "or a duration up to 1d)", arg);
	*out = (int)s;
	return 0;
}

static int
cmd_rotate_parse(struct ldrt_ctx *ctx, int argc, char **argv,
    struct rotate_opts *ro, struct output_opts *oo, int *all, int *stored,
    struct ldrt_err *e)
{
	struct option *lo;
	int opt, r, ret = -1;

	lo = cli_longopts(cmd_rotate_opts, output_longopts);
	while ((r = cli_getopt(&cmd_rotate_entry, ctx, argc, argv,
	    CLI_GLOBAL_SHORTOPTS OUTPUT_SHORTOPTS, lo, &opt, e)) == 1) {
		switch (opt) {
		case OPT_GRACE:
			if (time_parse_duration(optarg, &ro->grace_s, e) != 0)
				goto usage_value;
			continue;
		case OPT_EXPIRY:
			if (time_parse_time(optarg, &ro->expiry_ms, e) != 0)
				goto usage_value;
			continue;
		case OPT_IF_OLDER:
			if (time_parse_duration(optarg, &ro->if_older_than_s,
			    e) != 0)
				goto usage_value;
			continue;
		case OPT_ALL:
			*all = 1;
			continue;
		case OPT_ALL_STORED:
			*all = *stored = 1;
			continue;
		case OPT_DRY_RUN:
			ro->dry_run = 1;
			continue;
		case OPT_REPAIR:
			ro->repair = 1;
			continue;
		case OPT_FORCE:
			ro->force = 1;
			continue;
		case OPT_YES:
			ro->yes = 1;
			continue;
		case OPT_LOCK_WAIT:
			if (cmd_rotate_lock_wait(optarg, &ro->lock_wait, e) != 0)
				goto out;
			continue;
		}
		r = output_option(oo, opt, optarg, e);
		if (r < 0)
			goto out;
		if (r == 0) {
			cli_usage(&cmd_rotate_entry, e);
			goto out;
		}
	}
	if (r < 0)
		goto out;
	if (ro->grace_s >= 0 && ro->expiry_ms > 0) {
		err_set(e, EX_USAGE, "--grace and --expiry exclude each other");
		goto out;
	}
	if (ro->force && !ro->repair) {
		err_set(e, EX_USAGE, "--force goes with --repair");
		goto out;
	}
	if (*all && optind < argc) {
		err_set(e, EX_USAGE, "--all takes no relay names");
		goto out;
	}
	if (!*all && !ro->repair && optind >= argc) {
		cli_usage(&cmd_rotate_entry, e);
		goto out;
	}
	ret = 0;
	goto out;
usage_value:
	e->ex = EX_USAGE;
out:
	free(lo);
	return ret;
}

/* Prints what happened to one relay. */
static void
cmd_rotate_report(const struct rotate_opts *ro,
    const struct rotate_result *res, size_t ntargets)
{
	char line[700];

	rotate_summary(res, line, sizeof(line));
	switch (res->status) {
	case ROTATE_PLANNED:
	case ROTATE_NOT_DUE:
		if (ro->dry_run) {
			printf("%s\n", line);
			fflush(stdout);
		} else if (ntargets == 1) {
			log_info("nothing due: %s", line);
		} else {
			log_verbose("%s", line);
		}
		return;
	default:
		log_info("%s", line);
		return;
	}
}

static int
cmd_rotate_exec(struct ldrt_ctx *ctx, int argc, char **argv,
    struct ldrt_err *e)
{
	struct cmd_rotate_targets t = { NULL, 0 };
	const struct config_relay *sec;
	struct output_opts oo;
	struct rotate_opts ro;
	struct rotate_result res;
	struct ldrt_err e1 = LDRT_ERR_INIT;
	size_t i, nfail = 0, ndue = 0;
	int all = 0, stored = 0, first_perm = 0, temp = 0, progress;

	output_init(&oo, OUTPUT_ALLOW_KEY);
	rotate_opts_init(&ro, &oo);
	if (cmd_rotate_parse(ctx, argc, argv, &ro, &oo, &all, &stored, e) != 0)
		goto out;
	if (ctx_init(ctx, e) != 0)
		goto out;
	ro.use_max_age = all;
	for (i = (size_t)optind; i < (size_t)argc; i++)
		cmd_rotate_add(&t, argv[i]);
	if (all && cmd_rotate_all(ctx, stored, &t, e) != 0)
		goto out;
	if (!all && t.n == 0 && cmd_rotate_journals(&t, e) != 0)
		goto out;
	if (t.n == 0) {
		log_info(ro.repair && !all ? "nothing to repair (no "
		    "interrupted rotation)" : "no relay configs in profile "
		    "'%s'", ctx->profile);
		goto out;
	}
	progress = t.n > 1 && isatty(STDERR_FILENO) && !log_is_quiet();
	for (i = 0; i < t.n; i++) {
		if (progress) {
			sec = ctx_relay_section(ctx, t.v[i], t.v[i]);
			log_info("[%zu/%zu] %s ...", i + 1, t.n,
			    sec != NULL ? sec->name : t.v[i]);
		}
		err_clear(&e1);
		if (rotate_one(ctx, &ro, t.v[i], &res, &e1) != 0) {
			nfail++;
			if (e1.ex == EX_TEMPFAIL)
				temp = 1;
			else if (first_perm == 0)
				first_perm = e1.ex;
			if (t.n == 1) {
				*e = e1;
				goto out;
			}
			log_error("'%s': %s", res.name, e1.msg);
			continue;
		}
		if (res.status != ROTATE_NOT_DUE)
			ndue++;
		cmd_rotate_report(&ro, &res, t.n);
	}
	if (nfail > 0) {
		err_set(e, temp ? EX_TEMPFAIL : first_perm, "%zu of %zu relay "
		    "configs failed", nfail, t.n);
		goto out;
	}
	if (ndue == 0 && t.n > 1 && !ro.dry_run)
		log_info("nothing due (%zu relay configs checked)", t.n);
out:
	cmd_rotate_targets_free(&t);
	return e->ex != 0 ? e->ex : 0;
}
