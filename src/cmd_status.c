/*
 * cmd_status.c: "status": profile, API URL, store backend and why, where
 * the token comes from and its fingerprint, whether the API answers and
 * accepts it, and who the token belongs to.
 *
 * The report is printed whatever fails; the exit code is 0 only when a
 * token is available and the API accepted it, else the first failure's.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cli.h"
#include "ldrt_config.h"
#include "log.h"
#include "relay_note.h"
#include "timeutil.h"
#include "secret.h"
#include "store.h"

enum { OPT_JSON = CLI_CMD_OPT };

static const struct option cmd_status_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

static int cmd_status_exec(struct ldrt_ctx *, int, char **,
    struct ldrt_err *);

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.exec = cmd_status_exec,
};

struct status_report {
	const char	*store;
	const char	*store_why;
	char		 store_msg[LDRT_ERR_MSG_MAX];	/* why unavailable */
	const char	*token_state;	/* present | absent | error */
	const char	*token_source;
	char		 fingerprint[13];
	const char	*api;		/* ok | rejected | unreachable | - */
	char		 api_msg[LDRT_ERR_MSG_MAX];
	struct caller_identity id;
	int		 have_id;
	struct relay_config_list relays;
	int		 have_relays;
	int		 ex;
};

static void
cmd_status_fail(struct status_report *rep, const struct ldrt_err *e)
{
	if (rep->ex == 0)
		rep->ex = e->ex != 0 ? e->ex : EX_SOFTWARE;
}

static void
cmd_status_gather(struct ldrt_ctx *ctx, struct status_report *rep)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct store *s;
	struct api *a;
	const char *tok;

	rep->api = "-";
	if (ctx_store(ctx, &s, &e) == 0) {
		rep->store = store_backend_name(s);
		rep->store_why = store_reason(s);
	} else {
		/* the token may still come from a systemd credential */
		rep->store = "unavailable";
		snprintf(rep->store_msg, sizeof(rep->store_msg), "%s", e.msg);
		rep->store_why = rep->store_msg;
	}
	err_clear(&e);
	if (ctx_token(ctx, &tok, &e) != 0) {
		rep->token_state = e.ex == EX_NOPERM &&
		    strncmp(e.msg, "not logged in", 13) == 0 ? "absent" :
		    "error";
		snprintf(rep->api_msg, sizeof(rep->api_msg), "%s", e.msg);
		cmd_status_fail(rep, &e);
		return;
	}
	rep->token_state = "present";
	rep->token_source = ctx->token_source;
	secret_fingerprint(tok, rep->fingerprint);
	if (ctx_api(ctx, &a, &e) != 0 || api_check_token(a, &e) != 0) {
		rep->api = e.ex == EX_NOPERM ? "rejected" : "unreachable";
		snprintf(rep->api_msg, sizeof(rep->api_msg), "%s", e.msg);
		cmd_status_fail(rep, &e);
		return;
	}
	rep->api = "ok";
	if (api_caller_identity(a, &rep->id, &e) == 0)
		rep->have_id = 1;
	err_clear(&e);
	if (api_list(a, &rep->relays, &e) == 0)
		rep->have_relays = 1;
}

/* Relay configs whose local state has something to say. */
static void
cmd_status_relays_text(const struct status_report *rep)
{
	struct relay_notes notes;
	int64_t now = time_now_ms(), old;
	char note[512];
	size_t i;

	printf("relays:       %zu\n", rep->relays.n);
	relay_notes_load(&notes);
	for (i = 0; i < rep->relays.n; i++) {
		if (relay_note_in(&notes, &rep->relays.items[i], now, &old,
		    note, sizeof(note)) & RELAY_NOTE_WARN)
			log_warn("relay '%s': %s", rep->relays.items[i].name,
			    note);
		if (note[0] != '\0') {
			text_sanitize(rep->relays.items[i].name);
			text_sanitize(note);
			printf("  %s (%s): %s\n", rep->relays.items[i].name,
			    rep->relays.items[i].id, note);
		}
	}
	relay_notes_release(&notes);
}

static void
cmd_status_text(struct ldrt_ctx *ctx, const struct status_report *rep)
{
	printf("profile:      %s\n", ctx->profile);
	printf("api url:      %s\n", ctx->api_url);
	printf("config:       %s%s\n", ctx->cfg->path,
	    ctx->cfg->exists ? "" : " (absent)");
	printf("store:        %s%s%s%s\n", rep->store,
	    rep->store_why != NULL ? " (" : "",
	    rep->store_why != NULL ? rep->store_why : "",
	    rep->store_why != NULL ? ")" : "");
	printf("token:        %s", rep->token_state);
	if (rep->token_source != NULL)
		printf(" (from %s)", rep->token_source);
	putchar('\n');
	if (rep->fingerprint[0] != '\0')
		printf("fingerprint:  %s\n", rep->fingerprint);
	printf("api:          %s%s%s\n", rep->api,
	    rep->api_msg[0] != '\0' ? ": " : "", rep->api_msg);
	if (rep->have_id) {
		/* the API's text, printed on a terminal */
		if (rep->id.token_name != NULL)
			text_sanitize(rep->id.token_name);
		if (rep->id.token_kind != NULL)
			text_sanitize(rep->id.token_kind);
		if (rep->id.account_id != NULL)
			text_sanitize(rep->id.account_id);
		if (rep->id.member_id != NULL)
			text_sanitize(rep->id.member_id);
		printf("caller:       %s%s%s%s\n",
		    rep->id.token_name != NULL ? rep->id.token_name : "-",
		    rep->id.token_kind != NULL ? " (" : "",
		    rep->id.token_kind != NULL ? rep->id.token_kind : "",
		    rep->id.token_kind != NULL ? ")" : "");
		if (rep->id.account_id != NULL)
			printf("account:      %s\n", rep->id.account_id);
		if (rep->id.member_id != NULL)
			printf("member:       %s\n", rep->id.member_id);
	}
	if (rep->have_relays)
		cmd_status_relays_text(rep);
}

static void
json_add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v != NULL ? json_object_new_string(v) :
	    NULL);
}

static struct json_object *
cmd_status_relays_json(const struct status_report *rep)
{
	struct json_object *arr = json_object_new_array(), *r;
	struct relay_notes notes;
	int64_t now = time_now_ms(), old;
	char note[512], t[40];
	size_t i;

	relay_notes_load(&notes);
	for (i = 0; i < rep->relays.n; i++) {
		relay_note_in(&notes, &rep->relays.items[i], now, &old, note,
		    sizeof(note));
		r = json_object_new_object();
		json_add_str(r, "id", rep->relays.items[i].id);
		json_add_str(r, "name", rep->relays.items[i].name);
		time_format_ms(old, t, sizeof(t));
		json_add_str(r, "old_key_expires_at", old > 0 ? t : NULL);
		json_add_str(r, "note", note[0] != '\0' ? note : NULL);
		json_object_array_add(arr, r);
	}
	relay_notes_release(&notes);
	return arr;
}

static void
cmd_status_json(struct ldrt_ctx *ctx, const struct status_report *rep)
{
	struct json_object *o = json_object_new_object(), *id;

	json_add_str(o, "profile", ctx->profile);
	json_add_str(o, "api_url", ctx->api_url);
	json_add_str(o, "config", ctx->cfg->path);
	json_object_object_add(o, "config_exists",
	    json_object_new_boolean(ctx->cfg->exists));
	json_add_str(o, "store", rep->store);
	json_add_str(o, "store_reason", rep->store_why);
	json_add_str(o, "token", rep->token_state);
	json_add_str(o, "token_source", rep->token_source);
	json_add_str(o, "fingerprint", rep->fingerprint[0] != '\0' ?
	    rep->fingerprint : NULL);
	json_add_str(o, "api", rep->api);
	json_add_str(o, "message", rep->api_msg[0] != '\0' ? rep->api_msg :
	    NULL);
	if (rep->have_id) {
		id = json_object_new_object();
		json_add_str(id, "token_name", rep->id.token_name);
		json_add_str(id, "token_kind", rep->id.token_kind);
		json_add_str(id, "account_id", rep->id.account_id);
		json_add_str(id, "member_id", rep->id.member_id);
		json_object_object_add(o, "caller", id);
	}
	if (rep->have_relays)
		json_object_object_add(o, "relays", cmd_status_relays_json(rep));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static int
cmd_status_exec(struct ldrt_ctx *ctx, int argc, char **argv,
    struct ldrt_err *e)
{
	struct option *lo = cli_longopts(cmd_status_opts, NULL);
	struct status_report rep;
	int opt, r, json = 0;

	while ((r = cli_getopt(&cmd_status_entry, ctx, argc, argv,
	    CLI_GLOBAL_SHORTOPTS, lo, &opt, e)) == 1) {
		if (opt != OPT_JSON)
			break;
		json = 1;
	}
	free(lo);
	if (r < 0)
		return e->ex;
	if (r == 1 || optind != argc)
		return cli_usage(&cmd_status_entry, e), EX_USAGE;
	if (ctx_init(ctx, e) != 0)
		return e->ex;
	memset(&rep, 0, sizeof(rep));
	cmd_status_gather(ctx, &rep);
	if (json)
		cmd_status_json(ctx, &rep);
	else
		cmd_status_text(ctx, &rep);
	if (rep.have_id)
		caller_identity_release(&rep.id);
	relay_config_list_release(&rep.relays);
	return rep.ex;
}
