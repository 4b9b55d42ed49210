/*
 * cmd_list.c: "list": the API's relay configs joined with local state
 * (key stored here? when created or rotated, old key expiry, warnings).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cli.h"
#include "log.h"
#include "relay_note.h"
#include "state.h"
#include "store.h"
#include "timeutil.h"

enum { OPT_JSON = CLI_CMD_OPT };

static const struct option cmd_list_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 }
};

static int cmd_list_exec(struct ldrt_ctx *, int, char **, struct ldrt_err *);

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.exec = cmd_list_exec,
};

static int
cmd_list_cmp_id(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The relay ids with a stored key, sorted for cmd_list_stored. */
static char **
cmd_list_stored_ids(const struct store_item *items, size_t n, size_t *nids)
{
	char **ids = xcalloc(n + 1, sizeof(*ids));
	size_t i;

	*nids = 0;
	for (i = 0; i < n; i++)
		if (items[i].relay_id != NULL)
			ids[(*nids)++] = items[i].relay_id;
	qsort(ids, *nids, sizeof(*ids), cmd_list_cmp_id);
	return ids;
}

static int
cmd_list_stored(char **ids, size_t n, const char *id)
{
	return bsearch(&id, ids, n, sizeof(*ids), cmd_list_cmp_id) != NULL;
}

static void
cmd_list_json(const struct relay_config_list *l, char **stored, size_t ns)
{
	struct json_object *arr = json_object_new_array(), *o;
	struct relay_notes notes;
	char buf[40], note[512];
	int64_t now = time_now_ms(), old;
	size_t i;

	relay_notes_load(&notes);
	for (i = 0; i < l->n; i++) {
		relay_note_in(&notes, &l->items[i], now, &old, note,
		    sizeof(note));
		o = json_object_new_object();
		json_object_object_add(o, "id",
		    json_object_new_string(l->items[i].id));
		json_object_object_add(o, "name",
		    json_object_new_string(l->items[i].name));
		json_object_object_add(o, "display_key",
		    json_object_new_string(l->items[i].display_key));
		time_format_ms(l->items[i].creation_ms, buf, sizeof(buf));
		json_object_object_add(o, "created_at",
		    json_object_new_string(buf));
		json_object_object_add(o, "stored", json_object_new_boolean(
		    cmd_list_stored(stored, ns, l->items[i].id)));
		time_format_ms(old, buf, sizeof(buf));
		json_object_object_add(o, "old_key_expires_at", old > 0 ?
		    json_object_new_string(buf) : NULL);
		json_object_object_add(o, "note", note[0] != '\0' ?
		    json_object_new_string(note) : NULL);
		json_object_array_add(arr, o);
	}
	relay_notes_release(&notes);
	puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
}

struct cmd_list_line {
	char	*buf;
	size_t	 len, cap;
};

static void
cmd_list_reserve(struct cmd_list_line *ln, size_t n)
{
	if (ln->cap - ln->len > n)
		return;
	ln->cap = ln->len + n + 256;
	ln->buf = xrealloc(ln->buf, ln->cap);
}

/* Appends s to the line, padded with spaces to w bytes (as "%-*s"), and
 * the two spaces between columns unless it is the last. */
static void
cmd_list_col(struct cmd_list_line *ln, const char *s, size_t w, int last)
{
	size_t n = strlen(s), pad = n < w ? w - n : 0;

	cmd_list_reserve(ln, n + pad + 2);
	memcpy(ln->buf + ln->len, s, n);
	ln->len += n;
	if (last)
		return;
	memset(ln->buf + ln->len, ' ', pad + 2);
	ln->len += pad + 2;
}

static void
cmd_list_text(const struct relay_config_list *l, char **stored, size_t ns)
{
	struct cmd_list_line ln = { NULL, 0, 0 };
	struct relay_notes notes;
	size_t i, w = 4;
	char buf[40], note[512];
	int64_t now = time_now_ms(), old;

	for (i = 0; i < l->n; i++)
		if (strlen(l->items[i].name) > w)
			w = strlen(l->items[i].name);
	if (w > 40)
		w = 40;
	printf("%-24s  %-*s  %-4s  %-20s  %-6s  %s\n", "ID", (int)w, "NAME",
	    "KEY", "CREATED", "STORED", "NOTE");
	relay_notes_load(&notes);
	for (i = 0; i < l->n; i++) {
		if (relay_note_in(&notes, &l->items[i], now, &old, note,
		    sizeof(note)) & RELAY_NOTE_WARN)
			log_warn("relay '%s': %s", l->items[i].name, note);
		time_format_ms(l->items[i].creation_ms, buf, sizeof(buf));
		ln.len = 0;
		cmd_list_col(&ln, l->items[i].id, 24, 0);
		cmd_list_col(&ln, l->items[i].name, w, 0);
		cmd_list_col(&ln, l->items[i].display_key, 4, 0);
		cmd_list_col(&ln, buf, 20, 0);
		cmd_list_col(&ln, cmd_list_stored(stored, ns, l->items[i].id) ?
		    "yes" : "no", 6, 0);
		cmd_list_col(&ln, note[0] != '\0' ? note : "-", 0, 1);
		cmd_list_reserve(&ln, 2);
		ln.buf[ln.len] = '\0';
		text_sanitize(ln.buf);	/* names come from the API */
		ln.buf[ln.len++] = '\n';
		fwrite(ln.buf, 1, ln.len, stdout);
	}
	relay_notes_release(&notes);
	free(ln.buf);
}

static int
cmd_list_exec(struct ldrt_ctx *ctx, int argc, char **argv, struct ldrt_err *e)
{
	struct relay_config_list l = RELAY_CONFIG_LIST_INIT;
	struct store_item *items = NULL;
	struct store_key pat;
	char **stored = NULL;
	struct option *lo;
	struct store *s;
	struct api *a;
	size_t n = 0, ns = 0;
	int opt, r, json = 0, ret = -1;

	lo = cli_longopts(cmd_list_opts, NULL);
	while ((r = cli_getopt(&cmd_list_entry, ctx, argc, argv,
	    CLI_GLOBAL_SHORTOPTS, lo, &opt, e)) == 1) {
		if (opt != OPT_JSON) {
			cli_usage(&cmd_list_entry, e);
			goto out;
		}
		json = 1;
	}
	if (r < 0)
		goto out;
	if (optind != argc) {
		cli_usage(&cmd_list_entry, e);
		goto out;
	}
	if (ctx_store(ctx, &s, e) != 0 || ctx_api(ctx, &a, e) != 0)
		goto out;
	if (api_list(a, &l, e) != 0)
		goto out;
	memset(&pat, 0, sizeof(pat));
	pat.kind = STORE_RELAY_KEY;
	pat.profile = ctx->profile;
	pat.api_host = ctx->api_host;
	if (store_list(s, &pat, &items, &n, e) != 0)
		goto out;
	stored = cmd_list_stored_ids(items, n, &ns);
	if (json)
		cmd_list_json(&l, stored, ns);
	else
		cmd_list_text(&l, stored, ns);
	ret = 0;
out:
	free(stored);
	store_items_free(items, n);
	relay_config_list_release(&l);
	free(lo);
	return ret == 0 ? 0 : (e->ex != 0 ? e->ex : EX_SOFTWARE);
}
