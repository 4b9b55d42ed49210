/*
 * check_credential.c: unit tests for src/credential.c (git's credential
 * helper protocol): parser, url=, reader, writer, matching, libsecret
 * host/label helpers and the ldrelay target check.  Tables of inputs,
 * hostile rows included.  Valgrind-clean with CK_FORK=no.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "credential.h"
#include "secret.h"

#define ABSENT NULL

static struct credential c;
static struct ldrt_err e;

static void
setup(void)
{
	credential_init(&c);
	err_clear(&e);
}

static void
teardown(void)
{
	credential_release(&c);
	secret_release_hook = NULL;
}

static void
expect_str(size_t row, const char *what, const char *want, const char *got)
{
	ck_assert_msg((want == NULL && got == NULL) ||
	    (want != NULL && got != NULL && strcmp(want, got) == 0),
	    "row %zu: %s: want '%s' got '%s'", row, what,
	    want ? want : "(absent)", got ? got : "(absent)");
}

static int
parse_str(const char *s, struct credential *cr, size_t *consumed)
{
	return credential_parse(s, strlen(s), cr, consumed, &e);
}

/* ---- parser ------------------------------------------------------- */

struct parse_row {
	const char	*in;
	size_t		 len;		/* 0: strlen(in) */
	int		 rc;
	int		 ex;		/* expected e.ex on error */
	size_t		 consumed;	/* (size_t)-1: whole input */
	const char	*protocol, *host, *path, *username, *password;
};
#define ALL ((size_t)-1)

static const struct parse_row parse_rows[] = {
	{ "protocol=https\nhost=example.com\n", 0, 0, 0, ALL,
	    "https", "example.com", ABSENT, ABSENT, ABSENT },
	/* EOF without a final newline */
	{ "protocol=https\nhost=h", 0, 0, 0, ALL,
	    "https", "h", ABSENT, ABSENT, ABSENT },
	/* blank line ends the request; what follows is ignored */
	{ "protocol=https\nhost=h\n\nusername=evil\npassword=x\n", 0, 0, 0,
	    23, "https", "h", ABSENT, ABSENT, ABSENT },
	/* data after the blank line is not even looked at (NUL, no '=') */
	{ "host=h\n\n\0junk\nnoequals", 22, 0, 0, 8,
	    ABSENT, "h", ABSENT, ABSENT, ABSENT },
	{ "", 0, 0, 0, 0, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT },
	{ "\n", 0, 0, 0, 1, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT },
	{ "\nhost=h\n", 0, 0, 0, 1, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT },
	/* empty value is a value */
	{ "username=\npassword=\n", 0, 0, 0, ALL,
	    ABSENT, ABSENT, ABSENT, "", "" },
	/* last one wins */
	{ "username=a\nusername=b\npassword=1\npassword=2\n", 0, 0, 0, ALL,
	    ABSENT, ABSENT, ABSENT, "b", "2" },
	/* key is up to the first '='; value byte for byte */
	{ "host=a=b\npath= x \npassword=p=q\n", 0, 0, 0, ALL,
	    ABSENT, "a=b", " x ", ABSENT, "p=q" },
	/* unknown keys and keys we do not use are ignored */
	{ "=x\nfoo=bar\nstate[]=s\nauthtype=basic\ncredential=c\n"
	    "continue=1\nPROTOCOL=x\nhost =y\nhost=h\n", 0, 0, 0, ALL,
	    ABSENT, "h", ABSENT, ABSENT, ABSENT },
	/* unknown keys may hold CR; they are not kept */
	{ "foo=bar\r\nhost=h\n", 0, 0, 0, ALL,
	    ABSENT, "h", ABSENT, ABSENT, ABSENT },
	/* errors */
	{ "novalue\n", 0, -1, EX_DATAERR, 0, NULL, NULL, NULL, NULL, NULL },
	{ "host=h\nnovalue", 0, -1, EX_DATAERR, 0,
	    NULL, NULL, NULL, NULL, NULL },
	{ "host=a\0b\n", 9, -1, EX_DATAERR, 0, NULL, NULL, NULL, NULL, NULL },
	{ "\0", 1, -1, EX_DATAERR, 0, NULL, NULL, NULL, NULL, NULL },
	{ "foo\0=x\n", 7, -1, EX_DATAERR, 0, NULL, NULL, NULL, NULL, NULL },
	/* CRLF: CR is part of the value, and refused */
	{ "protocol=https\r\nhost=h\r\n", 0, -1, EX_DATAERR, 0,
	    NULL, NULL, NULL, NULL, NULL },
	{ "host=h\npassword=p\r\n", 0, -1, EX_DATAERR, 0,
	    NULL, NULL, NULL, NULL, NULL },
	{ "host=h\rusername=u\n", 0, -1, EX_DATAERR, 0,
	    NULL, NULL, NULL, NULL, NULL },
	/* "\r\n" is not a blank line but a line without '=' */
	{ "host=h\r\n\r\n", 0, -1, EX_DATAERR, 0,
	    NULL, NULL, NULL, NULL, NULL },
	{ "host=h\n\r\n", 0, -1, EX_DATAERR, 0, NULL, NULL, NULL, NULL, NULL },
	{ "url=https://h\r\n", 0, -1, EX_DATAERR, 0,
	    NULL, NULL, NULL, NULL, NULL },
};

START_TEST(test_parse_table)
{
	const struct parse_row *r = &parse_rows[_i];
	size_t len = r->len ? r->len : strlen(r->in), consumed = 12345;
	int rc;

	rc = credential_parse(r->in, len, &c, &consumed, &e);
	ck_assert_msg(rc == r->rc, "row %d: rc %d want %d (%s)", _i, rc,
	    r->rc, e.msg);
	if (rc != 0) {
		ck_assert_int_eq(e.ex, r->ex);
		ck_assert_msg(e.msg[0] != '\0', "row %d: no message", _i);
		ck_assert_msg(consumed == 12345, "row %d: consumed set", _i);
		ck_assert_msg(credential_is_empty_pattern(&c) &&
		    c.password == NULL, "row %d: not cleared on error", _i);
		return;
	}
	ck_assert_msg(consumed == (r->consumed == ALL ? len : r->consumed),
	    "row %d: consumed %zu", _i, consumed);
	expect_str(_i, "protocol", r->protocol, c.protocol);
	expect_str(_i, "host", r->host, c.host);
	expect_str(_i, "path", r->path, c.path);
	expect_str(_i, "username", r->username, c.username);
	expect_str(_i, "password", r->password, c.password);
}
END_TEST

/* The error message never repeats the offending line's contents. */
START_TEST(test_parse_error_hides_value)
{
	ck_assert_int_eq(parse_str("password=hunter2\nhunter2secret\n", &c,
	    NULL), -1);
	ck_assert_ptr_null(strstr(e.msg, "hunter2"));
	ck_assert_ptr_nonnull(strstr(e.msg, "invalid credential line 2"));
	err_clear(&e);
	ck_assert_int_eq(parse_str("password=hunter2\r\n", &c, NULL), -1);
	ck_assert_ptr_null(strstr(e.msg, "hunter2"));
	ck_assert_ptr_nonnull(strstr(e.msg, "'password'"));
}
END_TEST

/* Parsing accumulates on top of what c holds. */
START_TEST(test_parse_accumulates)
{
	ck_assert_int_eq(parse_str("protocol=https\nhost=h\n", &c, NULL), 0);
	ck_assert_int_eq(parse_str("username=u\nhost=h2\n", &c, NULL), 0);
	ck_assert_str_eq(c.protocol, "https");
	ck_assert_str_eq(c.host, "h2");
	ck_assert_str_eq(c.username, "u");
}
END_TEST

/* Booleans and the expiry. */
struct scalar_row {
	const char	*in;
	int		 rc;
	int		 quit, ephemeral;
	int64_t		 expiry;
};

static const struct scalar_row scalar_rows[] = {
	{ "quit=1\n", 0, 1, 0, 0 },
	{ "quit=true\n", 0, 1, 0, 0 },
	{ "quit=TRUE\n", 0, 1, 0, 0 },
	{ "quit=yes\n", 0, 1, 0, 0 },
	{ "quit=on\n", 0, 1, 0, 0 },
	{ "quit=42\n", 0, 1, 0, 0 },
	{ "quit=-1\n", 0, 1, 0, 0 },
	{ "quit=0\n", 0, 0, 0, 0 },
	{ "quit=false\n", 0, 0, 0, 0 },
	{ "quit=no\n", 0, 0, 0, 0 },
	{ "quit=off\n", 0, 0, 0, 0 },
	{ "quit=\n", 0, 0, 0, 0 },
	{ "quit=1\nquit=0\n", 0, 0, 0, 0 },
	{ "ephemeral=true\n", 0, 0, 1, 0 },
	{ "password_expiry_utc=1700000000\n", 0, 0, 0, 1700000000 },
	{ "password_expiry_utc=9223372036854775807\n", 0, 0, 0, INT64_MAX },
	{ "password_expiry_utc=0\n", 0, 0, 0, 0 },
	{ "quit=banana\n", -1, 0, 0, 0 },
	{ "quit=1x\n", -1, 0, 0, 0 },
	{ "quit=-\n", -1, 0, 0, 0 },
	{ "quit=1\r\n", -1, 0, 0, 0 },
	{ "ephemeral=maybe\n", -1, 0, 0, 0 },
	{ "password_expiry_utc=\n", -1, 0, 0, 0 },
	{ "password_expiry_utc=-5\n", -1, 0, 0, 0 },
	{ "password_expiry_utc=12abc\n", -1, 0, 0, 0 },
	{ "password_expiry_utc=9223372036854775808\n", -1, 0, 0, 0 },
	{ "password_expiry_utc=99999999999999999999999\n", -1, 0, 0, 0 },
};

START_TEST(test_parse_scalars)
{
	const struct scalar_row *r = &scalar_rows[_i];
	int rc = parse_str(r->in, &c, NULL);

	ck_assert_msg(rc == r->rc, "row %d '%s': rc %d", _i, r->in, rc);
	if (rc != 0) {
		ck_assert_int_eq(e.ex, EX_DATAERR);
		return;
	}
	ck_assert_int_eq(c.quit, r->quit);
	ck_assert_int_eq(c.ephemeral, r->ephemeral);
	ck_assert_msg(c.password_expiry_utc == r->expiry, "row %d expiry", _i);
}
END_TEST

START_TEST(test_parse_lists)
{
	ck_assert_int_eq(parse_str("capability[]=authtype\n"
	    "wwwauth[]=Basic realm=\"x\"\ncapability[]=state\n"
	    "wwwauth[]=Bearer\n", &c, NULL), 0);
	ck_assert_uint_eq(c.capability.n, 2);
	ck_assert_str_eq(c.capability.v[0], "authtype");
	ck_assert_str_eq(c.capability.v[1], "state");
	ck_assert_uint_eq(c.wwwauth.n, 2);
	ck_assert_str_eq(c.wwwauth.v[0], "Basic realm=\"x\"");
	ck_assert_str_eq(c.wwwauth.v[1], "Bearer");
	/* key[]= clears, then appending starts afresh */
	ck_assert_int_eq(parse_str("capability[]=\ncapability[]=x\n"
	    "wwwauth[]=\n", &c, NULL), 0);
	ck_assert_uint_eq(c.capability.n, 1);
	ck_assert_str_eq(c.capability.v[0], "x");
	ck_assert_uint_eq(c.wwwauth.n, 0);
	ck_assert_ptr_null(c.wwwauth.v);
	/* a plain "capability" (no []) is another, unknown key */
	ck_assert_int_eq(parse_str("capability=y\n", &c, NULL), 0);
	ck_assert_uint_eq(c.capability.n, 1);
}
END_TEST

START_TEST(test_parse_list_cap)
{
	char line[64];
	size_t i, n = 0;
	char *buf = xmalloc((CREDENTIAL_LIST_MAX + 1) * sizeof(line));

	for (i = 0; i <= CREDENTIAL_LIST_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof(line),
		    "wwwauth[]=v%zu\n", i);
	ck_assert_int_eq(credential_parse(buf, n, &c, NULL, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_uint_eq(c.wwwauth.n, 0);
	free(buf);
}
END_TEST

/* Line length: the cap (65535) counts the newline. */
struct long_row {
	size_t	 vlen;		/* bytes of value after the key */
	int	 newline;
	int	 rc;
};
static const struct long_row long_rows[] = {
	{ CREDENTIAL_LINE_MAX - 1 - 5, 1, 0 },	/* exactly at the limit */
	{ CREDENTIAL_LINE_MAX - 5, 1, -1 },	/* one past */
	{ CREDENTIAL_LINE_MAX - 1 - 5, 0, 0 },	/* at EOF, no newline */
	{ CREDENTIAL_LINE_MAX - 5, 0, -1 },
	{ 70000, 1, -1 },
	{ 70000, 0, -1 },
};

START_TEST(test_parse_long_line)
{
	const struct long_row *r = &long_rows[_i];
	size_t n = 5 + r->vlen + (r->newline ? 1 : 0);
	char *buf = xmalloc(n);
	size_t consumed = 0;
	int rc;

	memcpy(buf, "path=", 5);
	memset(buf + 5, 'a', r->vlen);
	if (r->newline)
		buf[n - 1] = '\n';
	rc = credential_parse(buf, n, &c, &consumed, &e);
	ck_assert_msg(rc == r->rc, "row %d: rc %d (%s)", _i, rc, e.msg);
	if (rc == 0) {
		ck_assert_uint_eq(consumed, n);
		ck_assert_uint_eq(strlen(c.path), r->vlen);
	} else {
		ck_assert_int_eq(e.ex, EX_DATAERR);
		ck_assert_ptr_nonnull(strstr(e.msg, "longer than"));
		ck_assert_ptr_null(c.path);
	}
	free(buf);
}
END_TEST

/*
 * git-credential-libsecret 2.39.5 read 1024-byte chunks, so the tail of a
 * long wwwauth[] line became "host=victim.tld".  We keep it one value.
 */
START_TEST(test_parse_split_line_injection)
{
	char buf[2048];
	int n;

	n = snprintf(buf, sizeof(buf), "protocol=https\nhost=badguy.tld\n"
	    "wwwauth[]=basic realm=%01001dhost=victim.tld\n", 0);
	ck_assert_int_gt(n, 1040);
	ck_assert_int_eq(credential_parse(buf, (size_t)n, &c, NULL, &e), 0);
	ck_assert_str_eq(c.host, "badguy.tld");
	ck_assert_uint_eq(c.wwwauth.n, 1);
}
END_TEST

/* Records what the secret module released, after its wipe. */
static size_t released_n, released_nonzero;
static void
record_release(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	released_n += n;
	for (i = 0; i < n; i++)
		if (b[i] != 0)
			released_nonzero++;
}

START_TEST(test_parse_duplicate_wipes_old_secret)
{
	released_n = released_nonzero = 0;
	secret_release_hook = record_release;
	ck_assert_int_eq(parse_str("password=oldsecret\n"
	    "oauth_refresh_token=oldtoken\npassword=new\n"
	    "oauth_refresh_token=t2\n", &c, NULL), 0);
	ck_assert_str_eq(c.password, "new");
	ck_assert_str_eq(c.oauth_refresh_token, "t2");
	/* both old values went through secret_free, wiped */
	ck_assert_uint_eq(released_n, sizeof("oldsecret") +
	    sizeof("oldtoken"));
	ck_assert_uint_eq(released_nonzero, 0);
	released_n = 0;
	credential_clear(&c);
	ck_assert_uint_eq(released_n, sizeof("new") + sizeof("t2"));
	ck_assert_uint_eq(released_nonzero, 0);
	ck_assert_ptr_null(c.password);
}
END_TEST

/* ---- url= --------------------------------------------------------- */

struct url_row {
	const char	*in;
	int		 rc;
	const char	*protocol, *host, *path, *username, *password;
};

static const struct url_row url_rows[] = {
	{ "url=https://example.com\n", 0,
	    "https", "example.com", ABSENT, ABSENT, ABSENT },
	{ "url=https://example.com/\n", 0,
	    "https", "example.com", ABSENT, ABSENT, ABSENT },
	{ "url=https://example.com:8443/foo/bar.git\n", 0,
	    "https", "example.com:8443", "foo/bar.git", ABSENT, ABSENT },
	{ "url=https://user@example.com/repo\n", 0,
	    "https", "example.com", "repo", "user", ABSENT },
	{ "url=https://us%40er:p%41ss%3a@h:1/x//\n", 0,
	    "https", "h:1", "x", "us@er", "pAss:" },
	{ "url=https://@h\n", 0, "https", "h", ABSENT, "", ABSENT },
	{ "url=https://[::1]:8080/repo\n", 0,
	    "https", "[::1]:8080", "repo", ABSENT, ABSENT },
	{ "url=https://u@[::1]/\n", 0, "https", "[::1]", ABSENT, "u", ABSENT },
	{ "url=cert:///path/to/cert.p12\n", 0,
	    "cert", "", "path/to/cert.p12", ABSENT, ABSENT },
	{ "url=ldrelay://prod\n", 0, "ldrelay", "prod", ABSENT, ABSENT, ABSENT },
	{ "url=ldrelay://prod%20relays\n", 0,
	    "ldrelay", "prod relays", ABSENT, ABSENT, ABSENT },
	{ "url=https://h?x=1/y\n", 0, "https", "h", "?x=1/y", ABSENT, ABSENT },
	{ "url=https://h#frag\n", 0, "https", "h", "#frag", ABSENT, ABSENT },
	/* "+" stays, bad escapes are copied */
	{ "url=https://h/a+b%zz%4\n", 0,
	    "https", "h", "a+b%zz%4", ABSENT, ABSENT },
	/* '@' after the first slash belongs to the path */
	{ "url=https://h/u@x\n", 0, "https", "h", "u@x", ABSENT, ABSENT },
	{ "url=https://\n", 0, "https", "", ABSENT, ABSENT, ABSENT },
	/* url= clears what came before, as in git */
	{ "username=bob\npassword=s\npath=p\nurl=https://h\n", 0,
	    "https", "h", ABSENT, ABSENT, ABSENT },
	{ "url=https://h\nusername=bob\npassword=s\n", 0,
	    "https", "h", ABSENT, "bob", "s" },
	/* errors */
	{ "url=example.com\n", -1, NULL, NULL, NULL, NULL, NULL },
	{ "url=://h\n", -1, NULL, NULL, NULL, NULL, NULL },
	{ "url=\n", -1, NULL, NULL, NULL, NULL, NULL },
	{ "url=https://h/%0a\n", -1, NULL, NULL, NULL, NULL, NULL },
	{ "url=https://h/a%00b\n", -1, NULL, NULL, NULL, NULL, NULL },
	{ "url=https://u%0d@h\n", -1, NULL, NULL, NULL, NULL, NULL },
	{ "url=https://u:p%0A@h\n", -1, NULL, NULL, NULL, NULL, NULL },
	{ "url=https://h%0a.evil/\n", -1, NULL, NULL, NULL, NULL, NULL },
};

START_TEST(test_url_table)
{
	const struct url_row *r = &url_rows[_i];
	int rc = parse_str(r->in, &c, NULL);

	ck_assert_msg(rc == r->rc, "row %d: rc %d (%s)", _i, rc, e.msg);
	if (rc != 0) {
		ck_assert_int_eq(e.ex, EX_DATAERR);
		ck_assert_ptr_null(c.password);
		ck_assert_ptr_null(c.host);
		return;
	}
	expect_str(_i, "protocol", r->protocol, c.protocol);
	expect_str(_i, "host", r->host, c.host);
	expect_str(_i, "path", r->path, c.path);
	expect_str(_i, "username", r->username, c.username);
	expect_str(_i, "password", r->password, c.password);
}
END_TEST

/* ---- reader ------------------------------------------------------- */

START_TEST(test_read_fd_eof)
{
	int fd[2];
	static const char in[] = "protocol=ldrelay\nhost=prod\npassword=p";

	ck_assert_int_eq(pipe(fd), 0);
	ck_assert_int_eq(write(fd[1], in, sizeof(in) - 1), sizeof(in) - 1);
	close(fd[1]);
	ck_assert_int_eq(credential_read_fd(fd[0], &c, &e), 0);
	close(fd[0]);
	ck_assert_str_eq(c.protocol, "ldrelay");
	ck_assert_str_eq(c.host, "prod");
	ck_assert_str_eq(c.password, "p");
}
END_TEST

/* Stops at the blank line even though the writer keeps the pipe open. */
START_TEST(test_read_fd_blank_line)
{
	int fd[2];
	static const char in[] = "protocol=https\nhost=h\npassword=sec\n\n"
	    "username=late\n";

	ck_assert_int_eq(pipe(fd), 0);
	ck_assert_int_eq(write(fd[1], in, sizeof(in) - 1), sizeof(in) - 1);
	released_n = released_nonzero = 0;
	secret_release_hook = record_release;
	alarm(10);		/* a hang would be a failure, not a stall */
	ck_assert_int_eq(credential_read_fd(fd[0], &c, &e), 0);
	alarm(0);
	close(fd[0]);
	close(fd[1]);
	ck_assert_str_eq(c.host, "h");
	ck_assert_ptr_null(c.username);
	/* the input buffer (it held the password) was wiped before free */
	ck_assert_uint_ge(released_n, sizeof(in));
	ck_assert_uint_eq(released_nonzero, 0);
}
END_TEST

START_TEST(test_read_fd_blank_first)
{
	int fd[2];

	ck_assert_int_eq(pipe(fd), 0);
	ck_assert_int_eq(write(fd[1], "\nhost=h\n", 8), 8);
	alarm(10);
	ck_assert_int_eq(credential_read_fd(fd[0], &c, &e), 0);
	alarm(0);
	close(fd[0]);
	close(fd[1]);
	ck_assert(credential_is_empty_pattern(&c));
}
END_TEST

START_TEST(test_read_fd_too_big)
{
	char path[] = "/tmp/check_credential.XXXXXX";
	char line[1024];
	size_t total = 0;
	int fd;

	memset(line, 'a', sizeof(line));
	memcpy(line, "wwwauth[]=", 10);
	line[sizeof(line) - 1] = '\n';
	ck_assert_int_ge(fd = mkstemp(path), 0);
	unlink(path);
	while (total <= CREDENTIAL_INPUT_MAX) {
		ck_assert_int_eq(write(fd, line, sizeof(line)), sizeof(line));
		total += sizeof(line);
	}
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(credential_read_fd(fd, &c, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_uint_eq(c.wwwauth.n, 0);
	close(fd);
}
END_TEST

START_TEST(test_read_fd_error)
{
	ck_assert_int_eq(credential_read_fd(-1, &c, &e), -1);
	ck_assert_int_eq(e.ex, EX_IOERR);
	ck_assert_ptr_nonnull(strstr(e.msg, "cannot read"));
}
END_TEST

/* ---- writer ------------------------------------------------------- */

struct fmt_row {
	const char	*username, *password, *refresh;
	int64_t		 expiry;
	int		 quit;
	int		 rc;
	const char	*out;
};

static const struct fmt_row fmt_rows[] = {
	{ "u", "p", NULL, 0, 0, 0, "username=u\npassword=p\n" },
	{ "", "", NULL, 0, 0, 0, "username=\npassword=\n" },
	{ NULL, "p", NULL, 0, 0, 0, "password=p\n" },
	{ NULL, NULL, NULL, 0, 0, 0, "" },
	{ "u", "p", "rt", 1700000000, 0, 0, "username=u\npassword=p\n"
	    "password_expiry_utc=1700000000\noauth_refresh_token=rt\n" },
	{ NULL, NULL, NULL, 0, 1, 0, "quit=1\n" },
	{ "u=x", "p=q y", NULL, 0, 0, 0, "username=u=x\npassword=p=q y\n" },
	{ "u", "p\nhost=evil", NULL, 0, 0, -1, NULL },
	{ "u", "p\r", NULL, 0, 0, -1, NULL },
	{ "u\rx", "p", NULL, 0, 0, -1, NULL },
	{ "u\n", "p", NULL, 0, 0, -1, NULL },
	{ "u", "p", "r\nquit=1", 0, 0, -1, NULL },
	{ "u", "p", "r\r", 0, 0, -1, NULL },
};

START_TEST(test_format_table)
{
	const struct fmt_row *r = &fmt_rows[_i];
	struct credential a = CREDENTIAL_INIT;
	char *out = (char *)"junk";
	int rc;

	a.username = r->username ? xstrdup(r->username) : NULL;
	a.password = r->password ? secret_strdup(r->password) : NULL;
	a.oauth_refresh_token = r->refresh ? secret_strdup(r->refresh) : NULL;
	a.password_expiry_utc = r->expiry;
	a.quit = r->quit;
	/* never echoed */
	a.protocol = xstrdup("https");
	a.host = xstrdup("h");
	a.path = xstrdup("p");
	ck_assert_int_eq(parse_str("wwwauth[]=Basic\ncapability[]=state\n",
	    &a, NULL), 0);
	rc = credential_format_get(&a, &out, &e);
	ck_assert_msg(rc == r->rc, "row %d: rc %d", _i, rc);
	if (rc != 0) {
		ck_assert_int_eq(e.ex, EX_DATAERR);
		ck_assert_ptr_null(out);
		ck_assert_ptr_null(strstr(e.msg, "evil"));
	} else {
		ck_assert_str_eq(out, r->out);
		secret_free(out);
	}
	credential_release(&a);
}
END_TEST

START_TEST(test_format_too_long)
{
	struct credential a = CREDENTIAL_INIT;
	char *out = NULL;

	a.password = xmalloc(70001);
	memset(a.password, 'x', 70000);
	a.password[70000] = '\0';
	ck_assert_int_eq(credential_format_get(&a, &out, &e), -1);
	ck_assert_int_eq(e.ex, EX_DATAERR);
	ck_assert_ptr_null(out);
	/* just at the limit: "password=" + value + "\n" == 65535 */
	a.password[CREDENTIAL_LINE_MAX - 10] = '\0';
	ck_assert_int_eq(credential_format_get(&a, &out, &e), 0);
	ck_assert_uint_eq(strlen(out), CREDENTIAL_LINE_MAX);
	secret_free(out);
	credential_release(&a);
}
END_TEST

/* What we print, git (and we) read back unchanged. */
START_TEST(test_format_round_trip)
{
	struct credential a = CREDENTIAL_INIT;
	char *out = NULL;

	ck_assert_int_eq(parse_str("username=u x\npassword= p=q \n"
	    "password_expiry_utc=42\noauth_refresh_token=r\n", &a, NULL), 0);
	ck_assert_int_eq(credential_format_get(&a, &out, &e), 0);
	ck_assert_int_eq(parse_str(out, &c, NULL), 0);
	ck_assert_str_eq(c.username, "u x");
	ck_assert_str_eq(c.password, " p=q ");
	ck_assert(c.password_expiry_utc == 42);
	ck_assert_str_eq(c.oauth_refresh_token, "r");
	secret_free(out);
	credential_release(&a);
}
END_TEST

/* ---- matching ----------------------------------------------------- */

struct match_row {
	const char	*want, *have;
	int		 match_password;
	int		 match;
};

static const struct match_row match_rows[] = {
	/* empty pattern matches anything */
	{ "", "protocol=https\nhost=h\nusername=u\n", 0, 1 },
	{ "protocol=https\n", "protocol=https\nhost=h\n", 0, 1 },
	{ "protocol=https\nhost=h\n", "protocol=https\nhost=h\nusername=u\n"
	    "path=x\n", 0, 1 },
	{ "protocol=http\n", "protocol=https\nhost=h\n", 0, 0 },
	{ "protocol=HTTPS\n", "protocol=https\n", 0, 0 },
	{ "host=H\n", "host=h\n", 0, 0 },
	/* the port is significant, both ways */
	{ "host=h:8080\n", "host=h\n", 0, 0 },
	{ "host=h\n", "host=h:8080\n", 0, 0 },
	{ "host=h:8080\n", "host=h:8080\n", 0, 1 },
	{ "host=h:8080\n", "host=h:8081\n", 0, 0 },
	/* present in want means required in have */
	{ "host=h\n", "protocol=https\n", 0, 0 },
	{ "host=\n", "host=\n", 0, 1 },
	{ "host=\n", "host=h\n", 0, 0 },
	/* path */
	{ "host=h\npath=a\n", "host=h\n", 0, 0 },
	{ "host=h\n", "host=h\npath=a\n", 0, 1 },
	{ "path=a\n", "path=a/\n", 0, 0 },
	{ "path=a\n", "path=a\n", 0, 1 },
	/* username */
	{ "username=u\n", "username=u2\n", 0, 0 },
	{ "username=u\n", "host=h\n", 0, 0 },
	{ "username=\n", "username=u\n", 0, 0 },
	{ "username=\n", "username=\n", 0, 1 },
	{ "host=h\n", "host=h\nusername=anyone\n", 0, 1 },
	/* password only with match_password */
	{ "host=h\npassword=p\n", "host=h\npassword=q\n", 0, 1 },
	{ "host=h\npassword=p\n", "host=h\npassword=q\n", 1, 0 },
	{ "host=h\npassword=p\n", "host=h\npassword=pp\n", 1, 0 },
	{ "host=h\npassword=p\n", "host=h\npassword=p\n", 1, 1 },
	{ "host=h\npassword=p\n", "host=h\n", 1, 0 },
	{ "host=h\npassword=\n", "host=h\npassword=\n", 1, 1 },
	{ "host=h\n", "host=h\npassword=p\n", 1, 1 },
	/* wwwauth[] never takes part */
	{ "host=h\nwwwauth[]=Basic realm=a\n", "host=h\n", 1, 1 },
	{ "host=h\n", "host=h\nwwwauth[]=x\n", 1, 1 },
};

START_TEST(test_match_table)
{
	const struct match_row *r = &match_rows[_i];
	struct credential want = CREDENTIAL_INIT, have = CREDENTIAL_INIT;

	ck_assert_int_eq(parse_str(r->want, &want, NULL), 0);
	ck_assert_int_eq(parse_str(r->have, &have, NULL), 0);
	ck_assert_msg(credential_match(&want, &have, r->match_password) ==
	    r->match, "row %d: want match %d", _i, r->match);
	credential_release(&want);
	credential_release(&have);
}
END_TEST

struct pattern_row {
	const char	*in;
	int		 empty, complete;
};
static const struct pattern_row pattern_rows[] = {
	{ "", 1, 0 },
	{ "password=p\n", 1, 0 },
	{ "wwwauth[]=x\ncapability[]=authtype\nquit=1\n", 1, 0 },
	{ "password_expiry_utc=5\noauth_refresh_token=t\n", 1, 0 },
	{ "protocol=https\n", 0, 0 },
	{ "host=\n", 0, 0 },
	{ "path=p\n", 0, 0 },
	{ "username=\n", 0, 0 },
	{ "protocol=https\nhost=h\nusername=u\npassword=p\n", 0, 1 },
	{ "protocol=cert\npath=/f\nusername=\npassword=\n", 0, 1 },
	{ "protocol=https\nhost=h\nusername=u\n", 0, 0 },
	{ "protocol=https\nhost=h\npassword=p\n", 0, 0 },
	{ "host=h\nusername=u\npassword=p\n", 0, 0 },
	{ "protocol=https\nusername=u\npassword=p\n", 0, 0 },
};

START_TEST(test_pattern_table)
{
	const struct pattern_row *r = &pattern_rows[_i];

	ck_assert_int_eq(parse_str(r->in, &c, NULL), 0);
	ck_assert_msg(credential_is_empty_pattern(&c) == r->empty,
	    "row %d empty", _i);
	ck_assert_msg(credential_is_complete(&c) == r->complete,
	    "row %d complete", _i);
}
END_TEST

/* ---- libsecret helpers -------------------------------------------- */

struct split_row {
	const char	*host;
	const char	*server;
	int		 port;
};
static const struct split_row split_rows[] = {
	{ "example.com:8088", "example.com", 8088 },
	{ "example.com", "example.com", 0 },
	{ "h:", "h", 0 },
	{ "h:0", "h", 0 },
	{ "h:1", "h", 1 },
	{ "h:65535", "h", 65535 },
	{ "h:65536", "h", 0 },
	{ "h:99999999999999999999", "h", 0 },
	{ "h:abc", "h", 0 },
	{ "h:80x", "h", 0 },
	{ "h:-1", "h", 0 },
	{ "a:b:443", "a:b", 443 },
	{ "[::1]", "[::1]", 0 },
	{ "[::1]:8080", "[::1]", 8080 },
	{ "[fe80::1%eth0]:22", "[fe80::1%eth0]", 22 },
	{ ":443", "", 443 },
	{ "", "", 0 },
	{ NULL, NULL, 0 },
};

START_TEST(test_split_host)
{
	const struct split_row *r = &split_rows[_i];
	int port = -1;
	char *s = credential_split_host(r->host, &port);

	expect_str(_i, "server", r->server, s);
	ck_assert_msg(port == r->port, "row %d: port %d", _i, port);
	free(s);
	s = credential_split_host(r->host, NULL);
	expect_str(_i, "server", r->server, s);
	free(s);
}
END_TEST

struct label_row {
	const char	*in;
	const char	*label;
};
static const struct label_row label_rows[] = {
	{ "protocol=https\nhost=example.com:8088\npath=foo/bar.git\n",
	    "Git: https://example.com:8088/foo/bar.git" },
	{ "protocol=https\nhost=sso.tld\n", "Git: https://sso.tld/" },
	{ "protocol=cert\npath=/path/to/cert.p12\n",
	    "Git: cert://(null)//path/to/cert.p12" },
	{ "protocol=https\nhost=h:0\n", "Git: https://h/" },
	{ "protocol=https\nhost=[::1]:8080\n", "Git: https://[::1]:8080/" },
	{ "host=h\n", "Git: (null)://h/" },
	{ "protocol=ldrelay\nhost=prod\nusername=u\npassword=secret\n",
	    "Git: ldrelay://prod/" },
};

START_TEST(test_label)
{
	const struct label_row *r = &label_rows[_i];
	char *l;

	ck_assert_int_eq(parse_str(r->in, &c, NULL), 0);
	l = credential_label(&c);
	ck_assert_str_eq(l, r->label);
	free(l);
}
END_TEST

/* ---- ldrelay ------------------------------------------------------ */

struct ldrelay_row {
	const char	*in;
	int		 rc;
	const char	*target;
	int		 is_id;
};
static const struct ldrelay_row ldrelay_rows[] = {
	{ "protocol=ldrelay\nhost=prod\n", 0, "prod", 0 },
	{ "url=ldrelay://prod\n", 0, "prod", 0 },
	{ "url=ldrelay://prod%20relays/\n", 0, "prod relays", 0 },
	{ "url=ldrelay://64b7f3c2a1d4e5f6a7b8c9d0\n", 0,
	    "64b7f3c2a1d4e5f6a7b8c9d0", 1 },
	{ "url=ldrelay://64B7F3C2A1D4E5F6A7B8C9D0\n", 0,
	    "64B7F3C2A1D4E5F6A7B8C9D0", 1 },
	{ "url=ldrelay://64b7f3c2a1d4e5f6a7b8c9d\n", 0,
	    "64b7f3c2a1d4e5f6a7b8c9d", 0 },
	{ "url=ldrelay://64b7f3c2a1d4e5f6a7b8c9d0a\n", 0,
	    "64b7f3c2a1d4e5f6a7b8c9d0a", 0 },
	{ "protocol=ldrelay\nhost=prod\npath=\n", 0, "prod", 0 },
	/* not ours: the helper must stay silent */
	{ "protocol=https\nhost=github.com\n", CREDENTIAL_NOT_OURS, NULL, 0 },
	{ "host=prod\n", CREDENTIAL_NOT_OURS, NULL, 0 },
	{ "protocol=LDRELAY\nhost=prod\n", CREDENTIAL_NOT_OURS, NULL, 0 },
	{ "protocol=ldrelayx\nhost=prod\n", CREDENTIAL_NOT_OURS, NULL, 0 },
	/* ours but malformed */
	{ "protocol=ldrelay\n", -1, NULL, 0 },
	{ "protocol=ldrelay\nhost=\n", -1, NULL, 0 },
	{ "url=ldrelay://prod/extra\n", -1, NULL, 0 },
	{ "protocol=ldrelay\nhost=a/b\n", -1, NULL, 0 },
	{ "protocol=ldrelay\nhost=a\tb\n", -1, NULL, 0 },
	{ "url=ldrelay://a%1bb\n", -1, NULL, 0 },
	{ "url=ldrelay://a%7fb\n", -1, NULL, 0 },
};

START_TEST(test_ldrelay_table)
{
	const struct ldrelay_row *r = &ldrelay_rows[_i];
	const char *t = "junk";
	int is_id = -1, rc;

	ck_assert_int_eq(parse_str(r->in, &c, NULL), 0);
	rc = credential_ldrelay_target(&c, &t, &is_id, &e);
	ck_assert_msg(rc == r->rc, "row %d: rc %d", _i, rc);
	expect_str(_i, "target", r->target, t);
	if (rc == 0)
		ck_assert_msg(is_id == r->is_id, "row %d: is_id", _i);
	else
		ck_assert_int_eq(is_id, 0);
	if (rc == -1)
		ck_assert_int_eq(e.ex, EX_DATAERR);
}
END_TEST

START_TEST(test_ldrelay_long_name)
{
	char buf[600];

	memcpy(buf, "protocol=ldrelay\nhost=", 22);
	memset(buf + 22, 'n', 257);
	buf[22 + 257] = '\n';
	ck_assert_int_eq(credential_parse(buf, 22 + 258, &c, NULL, &e), 0);
	{
		const char *t;

		ck_assert_int_eq(credential_ldrelay_target(&c, &t, NULL, &e),
		    -1);
		c.host[256] = '\0';
		ck_assert_int_eq(credential_ldrelay_target(&c, &t, NULL, &e),
		    0);
	}
}
END_TEST

START_TEST(test_release_null)
{
	credential_release(NULL);
	credential_clear(NULL);
	credential_clear(&c);
	credential_clear(&c);
	ck_assert(credential_is_empty_pattern(&c));
}
END_TEST

static Suite *
credential_suite(void)
{
	Suite *s = suite_create("credential");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_parse_table, 0,
	    LDRT_ARRAY_SIZE(parse_rows));
	tcase_add_test(tc, test_parse_error_hides_value);
	tcase_add_test(tc, test_parse_accumulates);
	tcase_add_loop_test(tc, test_parse_scalars, 0,
	    LDRT_ARRAY_SIZE(scalar_rows));
	tcase_add_test(tc, test_parse_lists);
	tcase_add_test(tc, test_parse_list_cap);
	tcase_add_loop_test(tc, test_parse_long_line, 0,
	    LDRT_ARRAY_SIZE(long_rows));
	tcase_add_test(tc, test_parse_split_line_injection);
	tcase_add_test(tc, test_parse_duplicate_wipes_old_secret);
	tcase_add_test(tc, test_release_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("url");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_url_table, 0, LDRT_ARRAY_SIZE(url_rows));
	suite_add_tcase(s, tc);

	tc = tcase_create("read");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_read_fd_eof);
	tcase_add_test(tc, test_read_fd_blank_line);
	tcase_add_test(tc, test_read_fd_blank_first);
	tcase_add_test(tc, test_read_fd_too_big);
	tcase_add_test(tc, test_read_fd_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_format_table, 0,
	    LDRT_ARRAY_SIZE(fmt_rows));
	tcase_add_test(tc, test_format_too_long);
	tcase_add_test(tc, test_format_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("match");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_match_table, 0,
	    LDRT_ARRAY_SIZE(match_rows));
	tcase_add_loop_test(tc, test_pattern_table, 0,
	    LDRT_ARRAY_SIZE(pattern_rows));
	suite_add_tcase(s, tc);

	tc = tcase_create("libsecret");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_split_host, 0,
	    LDRT_ARRAY_SIZE(split_rows));
	tcase_add_loop_test(tc, test_label, 0, LDRT_ARRAY_SIZE(label_rows));
	suite_add_tcase(s, tc);

	tc = tcase_create("ldrelay");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_ldrelay_table, 0,
	    LDRT_ARRAY_SIZE(ldrelay_rows));
	tcase_add_test(tc, test_ldrelay_long_name);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(credential_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
