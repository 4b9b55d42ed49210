/*
 * cmd_show.c: "show NAME|ID": one relay config from the API, with its
 * policy and the local state of its key.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cli.h"
#include "relay_note.h"
#include "secret.h"
#include "store.h"
#include "timeutil.h"

enum { OPT_JSON = CLI_CMD_OPT };

static const struct option cmd_show_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

static int cmd_show_exec(struct ldrt_ctx *, int, char **, struct ldrt_err *);

const struct cmd_entry cmd_show_entry = {
	.name = "show",
	.exec = cmd_show_exec,
};

/* "yes", "no", or "yes (differs from the API's ...X)": never the key. */
static const char *
cmd_show_stored(struct ldrt_ctx *ctx, struct store *s,
    const struct relay_config *rc, int *matches, struct ldrt_err *e)
{
	struct store_key k;
	char *key = NULL;
	size_t len;
	int r;

	memset(&k, 0, sizeof(k));
	k.kind = STORE_RELAY_KEY;
	k.profile = ctx->profile;
	k.api_host = ctx->api_host;
	k.relay_id = rc->id;
	r = store_get(s, &k, &key, e);
	if (r < 0)
		return NULL;
	if (r == STORE_ABSENT)
		return "no";
	len = strlen(key);
	*matches = len >= 4 && strcmp(key + len - 4, rc->display_key) == 0;
	secret_free(key);
	return "yes";
}

static int
cmd_show_exec(struct ldrt_ctx *ctx, int argc, char **argv, struct ldrt_err *e)
{
	struct relay_config rc = RELAY_CONFIG_INIT;
	struct json_object *o, *pol;
	struct option *lo;
	struct store *s;
	const char *stored;
	char c1[40], c2[40], note[512];
	int64_t old;
	int opt, r, json = 0, matches = 0, ret = -1;

	lo = cli_longopts(cmd_show_opts, NULL);
	while ((r = cli_getopt(&cmd_show_entry, ctx, argc, argv,
	    CLI_GLOBAL_SHORTOPTS, lo, &opt, e)) == 1) {
		if (opt != OPT_JSON) {
			cli_usage(&cmd_show_entry, e);
			goto out;
		}
		json = 1;
	}
	if (r < 0)
		goto out;
	if (optind + 1 != argc) {
		cli_usage(&cmd_show_entry, e);
		goto out;
	}
	if (ctx_store(ctx, &s, e) != 0 ||
	    ctx_find_relay(ctx, argv[optind], &rc, e) != 0)
		goto out;
	if ((stored = cmd_show_stored(ctx, s, &rc, &matches, e)) == NULL)
		goto out;
	relay_note(&rc, time_now_ms(), &old, note, sizeof(note));
	time_format_ms(rc.creation_ms, c1, sizeof(c1));
	time_format_ms(rc.modified_ms, c2, sizeof(c2));
	if (json) {
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(rc.id));
		json_object_object_add(o, "name",
		    json_object_new_string(rc.name));
		json_object_object_add(o, "display_key",
		    json_object_new_string(rc.display_key));
		json_object_object_add(o, "created_at",
		    json_object_new_string(c1));
		json_object_object_add(o, "modified_at",
		    json_object_new_string(c2));
		json_object_object_add(o, "stored", json_object_new_boolean(
		    strcmp(stored, "yes") == 0));
		json_object_object_add(o, "stored_key_matches",
		    json_object_new_boolean(matches));
		time_format_ms(old, c1, sizeof(c1));
		json_object_object_add(o, "old_key_expires_at", old > 0 ?
		    json_object_new_string(c1) : NULL);
		json_object_object_add(o, "note", note[0] != '\0' ?
		    json_object_new_string(note) : NULL);
		pol = json_tokener_parse(rc.policy_json);
		json_object_object_add(o, "policy", pol);
		puts(json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		/* the API's text, printed on a terminal */
		text_sanitize(rc.name);
		text_sanitize(rc.display_key);
		text_sanitize(rc.policy_json);
		text_sanitize(note);
		printf("id:           %s\n", rc.id);
		printf("name:         %s\n", rc.name);
		printf("display key:  %s\n", rc.display_key);
		printf("created:      %s\n", c1);
		printf("modified:     %s\n", c2);
		printf("stored:       %s%s\n", stored,
		    strcmp(stored, "yes") == 0 && !matches ?
		    " (differs from the API's display key: changed elsewhere?)" :
		    "");
		if (note[0] != '\0')
			printf("note:         %s\n", note);
		printf("policy:       %s\n", rc.policy_json);
	}
	ret = 0;
out:
	relay_config_release(&rc);
	free(lo);
	return ret == 0 ? 0 : (e->ex != 0 ? e->ex : EX_SOFTWARE);
}
