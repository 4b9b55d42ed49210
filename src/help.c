/*
 * help.c: usage lines, summaries and the global help text (see help.h).
 * The man page, ld-relay-token(1), documents the same command line;
 * tests/integration/t80-docs.sh checks that they agree.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "help.h"

const struct help_entry help_commands[] = {
	{ "login",
	    "[--token-stdin | --token-file FILE]",
	    "check the API access token and store it" },
	{ "logout",
	    "",
	    "forget the stored API access token" },
	{ "status",
	    "[--json]",
	    "show profile, store, token fingerprint and API access" },
	{ "create",
	    "NAME --policy FILE|- [--format FMT] [--var NAME] "
	    "[--env-file FILE]... [-o FILE] [--exec CMD]",
	    "create a relay config and store its key" },
	{ "list",
	    "[--json]",
	    "list relay configs with their local state" },
	{ "show",
	    "NAME|ID [--json]",
	    "show one relay config and the state of its stored key" },
	{ "update",
	    "NAME|ID [--rename NEW] [--policy FILE|-] [--comment TEXT]",
	    "rename a relay config or change its policy" },
	{ "delete",
	    "NAME|ID [--yes]",
	    "delete a relay config and forget its stored key" },
	{ "import",
	    "NAME|ID --key-stdin",
	    "adopt a relay key created elsewhere (read from stdin)" },
	{ "get",
	    "NAME|ID [--format FMT] [--var NAME] [--env-file FILE]... "
	    "[-o FILE] [--exec CMD]",
	    "print or write the stored key (no API request)" },
	{ "rotate",
	    "NAME|ID... | --all [--all-stored] [--grace DUR | --expiry "
	    "TIME] [--if-older-than DUR] [--dry-run] [--repair [--force]] "
	    "[--yes] [--lock-wait SEC] [--format FMT] [--var NAME] "
	    "[--env-file FILE]... [-o FILE] [--exec CMD] [--exec-timeout DUR]",
	    "reset relay keys with a grace period and deliver the new "
	    "keys" },
	{ "token",
	    "[--format raw|curl-config|json] [-o FILE]",
	    "print the API access token for scripts" },
	{ "store",
	    "migrate --to file|secret-service [--delete-source] "
	    "[--overwrite]",
	    "copy every stored secret to the other store backend" },
	{ "credential",
	    "get|store|erase",
	    "git credential-helper protocol on stdin/stdout" },
	{ NULL, NULL, NULL }
};

static const char help_global[] =
    "\n"
    "Global options:\n"
    "  -p, --profile NAME     profile to use (LDRT_PROFILE; default \"default\")\n"
    "      --config FILE      configuration file (LDRT_CONFIG)\n"
    "      --api-url URL      LaunchDarkly API base URL (LDRT_API_URL)\n"
    "      --ca-bundle FILE   CA certificates for the API (LDRT_CA_BUNDLE)\n"
    "      --store BACKEND    auto, secret-service or file (LDRT_STORE)\n"
    "      --proxy URL        HTTPS proxy (default: https_proxy, no_proxy)\n"
    "      --timeout SEC      per-request and keyring deadline (LDRT_TIMEOUT)\n"
    "      --no-prompt        never prompt (also when stdin is not a terminal)\n"
    "  -q, --quiet            print errors only\n"
    "  -v, --verbose          print what is being done\n"
    "      --version          print the version and exit\n"
    "  -h, --help             print this help, or a command's with COMMAND --help\n"
    "\n"
    "Output options (create, get, rotate; token takes --format and -o):\n"
    "      --format FMT       raw, shell, dotenv, systemd, docker, json,\n"
    "                         k8s-secret, curl-config (token only)\n"
    "      --var NAME         variable name (default AUTO_CONFIG_KEY)\n"
    "      --env-file FILE    merge the variable into FILE (repeatable)\n"
    "  -o, --output FILE      write the output to FILE (atomic, 0600)\n"
    "      --k8s-name NAME    Secret name for k8s-secret (default ld-relay-NAME)\n"
    "      --k8s-namespace NS Secret namespace for k8s-secret\n"
    "      --follow-symlinks  write env files and -o through symlinks\n"
    "      --exec CMD         run CMD (sh -c) after a file changed\n"
    "      --exec-timeout DUR stop CMD after DUR (default 60s)\n"
    "\n"
    "Secrets are never taken from the command line: tokens come from standard\n"
    "input, a no-echo prompt, a file, $CREDENTIALS_DIRECTORY or the store.\n"
    "See ld-relay-token(1).\n";

const struct help_entry *
help_find(const char *name)
{
	const struct help_entry *h;

	for (h = help_commands; h->name != NULL; h++)
		if (strcmp(h->name, name) == 0)
			return h;
	return NULL;
}

void
help_print(FILE *f)
{
	const struct help_entry *h;

	fputs("usage: ld-relay-token [GLOBAL OPTIONS] COMMAND [ARGS]\n\n"
	    "Commands:\n", f);
	for (h = help_commands; h->name != NULL; h++)
		fprintf(f, "  %-10s  %s\n", h->name, h->summary);
	fputs(help_global, f);
}

void
help_print_command(FILE *f, const struct help_entry *h)
{
	fprintf(f, "usage: ld-relay-token %s %s\n  %s\n", h->name, h->usage,
	    h->summary);
}
