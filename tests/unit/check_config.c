/*
 * check_config.c: the configuration parser, its messages, the atomic
 * key update and the XDG paths.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ldrt.h"
#include "envfile.h"
#include "ldrt_config.h"

#define P "/etc/ldrt/config"

static char tmpdir[64];

static void
setup_tmp(void)
{
	umask(022);
	strcpy(tmpdir, "/tmp/check_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	LDRT_UNUSED(st);
	LDRT_UNUSED(flag);
	LDRT_UNUSED(ftw);
	return remove(path);
}

static void
teardown_tmp(void)
{
	nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static char *
tmp_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static void
write_file(const char *path, const char *data, mode_t mode)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(data, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static char *
read_file(const char *path)
{
	char *buf = xmalloc(65536);
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int
count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* msg with its one "%s" replaced by path. */
static char *
subst_path(const char *msg, const char *path)
{
	const char *at = strstr(msg, "%s");

	if (at == NULL)
		return xstrdup(msg);
	return xasprintf("%.*s%s%s", (int)(at - msg), msg, path, at + 2);
}

static struct config *
parse_ok(const char *data)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct config *c = NULL;

	ck_assert_msg(config_parse(data, strlen(data), P, &c, &e) == 0,
	    "%s", e.msg);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(c->warnings);
	return c;
}

static size_t
nwarnings(const struct config *c)
{
	size_t n;

	for (n = 0; c->warnings[n] != NULL; n++)
		;
	return n;
}

/*
 * Parsing.
 */

/* The example of DESIGN.md, "Configuration", verbatim. */
static const char design_example[] =
    "[profile default]\n"
    "api-url = https://app.launchdarkly.com\n"
    "store = auto                      # auto | secret-service | file\n"
    "[relay prod]\n"
    "profile = default\n"
    "id = 5f0c...                      # filled in by create/import\n"
    "policy = /etc/ld-relay-token/prod-policy.json\n"
    "env-file = /etc/ld-relay/env      # may repeat via env-file-2 \xe2\x80\xa6 "
    "or a list\n"
    "var = AUTO_CONFIG_KEY\n"
    "max-age = 30d\n"
    "grace = 1h\n"
    "exec = systemctl restart ld-relay   # the Relay Proxy reads its key "
    "only at start-up\n"
    "create-missing = false\n";

START_TEST(test_design_example)
{
	struct config *c = parse_ok(design_example);
	const struct config_profile *p;
	const struct config_relay *r;

	ck_assert_str_eq(c->path, P);
	ck_assert(c->exists);
	ck_assert_uint_eq(c->nprofiles, 1);
	ck_assert_uint_eq(c->nrelays, 1);
	ck_assert_uint_eq(nwarnings(c), 0);
	p = config_profile(c, "default");
	ck_assert_ptr_eq(p, &c->profiles[0]);
	ck_assert_str_eq(p->name, "default");
	ck_assert_str_eq(p->api_url, "https://app.launchdarkly.com");
	ck_assert_str_eq(p->store, "auto");
	ck_assert_ptr_null(p->ca_bundle);
	ck_assert_ptr_null(p->proxy);
	ck_assert_int_eq(p->timeout, 0);
	r = config_relay_by_name(c, "prod");
	ck_assert_ptr_eq(r, &c->relays[0]);
	ck_assert_str_eq(r->name, "prod");
	ck_assert_str_eq(r->profile, "default");
	ck_assert_str_eq(r->id, "5f0c...");
	ck_assert_str_eq(r->policy, "/etc/ld-relay-token/prod-policy.json");
	ck_assert_str_eq(r->env_files[0], "/etc/ld-relay/env");
	ck_assert_ptr_null(r->env_files[1]);
	ck_assert_str_eq(r->var, "AUTO_CONFIG_KEY");
	ck_assert_ptr_null(r->format);
	ck_assert_int_eq(r->max_age, 30 * 86400);
	ck_assert_int_eq(r->grace, 3600);
	ck_assert_str_eq(r->exec, "systemctl restart ld-relay");
	ck_assert_int_eq(r->exec_timeout, -1);
	ck_assert(!r->create_missing);
	ck_assert_ptr_eq(config_relay_by_id(c, "5f0c..."), r);
	config_free(c);
}
END_TEST

START_TEST(test_all_keys)
{
	struct config *c = parse_ok(
	    "# top comment\n"
	    "\n"
	    "[profile staging]\n"
	    "  api-url=http://127.0.0.1:8443/\n"
	    "store=file\n"
	    "ca-bundle = /etc/ssl/test ca.pem\n"
	    "proxy = http://proxy:3128\n"
	    "timeout = 3600\n"
	    "[relay a b]\n"
	    "format = systemd\n"
	    "exec-timeout = 90s\n"
	    "create-missing = true\n"
	    "exec = echo a\\#b \\\\#c x#y\n"
	    "[relay  spaced  ]\n"
	    "create-missing = 1\n");
	const struct config_profile *p = config_profile(c, "staging");
	const struct config_relay *r = config_relay_by_name(c, "a b");

	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->api_url, "http://127.0.0.1:8443/");
	ck_assert_str_eq(p->store, "file");
	ck_assert_str_eq(p->ca_bundle, "/etc/ssl/test ca.pem");
	ck_assert_str_eq(p->proxy, "http://proxy:3128");
	ck_assert_int_eq(p->timeout, 3600);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->format, "systemd");
	ck_assert_int_eq(r->exec_timeout, 90);
	ck_assert(r->create_missing);
	ck_assert_str_eq(r->exec, "echo a#b \\#c x#y");
	ck_assert_ptr_nonnull(config_relay_by_name(c, "spaced"));
	ck_assert(config_relay_by_name(c, "spaced")->create_missing);
	config_free(c);
}
END_TEST

START_TEST(test_defaults)
{
	struct config *c = parse_ok("[relay x]\n[profile y]\n"
	    "[relay z]\nmax-age =\nexec=\nenv-file=\ncreate-missing=\n");
	const struct config_relay *r;
	size_t i;

	ck_assert_uint_eq(c->nrelays, 2);
	for (i = 0; i < c->nrelays; i++) {
		r = &c->relays[i];
		ck_assert_ptr_null(r->profile);
		ck_assert_ptr_null(r->id);
		ck_assert_ptr_null(r->policy);
		ck_assert_ptr_nonnull(r->env_files);
		ck_assert_ptr_null(r->env_files[0]);
		ck_assert_ptr_null(r->var);
		ck_assert_ptr_null(r->format);
		ck_assert_int_eq(r->max_age, -1);
		ck_assert_int_eq(r->grace, -1);
		ck_assert_ptr_null(r->exec);
		ck_assert_int_eq(r->exec_timeout, -1);
		ck_assert(!r->create_missing);
	}
	ck_assert_ptr_null(config_profile(c, "y")->api_url);
	ck_assert_ptr_null(config_relay_by_id(c, ""));
	ck_assert_ptr_null(config_relay_by_id(c, NULL));
	config_free(c);
}
END_TEST

START_TEST(test_empty)
{
	static const char *in[] = { "", "\n", "# only a comment\n", "\r\n\r\n",
	    "   \n\t\n" };
	struct config *c = parse_ok(in[_i]);

	ck_assert_uint_eq(c->nprofiles, 0);
	ck_assert_uint_eq(c->nrelays, 0);
	ck_assert_ptr_null(c->warnings[0]);
	ck_assert_ptr_null(config_relay_by_name(c, "prod"));
	ck_assert_ptr_null(config_profile(c, "default"));
	config_free(c);
	config_free(NULL);
}
END_TEST

START_TEST(test_env_files)
{
	struct config *c = parse_ok(
	    "[relay prod]\n"
	    "env-file-3 = /c\n"
	    "env-file = /a1;/a2;\n"
	    "env-file-10 = /d\n"
	    "env-file-2 = /b1 ; /b\\;2\n"
	    "[relay other]\n"
	    "env-file-2 = /o\n");
	const struct config_relay *r = config_relay_by_name(c, "prod");
	static const char *want[] = { "/a1", "/a2", "/b1 ", " /b;2", "/c",
	    "/d" };
	size_t i;

	for (i = 0; i < LDRT_ARRAY_SIZE(want); i++) {
		ck_assert_ptr_nonnull(r->env_files[i]);
		ck_assert_str_eq(r->env_files[i], want[i]);
	}
	ck_assert_ptr_null(r->env_files[i]);
	r = config_relay_by_name(c, "other");
	ck_assert_str_eq(r->env_files[0], "/o");
	ck_assert_ptr_null(r->env_files[1]);
	ck_assert_uint_eq(nwarnings(c), 0);
	config_free(c);
}
END_TEST

START_TEST(test_warnings)
{
	struct config *c = parse_ok(
	    "[default]\n"			/* 1 */
	    "api-url = whatever\n"		/* 2: ignored */
	    "\n"				/* 3 */
	    "[relay prod]\r\n"			/* 4 */
	    "# comment\n"			/* 5 */
	    "  foo = 1\n"			/* 6 */
	    "env-file-1 = /x\n"			/* 7 */
	    "env-file-02 = /x\n"		/* 8 */
	    "env-file-1000 = /x\n"		/* 9 */
	    "api-url = https://x\n"		/* 10: profile key */
	    "policy[de] = x\n"			/* 11 */
	    "[profile p]\n"			/* 12 */
	    "max-age = 1d\n"			/* 13: relay key */
	    "[profiles x]\n");			/* 14 */
	static const char *want[] = {
		"config '" P "' line 1: unknown section [default]",
		"config '" P "' line 6: unknown key 'foo' in [relay prod]",
		"config '" P "' line 7: unknown key 'env-file-1' in [relay prod]",
		"config '" P "' line 8: unknown key 'env-file-02' in "
		    "[relay prod]",
		"config '" P "' line 9: unknown key 'env-file-1000' in "
		    "[relay prod]",
		"config '" P "' line 10: unknown key 'api-url' in [relay prod]",
		"config '" P "' line 11: unknown key 'policy[de]' in "
		    "[relay prod]",
		"config '" P "' line 13: unknown key 'max-age' in [profile p]",
		"config '" P "' line 14: unknown section [profiles x]",
	};
	size_t i;

	ck_assert_uint_eq(nwarnings(c), LDRT_ARRAY_SIZE(want));
	for (i = 0; i < LDRT_ARRAY_SIZE(want); i++)
		ck_assert_str_eq(c->warnings[i], want[i]);
	ck_assert_uint_eq(c->nprofiles, 1);
	ck_assert_uint_eq(c->nrelays, 1);
	ck_assert_ptr_null(c->relays[0].env_files[0]);
	config_free(c);
}
END_TEST

START_TEST(test_warnings_capped)
{
	char *data = xmalloc(1000 * 12 + 32), *p = data;
	struct config *c;
	int i;

	p += sprintf(p, "[relay r]\n");
	for (i = 0; i < 1000; i++)
		p += sprintf(p, "k%d = v\n", i);
	c = parse_ok(data);
	ck_assert_uint_eq(nwarnings(c), 101);
	ck_assert_str_eq(c->warnings[99],
	    "config '" P "' line 101: unknown key 'k99' in [relay r]");
	ck_assert_str_eq(c->warnings[100],
	    "config '" P "': more warnings not shown");
	config_free(c);
	free(data);
}
END_TEST

static const struct {
	const char	*in;
	const char	*msg;
} bad[] = {
	{ "[relay prod]\n\n# c\nmax-age = x\n",
	    "config '" P "' line 4: key 'max-age': invalid duration 'x' "
	    "(use e.g. 90s, 15m, 1h, 7d, 2w)" },
	{ "[relay prod]\r\ngrace = -1h\r\n",
	    "config '" P "' line 2: key 'grace': invalid duration '-1h' "
	    "(use e.g. 90s, 15m, 1h, 7d, 2w)" },
	{ "[relay prod]\nexec-timeout = 1h30m  # comment\n",
	    "config '" P "' line 2: key 'exec-timeout': invalid duration "
	    "'1h30m' (use e.g. 90s, 15m, 1h, 7d, 2w)" },
	{ "[relay a]\n[relay prod]\ncreate-missing = yes\n",
	    "config '" P "' line 3: key 'create-missing': invalid boolean "
	    "'yes' (use true or false)" },
	{ "[relay prod]\ncreate-missing = True\n",
	    "config '" P "' line 2: key 'create-missing': invalid boolean "
	    "'True' (use true or false)" },
	{ "[profile default]\nstore = keyring\n",
	    "config '" P "' line 2: key 'store': invalid store 'keyring' "
	    "(use auto, secret-service or file)" },
	{ "[profile default]\nstore = Auto\n",
	    "config '" P "' line 2: key 'store': invalid store 'Auto' "
	    "(use auto, secret-service or file)" },
	{ "[profile default]\napi-url = app.launchdarkly.com\n",
	    "config '" P "' line 2: key 'api-url': invalid URL "
	    "'app.launchdarkly.com' (must start with https:// or http://)" },
	{ "[profile default]\napi-url = ftp://x\n",
	    "config '" P "' line 2: key 'api-url': invalid URL 'ftp://x' "
	    "(must start with https:// or http://)" },
	{ "[profile default]\napi-url = https://\n",
	    "config '" P "' line 2: key 'api-url': invalid URL 'https://' "
	    "(no host)" },
	{ "[profile default]\ntimeout = 0\n",
	    "config '" P "' line 2: key 'timeout': invalid timeout '0' "
	    "(use whole seconds from 1 to 3600)" },
	{ "[profile default]\ntimeout = 3601\n",
	    "config '" P "' line 2: key 'timeout': invalid timeout '3601' "
	    "(use whole seconds from 1 to 3600)" },
	{ "[profile default]\ntimeout = 30s\n",
	    "config '" P "' line 2: key 'timeout': invalid timeout '30s' "
	    "(use whole seconds from 1 to 3600)" },
	{ "[profile default]\ntimeout = 99999999999999999999999\n",
	    "config '" P "' line 2: key 'timeout': invalid timeout "
	    "'99999999999999999999999' (use whole seconds from 1 to 3600)" },
	{ "[profile default]\ntimeout = -5\n",
	    "config '" P "' line 2: key 'timeout': invalid timeout '-5' "
	    "(use whole seconds from 1 to 3600)" },
	{ "[relay prod]\nenv-file = /a;;/b\n",
	    "config '" P "' line 2: key 'env-file': empty file name in list" },
	{ "[relay prod]\nenv-file = /a\nenv-file = /b\n",
	    "config '" P "' line 3: key 'env-file' repeated in [relay prod] "
	    "(first on line 2); list several files as env-file = /a;/b or "
	    "use env-file-2, env-file-3" },
	{ "[relay prod]\nid = 1\n\n id=2\n",
	    "config '" P "' line 4: key 'id' repeated in [relay prod] "
	    "(first on line 2)" },
	{ "[relay prod]\nid = 1\n[relay x]\n[relay prod]\n",
	    "config '" P "' line 4: duplicate section [relay prod]" },
	{ "[relay prod]\n[relay  prod ]\n",
	    "config '" P "' line 2: duplicate section [relay prod]" },
	{ "[profile p]\n[profile p]\n",
	    "config '" P "' line 2: duplicate section [profile p]" },
	{ "[relay]\n",
	    "config '" P "' line 1: empty relay name in [relay]" },
	{ "[relay   ]\n",
	    "config '" P "' line 1: empty relay name in [relay   ]" },
	{ "\n[profile]\n",
	    "config '" P "' line 2: empty profile name in [profile]" },
	{ "[relay prod]\nfoo\n",
	    "config '" P "' line 2: Key file contains line \xe2\x80\x9c" "foo"
	    "\xe2\x80\x9d which is not a key-value pair, group, or comment" },
	{ "# c\napi-url = x\n[profile p]\n",
	    "config '" P "' line 2: Key file does not start with a group" },
	{ "[relay prod]\nid=1\n[relay x\n",
	    "config '" P "' line 3: Key file contains line \xe2\x80\x9c"
	    "[relay x\xe2\x80\x9d which is not a key-value pair, group, or "
	    "comment" },
	{ "[relay prod]\n= value\n",
	    "config '" P "' line 2: Key file contains line \xe2\x80\x9c"
	    "= value\xe2\x80\x9d which is not a key-value pair, group, or "
	    "comment" },
	{ "[relay prod]\r\n\r\nid=1\r\n[]\r\n",
	    "config '" P "' line 4: Invalid group name: " },
	{ "[relay prod]\nexec = \xff\xfe\n",
	    "config '" P "' line 2: key 'exec': value is not UTF-8" },
	{ "[relay prod]\nid = a\\qb\n",
	    "config '" P "' line 2: key 'id': invalid escape sequence "
	    "(write \\\\ for a backslash)" },
	{ "[relay prod]\nenv-file = /a;b\\\n",
	    "config '" P "' line 2: key 'env-file': invalid escape sequence "
	    "(write \\\\ for a backslash)" },
};

START_TEST(test_bad)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct config *c = (struct config *)&e;

	ck_assert_int_eq(config_parse(bad[_i].in, strlen(bad[_i].in), P, &c,
	    &e), -1);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_str_eq(e.msg, bad[_i].msg);
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char data[] = "[relay prod]\nid = 1\nexec = a\0b\n";
	struct ldrt_err e = LDRT_ERR_INIT;
	struct config *c;

	ck_assert_int_eq(config_parse(data, sizeof(data) - 1, P, &c, &e), -1);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_str_eq(e.msg, "config '" P "' line 3: NUL byte");
}
END_TEST

/* A NULL error is allowed everywhere. */
START_TEST(test_null_err)
{
	static const char *in[] = { "[relay r]\nmax-age = x\n", "x\n",
	    "[relay r]\n[relay r]\n", "[relay r]\nid = \\q\n" };
	struct config *c;
	size_t i;

	for (i = 0; i < LDRT_ARRAY_SIZE(in); i++) {
		ck_assert_int_eq(config_parse(in[i], strlen(in[i]), NULL, &c,
		    NULL), -1);
		ck_assert_ptr_null(c);
	}
	ck_assert_int_eq(config_parse("[x]\n", 4, NULL, &c, NULL), 0);
	ck_assert_str_eq(c->warnings[0],
	    "config '(config)' line 1: unknown section [x]");
	config_free(c);
}
END_TEST

START_TEST(test_too_large)
{
	size_t n = 1024 * 1024;
	char *data = xmalloc(n + 2);
	struct ldrt_err e = LDRT_ERR_INIT;
	struct config *c;

	memset(data, '#', n + 1);
	data[n + 1] = '\0';
	data[0] = '\n';
	ck_assert_int_eq(config_parse(data, n + 1, P, &c, &e), -1);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_str_eq(e.msg, "config '" P "': larger than 1 MiB");
	/* exactly 1 MiB is fine */
	ck_assert_int_eq(config_parse(data, n, P, &c, &e), 0);
	config_free(c);
	free(data);
}
END_TEST

/* A 70000-byte line and a long file of keys. */
START_TEST(test_long_lines)
{
	size_t n = 70000;
	char *data = xmalloc(n + 64);
	struct config *c;

	strcpy(data, "[relay r]\nexec = ");
	memset(data + strlen(data), 'x', n);
	strcpy(data + 17 + n, "\n");
	c = parse_ok(data);
	ck_assert_uint_eq(strlen(c->relays[0].exec), n);
	config_free(c);
	free(data);
}
END_TEST

/*
 * Files.
 */

START_TEST(test_load_missing)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct config *c;
	char *p = tmp_path("nope/config");

	ck_assert_int_eq(config_load(p, &c, &e), 0);
	ck_assert(!c->exists);
	ck_assert_str_eq(c->path, p);
	ck_assert_uint_eq(c->nrelays, 0);
	ck_assert_ptr_null(c->warnings[0]);
	config_free(c);
	free(p);
}
END_TEST

START_TEST(test_load_default_path)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct config *c;
	char *p = tmp_path("ld-relay-token/config");

	setenv("XDG_CONFIG_HOME", tmpdir, 1);
	ck_assert_int_eq(config_load(NULL, &c, &e), 0);
	ck_assert(!c->exists);
	ck_assert_str_eq(c->path, p);
	config_free(c);
	ck_assert_int_eq(config_set_relay_key(p, "r", "id", "abc", &e), 0);
	ck_assert_int_eq(config_load(NULL, &c, &e), 0);
	ck_assert(c->exists);
	ck_assert_str_eq(config_relay_by_name(c, "r")->id, "abc");
	config_free(c);
	free(p);
}
END_TEST

START_TEST(test_load_file)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct config *c;
	char *p = tmp_path("config");

	write_file(p, design_example, 0600);
	ck_assert_int_eq(config_load(p, &c, &e), 0);
	ck_assert(c->exists);
	ck_assert_int_eq(c->relays[0].max_age, 30 * 86400);
	ck_assert_ptr_null(c->warnings[0]);
	config_free(c);

	chmod(p, 0660);
	ck_assert_int_eq(config_load(p, &c, &e), 0);
	ck_assert_ptr_nonnull(c->warnings[0]);
	ck_assert_ptr_nonnull(strstr(c->warnings[0], "writable by its group"));
	config_free(c);

	chmod(p, 0602);
	ck_assert_int_eq(config_load(p, &c, &e), -1);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(e.msg, "writable by anyone"));
	free(p);
}
END_TEST

START_TEST(test_load_bad_files)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct config *c;
	char *p = tmp_path("config"), *big;
	FILE *f;
	int i;

	/* a directory */
	ck_assert_int_eq(mkdir(p, 0700), 0);
	ck_assert_int_eq(config_load(p, &c, &e), -1);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(e.msg, "not a regular file"));
	ck_assert_ptr_nonnull(strstr(e.msg, p));
	rmdir(p);

	/* a FIFO: refused, not hung on */
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	ck_assert_int_eq(config_load(p, &c, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "not a regular file"));
	unlink(p);

	/* a file below a file */
	write_file(p, "", 0600);
	big = xasprintf("%s/x", p);
	ck_assert_int_eq(config_load(big, &c, &e), -1);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(e.msg, "Not a directory"));
	free(big);

	/* larger than 1 MiB */
	f = fopen(p, "w");
	for (i = 0; i < 1024 * 1024 / 8 + 1; i++)
		fputs("#######\n", f);
	fclose(f);
	ck_assert_int_eq(config_load(p, &c, &e), -1);
	ck_assert_str_eq(e.msg + strlen(e.msg) - 17, "larger than 1 MiB");
	ck_assert_ptr_nonnull(strstr(e.msg, p));

	/* unreadable (root reads anyway) */
	write_file(p, "[relay x]\n", 0);
	if (geteuid() != 0) {
		ck_assert_int_eq(config_load(p, &c, &e), -1);
		ck_assert_int_eq(e.ex, EX_CONFIG);
		ck_assert_ptr_nonnull(strstr(e.msg, "Permission denied"));
	}

	/* a syntax error names the real path */
	write_file(p, "[relay x]\nbad line\n", 0600);
	ck_assert_int_eq(config_load(p, &c, &e), -1);
	big = xasprintf("config '%s' line 2: ", p);
	ck_assert_ptr_eq(strstr(e.msg, big), e.msg);
	free(big);
	free(p);
}
END_TEST

START_TEST(test_set_creates)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct config *c;
	struct stat st;
	char *p = tmp_path("a/b/config"), *d = tmp_path("a/b"), *got;

	ck_assert_int_eq(config_set_relay_key(p, "prod", "id", "5f0c1", &e),
	    0);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(stat(d, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	free(d);
	d = tmp_path("a");
	ck_assert_int_eq(stat(d, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	got = read_file(p);
	ck_assert_str_eq(got, "[relay prod]\nid = 5f0c1\n");
	free(got);

	ck_assert_int_eq(config_set_relay_key(p, "prod", "max-age", "30d",
	    &e), 0);
	ck_assert_int_eq(config_set_relay_key(p, "new one", "env-file",
	    "/a;/b", &e), 0);
	ck_assert_int_eq(config_load(p, &c, &e), 0);
	ck_assert_str_eq(config_relay_by_name(c, "prod")->id, "5f0c1");
	ck_assert_int_eq(config_relay_by_name(c, "prod")->max_age, 30 * 86400);
	ck_assert_str_eq(config_relay_by_name(c, "new one")->env_files[1],
	    "/b");
	config_free(c);
	free(d);
	/* no temp files left behind */
	d = tmp_path("a/b");
	ck_assert_int_eq(count_entries(d), 1);
	free(d);
	free(p);
}
END_TEST

static const struct {
	const char	*relay, *key, *value;
	const char	*before, *after;
} edits[] = {
	/* replace a line; everything else byte for byte */
	{ "prod", "id", "5f0c",
	    "# ld-relay-token configuration\n"
	    "\n"
	    "[profile default]\n"
	    "api-url = https://app.launchdarkly.com\n"
	    "store   = auto      # auto | secret-service | file\n"
	    "\n"
	    "# production relay\n"
	    "[relay prod]\n"
	    "  id=old  # filled in by create\n"
	    "policy  =  /etc/p.json\n"
	    "\n"
	    "[relay other]\n"
	    "id = other\n",
	    "# ld-relay-token configuration\n"
	    "\n"
	    "[profile default]\n"
	    "api-url = https://app.launchdarkly.com\n"
	    "store   = auto      # auto | secret-service | file\n"
	    "\n"
	    "# production relay\n"
	    "[relay prod]\n"
	    "id = 5f0c\n"
	    "policy  =  /etc/p.json\n"
	    "\n"
	    "[relay other]\n"
	    "id = other\n" },
	/* add after the section's last key, before blank lines, comments */
	{ "prod", "id", "5f0c",
	    "[relay prod]\n"
	    "# the key is filled in by create\n"
	    "policy = /etc/p.json\n"
	    "env-file = /etc/ld-relay/env\n"
	    "\n"
	    "# other relay\n"
	    "[relay other]\n"
	    "id = x\n",
	    "[relay prod]\n"
	    "# the key is filled in by create\n"
	    "policy = /etc/p.json\n"
	    "env-file = /etc/ld-relay/env\n"
	    "id = 5f0c\n"
	    "\n"
	    "# other relay\n"
	    "[relay other]\n"
	    "id = x\n" },
	/* an empty section: after its header */
	{ "prod", "grace", "1h",
	    "[relay prod]\n# nothing yet\n\n[relay b]\n",
	    "[relay prod]\ngrace = 1h\n# nothing yet\n\n[relay b]\n" },
	/* a new section at the end */
	{ "new", "env-file", "/a;/b",
	    "# c\n[relay prod]\nid = 1\n",
	    "# c\n[relay prod]\nid = 1\n\n[relay new]\nenv-file = /a;/b\n" },
	/* no final newline */
	{ "new", "id", "1", "[relay prod]\nid = 1",
	    "[relay prod]\nid = 1\n\n[relay new]\nid = 1\n" },
	{ "prod", "grace", "1h", "[relay prod]\nid = 1",
	    "[relay prod]\nid = 1\ngrace = 1h\n" },
	{ "prod", "id", "2", "[relay prod]\nid = 1",
	    "[relay prod]\nid = 2\n" },
	{ "prod", "id", "2", "[relay prod]",
	    "[relay prod]\nid = 2\n" },
	/* CRLF files stay CRLF */
	{ "prod", "id", "2", "[relay prod]\r\nid = 1\r\nvar = V\r\n",
	    "[relay prod]\r\nid = 2\r\nvar = V\r\n" },
	{ "prod", "grace", "1h", "[relay prod]\r\nid = 1\r\n\r\n[relay x]\r\n",
	    "[relay prod]\r\nid = 1\r\ngrace = 1h\r\n\r\n[relay x]\r\n" },
	/* same name, other spelling of the section; other sections alone */
	{ "prod", "id", "2",
	    "[profile prod]\nid = 1\n[relay  prod ]\nid = 1\n[x]\nid = 1\n",
	    "[profile prod]\nid = 1\n[relay  prod ]\nid = 2\n[x]\nid = 1\n" },
	/* an empty value clears the key */
	{ "prod", "exec", "", "[relay prod]\nexec = true\n",
	    "[relay prod]\nexec =\n" },
	/* values GKeyFile or "#" would change are escaped */
	{ "prod", "exec", " a #b\\ ", "[relay prod]\n",
	    "[relay prod]\nexec = \\sa\\s#b\\\\\\s\n" },
	/* the empty file */
	{ "p", "id", "1", "", "[relay p]\nid = 1\n" },
	{ "p", "id", "1", "# just a comment", "# just a comment\n\n"
	    "[relay p]\nid = 1\n" },
};

START_TEST(test_set_edits)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct stat st;
	char *p = tmp_path("config"), *got;

	write_file(p, edits[_i].before, 0640);
	ck_assert_msg(config_set_relay_key(p, edits[_i].relay, edits[_i].key,
	    edits[_i].value, &e) == 0, "%s", e.msg);
	got = read_file(p);
	ck_assert_str_eq(got, edits[_i].after);
	free(got);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);	/* mode kept */
	ck_assert_int_eq(count_entries(tmpdir), 1);
	free(p);
}
END_TEST

/* The example of DESIGN.md keeps its layout and its comments. */
START_TEST(test_set_design_example)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct config *c;
	char *p = tmp_path("config"), *got, *want, *at;

	write_file(p, design_example, 0600);
	ck_assert_int_eq(config_set_relay_key(p, "prod", "id", "abc", &e), 0);
	got = read_file(p);
	at = strstr(design_example, "id = 5f0c");
	want = xasprintf("%.*sid = abc%s", (int)(at - design_example),
	    design_example, strchr(at, '\n'));
	ck_assert_str_eq(got, want);
	free(want);
	free(got);
	ck_assert_int_eq(config_load(p, &c, &e), 0);
	ck_assert_str_eq(c->relays[0].id, "abc");
	ck_assert_str_eq(c->relays[0].exec, "systemctl restart ld-relay");
	ck_assert_str_eq(c->profiles[0].store, "auto");
	config_free(c);
	free(p);
}
END_TEST

/* Concurrent updates of one file lose nothing. */
START_TEST(test_set_concurrent)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct config *c;
	char *p = tmp_path("config"), name[16];
	int i, status;
	pid_t pid[8];

	for (i = 0; i < 8; i++) {
		if ((pid[i] = fork()) == 0) {
			snprintf(name, sizeof(name), "r%d", i);
			_exit(config_set_relay_key(p, name, "id", name, &e) == 0 ?
			    0 : 1);
		}
		ck_assert_int_gt(pid[i], 0);
	}
	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_int_eq(config_load(p, &c, &e), 0);
	ck_assert_uint_eq(c->nrelays, 8);
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		ck_assert_ptr_nonnull(config_relay_by_id(c, name));
	}
	config_free(c);
	free(p);
}
END_TEST

/* The exact value comes back, whatever GKeyFile or "#" would do to it. */
START_TEST(test_set_exact_values)
{
	static const char *values[] = { "plain", "a #b", "a#b", " lead",
	    "trail ", "back\\slash", "\\#", "x # y  #z ", "#start", "a;b",
	    "\xc3\xa9t\xc3\xa9", "a\\sb", "  " };
	struct ldrt_err e = LDRT_ERR_INIT;
	struct config *c;
	char *p = tmp_path("config");
	size_t i;

	for (i = 0; i < LDRT_ARRAY_SIZE(values); i++) {
		ck_assert_msg(config_set_relay_key(p, "r", "exec", values[i],
		    &e) == 0, "%s", e.msg);
		ck_assert_int_eq(config_load(p, &c, &e), 0);
		ck_assert_str_eq(c->relays[0].exec, values[i]);
		config_free(c);
	}
	free(p);
}
END_TEST

static const struct {
	const char	*relay, *key, *value;
	int		 ex;
	const char	*msg;
} set_bad[] = {
	{ "r", "max-age", "x", EX_CONFIG, "not written: config '%s' line 4: "
	    "key 'max-age': invalid duration 'x' (use e.g. 90s, 15m, 1h, 7d, "
	    "2w)" },
	{ "r", "create-missing", "yes", EX_CONFIG, NULL },
	{ "r", "nope", "1", EX_USAGE, "config: unknown relay key 'nope'" },
	{ "r", "api-url", "https://x", EX_USAGE, NULL },
	{ "r", "exec", "a\nb", EX_USAGE, "config: key 'exec': value has "
	    "control characters or is not UTF-8" },
	{ "r", "exec", "a\tb", EX_USAGE, NULL },
	{ "r", "exec", "\xff", EX_USAGE, NULL },
	{ "", "id", "1", EX_USAGE, "invalid relay name ''" },
	{ " r", "id", "1", EX_USAGE, NULL },
	{ "r]", "id", "1", EX_USAGE, NULL },
	{ "a\nb", "id", "1", EX_USAGE, NULL },
};

START_TEST(test_set_bad)
{
	static const char before[] = "# keep me\n[relay r]\nid = 1\n";
	struct ldrt_err e = LDRT_ERR_INIT;
	char *p = tmp_path("config"), *got, *want;

	write_file(p, before, 0600);
	ck_assert_int_eq(config_set_relay_key(p, set_bad[_i].relay,
	    set_bad[_i].key, set_bad[_i].value, &e), -1);
	ck_assert_int_eq(e.ex, set_bad[_i].ex);
	if (set_bad[_i].msg != NULL) {
		want = subst_path(set_bad[_i].msg, p);
		ck_assert_str_eq(e.msg, want);
		free(want);
	}
	got = read_file(p);
	ck_assert_str_eq(got, before);
	free(got);
	free(p);
}
END_TEST

START_TEST(test_set_refuses_malformed)
{
	static const char before[] = "[relay r]\nid = 1\nid = 2\n";
	struct ldrt_err e = LDRT_ERR_INIT;
	char *p = tmp_path("config"), *got;

	write_file(p, before, 0600);
	ck_assert_int_eq(config_set_relay_key(p, "r", "grace", "1h", &e), -1);
	ck_assert_int_eq(e.ex, EX_CONFIG);
	ck_assert_ptr_nonnull(strstr(e.msg, "line 3: key 'id' repeated"));
	got = read_file(p);
	ck_assert_str_eq(got, before);
	free(got);
	free(p);
}
END_TEST

START_TEST(test_set_through_symlink)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct stat st;
	char *real = tmp_path("real"), *link = tmp_path("config"), *got;

	write_file(real, "[relay r]\n", 0600);
	ck_assert_int_eq(symlink("real", link), 0);
	ck_assert_int_eq(config_set_relay_key(link, "r", "id", "7", &e), 0);
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	got = read_file(real);
	ck_assert_str_eq(got, "[relay r]\nid = 7\n");
	free(got);
	free(real);
	free(link);
}
END_TEST

START_TEST(test_set_spaced_section)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char *p = tmp_path("config"), *got;

	write_file(p, "[relay  r ]\n", 0600);
	ck_assert_int_eq(config_set_relay_key(p, "r", "id", "7", &e), 0);
	got = read_file(p);
	ck_assert_str_eq(got, "[relay  r ]\nid = 7\n");
	free(got);
	free(p);
}
END_TEST

/*
 * Renaming a relay section (update --rename).
 */

static const struct {
	const char	*from, *to;
	const char	*before, *after;
} renames[] = {
	/* keys, values, comments, blank lines: all kept */
	{ "prod", "prod2",
	    "# ld-relay-token configuration\n"
	    "[profile default]\n"
	    "store = auto   # keyring\n"
	    "\n"
	    "# production relay\n"
	    "[relay prod]\n"
	    "# written by create\n"
	    "id = 5f0c  # the id\n"
	    "env-file = /etc/ld-relay/env;/srv/env\n"
	    "exec = systemctl restart ld-relay\n"
	    "\n"
	    "[relay other]\n"
	    "id = x\n",
	    "# ld-relay-token configuration\n"
	    "[profile default]\n"
	    "store = auto   # keyring\n"
	    "\n"
	    "# production relay\n"
	    "[relay prod2]\n"
	    "# written by create\n"
	    "id = 5f0c  # the id\n"
	    "env-file = /etc/ld-relay/env;/srv/env\n"
	    "exec = systemctl restart ld-relay\n"
	    "\n"
	    "[relay other]\n"
	    "id = x\n" },
	/* only the name between the brackets changes */
	{ "prod", "new name", "  [relay   prod ]  \r\nid = 1\r\n",
	    "  [relay new name]  \r\nid = 1\r\n" },
	/* the last line without a line end, an empty section */
	{ "a", "b", "[relay x]\n[relay a]", "[relay x]\n[relay b]" },
	/* [profile prod] and unknown sections are not relay sections */
	{ "prod", "p2", "[profile prod]\n[prod]\n[relay prod]\nvar = V\n",
	    "[profile prod]\n[prod]\n[relay p2]\nvar = V\n" },
	/* UTF-8 and "#" are fine in a section name */
	{ "prod", "pr\xc3\xb6" "d #1", "[relay prod]\n",
	    "[relay pr\xc3\xb6" "d #1]\n" },
};

START_TEST(test_rename_edits)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct config *c;
	struct stat st;
	char *p = tmp_path("config"), *got;

	write_file(p, renames[_i].before, 0640);
	ck_assert_msg(config_rename_relay(p, renames[_i].from, renames[_i].to,
	    NULL, &e) == CONFIG_RENAMED, "%s", e.msg);
	got = read_file(p);
	ck_assert_str_eq(got, renames[_i].after);
	free(got);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);	/* mode kept */
	ck_assert_int_eq(count_entries(tmpdir), 1);	/* no temp file */
	ck_assert_int_eq(config_load(p, &c, &e), 0);
	ck_assert_ptr_nonnull(config_relay_by_name(c, renames[_i].to));
	ck_assert_ptr_null(config_relay_by_name(c, renames[_i].from));
	config_free(c);
	free(p);
}
END_TEST

/* The parsed section is the same under its new name. */
START_TEST(test_rename_design_example)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	const struct config_relay *r;
	struct config *c;
	char *p = tmp_path("config"), *got, *want, *at;

	write_file(p, design_example, 0600);
	ck_assert_int_eq(config_rename_relay(p, "prod", "prod2", "5f0c...",
	    &e), CONFIG_RENAMED);
	got = read_file(p);
	at = strstr(design_example, "[relay prod]");
	want = xasprintf("%.*s[relay prod2]%s", (int)(at - design_example),
	    design_example, at + strlen("[relay prod]"));
	ck_assert_str_eq(got, want);
	free(want);
	free(got);
	ck_assert_int_eq(config_load(p, &c, &e), 0);
	ck_assert_uint_eq(c->nrelays, 1);
	r = config_relay_by_name(c, "prod2");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->id, "5f0c...");
	ck_assert_str_eq(r->env_files[0], "/etc/ld-relay/env");
	ck_assert_str_eq(r->exec, "systemctl restart ld-relay");
	ck_assert_int_eq(r->max_age, 30 * 86400);
	config_free(c);
	free(p);
}
END_TEST

/* [relay TO] exists: neither section is touched. */
START_TEST(test_rename_target_exists)
{
	static const char before[] =
	    "[relay prod]\nenv-file = /a\n\n[relay prod2]\n# mine\nvar = X\n";
	struct ldrt_err e = LDRT_ERR_INIT;
	char *p = tmp_path("config"), *got;

	write_file(p, before, 0600);
	ck_assert_int_eq(config_rename_relay(p, "prod", "prod2", NULL, &e),
	    CONFIG_RENAME_EXISTS);
	got = read_file(p);
	ck_assert_str_eq(got, before);
	free(got);
	free(p);
}
END_TEST

/* No such section, no file, no directory: nothing to do, nothing made. */
START_TEST(test_rename_absent)
{
	static const char before[] =
	    "[profile prod]\n[relay other]\nid = 1\n[relay prodx]\n";
	struct ldrt_err e = LDRT_ERR_INIT;
	struct stat st;
	char *p = tmp_path("config"), *q = tmp_path("no/such/config"), *got;
	char *d = tmp_path("no");

	write_file(p, before, 0600);
	ck_assert_int_eq(config_rename_relay(p, "prod", "prod2", NULL, &e),
	    CONFIG_RENAME_ABSENT);
	got = read_file(p);
	ck_assert_str_eq(got, before);
	free(got);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(config_rename_relay(p, "prod", "prod2", NULL, &e),
	    CONFIG_RENAME_ABSENT);
	ck_assert_int_eq(lstat(p, &st), -1);
	ck_assert_int_eq(config_rename_relay(q, "prod", "prod2", NULL, &e),
	    CONFIG_RENAME_ABSENT);
	ck_assert_int_eq(lstat(d, &st), -1);
	/* a dangling symlink is no file either */
	ck_assert_int_eq(symlink("nowhere", p), 0);
	ck_assert_int_eq(config_rename_relay(p, "prod", "prod2", NULL, &e),
	    CONFIG_RENAME_ABSENT);
	ck_assert_int_eq(count_entries(tmpdir), 1);
	free(d);
	free(q);
	free(p);
}
END_TEST

/* An id key naming another config: not the renamed config's section. */
START_TEST(test_rename_id)
{
	static const char before[] = "[relay prod]\nid = aaa\n";
	struct ldrt_err e = LDRT_ERR_INIT;
	char *p = tmp_path("config"), *got;

	write_file(p, before, 0600);
	ck_assert_int_eq(config_rename_relay(p, "prod", "prod2", "bbb", &e),
	    CONFIG_RENAME_OTHER_ID);
	got = read_file(p);
	ck_assert_str_eq(got, before);
	free(got);
	ck_assert_int_eq(config_rename_relay(p, "prod", "prod2", "aaa", &e),
	    CONFIG_RENAMED);
	got = read_file(p);
	ck_assert_str_eq(got, "[relay prod2]\nid = aaa\n");
	free(got);
	/* no id key: the name is all there is to go by */
	write_file(p, "[relay prod]\nvar = V\n", 0600);
	ck_assert_int_eq(config_rename_relay(p, "prod", "prod2", "bbb", &e),
	    CONFIG_RENAMED);
	got = read_file(p);
	ck_assert_str_eq(got, "[relay prod2]\nvar = V\n");
	free(got);
	free(p);
}
END_TEST

static const struct {
	const char	*before, *from, *to;
	int		 ex;
	const char	*msg;
} rename_bad[] = {
	{ "[relay r]\n", "r", "", EX_USAGE,
	    "config: cannot rename [relay r] to [relay ]: invalid name" },
	{ "[relay r]\n", "r", " x", EX_USAGE, NULL },
	{ "[relay r]\n", "r", "x ", EX_USAGE, NULL },
	{ "[relay r]\n", "r", "a]b", EX_USAGE, NULL },
	{ "[relay r]\n", "r", "a[b", EX_USAGE, NULL },
	{ "[relay r]\n", "r", "a\nb", EX_USAGE, NULL },
	{ "[relay r]\n", "r", "\xff", EX_USAGE, NULL },
	{ "[relay r]\n", "", "x", EX_USAGE, NULL },
	{ "[relay r]\n", "r", "r", EX_USAGE,
	    "config: cannot rename [relay r] to itself" },
	/* never rewrite a file that does not parse */
	{ "[relay r]\nid = 1\nid = 2\n", "r", "s", EX_CONFIG,
	    "not written: config '%s' line 3: key 'id' repeated in [relay r] "
	    "(first on line 2)" },
};

START_TEST(test_rename_bad)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	char *p = tmp_path("config"), *got, *want;

	write_file(p, rename_bad[_i].before, 0600);
	ck_assert_int_eq(config_rename_relay(p, rename_bad[_i].from,
	    rename_bad[_i].to, NULL, &e), -1);
	ck_assert_int_eq(e.ex, rename_bad[_i].ex);
	if (rename_bad[_i].msg != NULL) {
		want = subst_path(rename_bad[_i].msg, p);
		ck_assert_str_eq(e.msg, want);
		free(want);
	}
	got = read_file(p);
	ck_assert_str_eq(got, rename_bad[_i].before);
	free(got);
	free(p);
}
END_TEST

static int
rename_fails(const char *from, const char *to)
{
	LDRT_UNUSED(from);
	LDRT_UNUSED(to);
	errno = EIO;
	return -1;
}

/* A failed write leaves the old file and no temp file; the error says
 * which file. */
START_TEST(test_rename_write_fails)
{
	static const char before[] = "[relay prod]\nvar = V\n";
	struct ldrt_err e = LDRT_ERR_INIT;
	char *p = tmp_path("config"), *got, *want;

	write_file(p, before, 0600);
	atomic_rename_fn = rename_fails;
	ck_assert_int_eq(config_rename_relay(p, "prod", "prod2", NULL, &e),
	    -1);
	atomic_rename_fn = rename;
	ck_assert_int_eq(e.ex, EX_IOERR);
	want = xasprintf("config '%s'", p);
	ck_assert_msg(strncmp(e.msg, want, strlen(want)) == 0, "%s", e.msg);
	free(want);
	got = read_file(p);
	ck_assert_str_eq(got, before);
	free(got);
	ck_assert_int_eq(count_entries(tmpdir), 1);
	free(p);
}
END_TEST

/* Through a symlink: the file it names is renamed, the link stays. */
START_TEST(test_rename_through_symlink)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct stat st;
	char *real = tmp_path("real"), *link = tmp_path("config"), *got;

	write_file(real, "[relay r]\nid = 7\n", 0640);
	ck_assert_int_eq(symlink("real", link), 0);
	ck_assert_int_eq(config_rename_relay(link, "r", "s", "7", &e),
	    CONFIG_RENAMED);
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(stat(real, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	got = read_file(real);
	ck_assert_str_eq(got, "[relay s]\nid = 7\n");
	free(got);
	free(real);
	free(link);
}
END_TEST

/*
 * Paths.
 */

static const struct {
	const char	*xdg, *home;
	const char	*config, *state, *data;
} xdg[] = {
	{ "/x", "/home/u", "/x/ld-relay-token", "/x/ld-relay-token",
	    "/x/ld-relay-token" },
	{ "/x/", "/home/u", "/x/ld-relay-token", "/x/ld-relay-token",
	    "/x/ld-relay-token" },
	{ "/", "/home/u", "/ld-relay-token", "/ld-relay-token",
	    "/ld-relay-token" },
	{ NULL, "/home/u", "/home/u/.config/ld-relay-token",
	    "/home/u/.local/state/ld-relay-token",
	    "/home/u/.local/share/ld-relay-token" },
	{ "", "/home/u/", "/home/u/.config/ld-relay-token",
	    "/home/u/.local/state/ld-relay-token",
	    "/home/u/.local/share/ld-relay-token" },
	{ "rel/dir", "/home/u", "/home/u/.config/ld-relay-token",
	    "/home/u/.local/state/ld-relay-token",
	    "/home/u/.local/share/ld-relay-token" },
	{ "~/x", "/", "/.config/ld-relay-token", "/.local/state/ld-relay-token",
	    "/.local/share/ld-relay-token" },
};

static void
set_or_unset(const char *var, const char *v)
{
	if (v == NULL)
		unsetenv(var);
	else
		setenv(var, v, 1);
}

START_TEST(test_xdg)
{
	char *s;

	set_or_unset("XDG_CONFIG_HOME", xdg[_i].xdg);
	set_or_unset("XDG_STATE_HOME", xdg[_i].xdg);
	set_or_unset("XDG_DATA_HOME", xdg[_i].xdg);
	set_or_unset("HOME", xdg[_i].home);
	s = paths_config_dir();
	ck_assert_str_eq(s, xdg[_i].config);
	free(s);
	s = paths_state_dir();
	ck_assert_str_eq(s, xdg[_i].state);
	free(s);
	s = paths_data_dir();
	ck_assert_str_eq(s, xdg[_i].data);
	free(s);
	s = config_default_path();
	ck_assert_ptr_eq(strstr(s, xdg[_i].config), s);
	ck_assert_str_eq(s + strlen(xdg[_i].config), "/config");
	free(s);
}
END_TEST

/* No usable HOME: the password database. */
START_TEST(test_xdg_no_home)
{
	static const char *homes[] = { NULL, "", "relative" };
	char *s;

	unsetenv("XDG_CONFIG_HOME");
	set_or_unset("HOME", homes[_i]);
	s = paths_config_dir();
	if (s != NULL) {
		ck_assert_int_eq(s[0], '/');
		ck_assert_ptr_nonnull(strstr(s, "/.config/ld-relay-token"));
		ck_assert_ptr_null(strstr(s, "relative"));
	}
	free(s);
}
END_TEST

START_TEST(test_mkdir_p)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct stat st;
	char *d = tmp_path("m/n//o/"), *m = tmp_path("m"), *f;

	ck_assert_int_eq(mkdir(m, 0755), 0);
	ck_assert_int_eq(paths_mkdir_p(d, &e), 0);
	ck_assert_int_eq(stat(d, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(stat(m, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0755);	/* untouched */
	/* again: nothing to do */
	ck_assert_int_eq(paths_mkdir_p(d, &e), 0);
	free(d);

	/* a file in the way */
	f = tmp_path("m/file");
	write_file(f, "", 0600);
	d = tmp_path("m/file/sub");
	ck_assert_int_eq(paths_mkdir_p(d, &e), -1);
	ck_assert_int_eq(e.ex, EX_CANTCREAT);
	ck_assert_ptr_nonnull(strstr(e.msg, "cannot create directory"));
	ck_assert_ptr_nonnull(strstr(e.msg, f));
	free(d);
	ck_assert_int_eq(paths_mkdir_p(f, &e), -1);
	d = xasprintf("cannot create directory '%s': not a directory", f);
	ck_assert_str_eq(e.msg, d);
	free(d);
	ck_assert_int_eq(paths_mkdir_p("", &e), -1);
	ck_assert_int_eq(e.ex, EX_CANTCREAT);
	free(f);
	free(m);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_design_example);
	tcase_add_test(tc, test_all_keys);
	tcase_add_test(tc, test_defaults);
	tcase_add_loop_test(tc, test_empty, 0, 5);
	tcase_add_test(tc, test_env_files);
	tcase_add_test(tc, test_warnings);
	tcase_add_test(tc, test_warnings_capped);
	tcase_add_loop_test(tc, test_bad, 0, LDRT_ARRAY_SIZE(bad));
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_null_err);
	tcase_add_test(tc, test_too_large);
	tcase_add_test(tc, test_long_lines);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
	tcase_add_test(tc, test_load_missing);
	tcase_add_test(tc, test_load_default_path);
	tcase_add_test(tc, test_load_file);
	tcase_add_test(tc, test_load_bad_files);
	tcase_add_test(tc, test_set_creates);
	tcase_add_loop_test(tc, test_set_edits, 0, LDRT_ARRAY_SIZE(edits));
	tcase_add_test(tc, test_set_design_example);
	tcase_add_test(tc, test_set_concurrent);
	tcase_add_test(tc, test_set_exact_values);
	tcase_add_loop_test(tc, test_set_bad, 0, LDRT_ARRAY_SIZE(set_bad));
	tcase_add_test(tc, test_set_refuses_malformed);
	tcase_add_test(tc, test_set_through_symlink);
	tcase_add_test(tc, test_set_spaced_section);
	tcase_add_loop_test(tc, test_rename_edits, 0, LDRT_ARRAY_SIZE(renames));
	tcase_add_test(tc, test_rename_design_example);
	tcase_add_test(tc, test_rename_target_exists);
	tcase_add_test(tc, test_rename_absent);
	tcase_add_test(tc, test_rename_id);
	tcase_add_loop_test(tc, test_rename_bad, 0,
	    LDRT_ARRAY_SIZE(rename_bad));
	tcase_add_test(tc, test_rename_write_fails);
	tcase_add_test(tc, test_rename_through_symlink);
	suite_add_tcase(s, tc);

	tc = tcase_create("paths");
	tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
	tcase_add_loop_test(tc, test_xdg, 0, LDRT_ARRAY_SIZE(xdg));
	tcase_add_loop_test(tc, test_xdg_no_home, 0, 3);
	tcase_add_test(tc, test_mkdir_p);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
