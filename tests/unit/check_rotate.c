/*
 * check_rotate.c: unit tests for the parts of src/rotate.c that need no
 * API: option defaults, the summary line, and the local-state annotation
 * that status, list and show print (old key's grace, restart due/overdue,
 * interrupted rotation, changed elsewhere).  The workflow itself (reset,
 * store, outputs, crash points, repair) is driven end to end against the
 * fake API by tests/integration/t40-rotate.sh and t41-rotate-crash.sh.
 * Each test runs in a fresh temporary state directory.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ldrt.h"
#include "output.h"
#include "rotate.h"
#include "state.h"
#include "timeutil.h"

#define ID1	"64b7f3c2a1d4e5f6a7b8c9d0"
#define HOUR_MS	(3600 * 1000LL)

static char	 tmpdir[256];
static char	 stdir[PATH_MAX];

static int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(p);
}

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_rotate.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(stdir, sizeof(stdir), "%s/st", tmpdir);
	state_set_dir(stdir);
}

static void
teardown(void)
{
	state_set_dir(NULL);
	nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Saves a record for ID1. */
static void
save_record(const char *disp, const char *old_disp, int64_t old_exp,
    bool exec_failed)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_record r = STATE_RECORD_INIT;

	state_record_set(&r.name, "prod");
	state_record_set(&r.display_key, disp);
	state_record_set(&r.old_display_key, old_disp);
	r.created_or_rotated_at_ms = time_now_ms();
	r.old_key_expires_at_ms = old_exp;
	r.exec_failed = exec_failed;
	ck_assert_msg(state_record_save(ID1, &r, &e) == 0, "%s", e.msg);
	state_record_release(&r);
}

/* ---- options ----------------------------------------------------------- */

START_TEST(test_opts_defaults)
{
	struct output_opts oo;
	struct rotate_opts o;
	int64_t before = time_now_ms();

	output_init(&oo, OUTPUT_ALLOW_KEY);
	rotate_opts_init(&o, &oo);
	ck_assert_int_eq(o.grace_s, -1);
	ck_assert_int_eq(o.if_older_than_s, -1);
	ck_assert_int_eq(o.expiry_ms, 0);
	ck_assert_int_eq(o.lock_wait, 0);
	ck_assert(!o.dry_run && !o.repair && !o.force && !o.yes);
	ck_assert(o.started_ms >= before && o.started_ms <= time_now_ms());
	ck_assert_ptr_eq(o.out, &oo);
	ck_assert_int_eq(ROTATE_DEFAULT_GRACE, 3600);
}
END_TEST

/* ---- summary line ------------------------------------------------------ */

static const struct {
	enum rotate_status st;
	const char	*old, *new_;
	int64_t		 exp;
	const char	*note;
	const char	*want;
} summary_rows[] = {
	{ ROTATE_ROTATED, "7f30", "1c2d", 1796385600000LL, "",
	    "rotated 'prod': ...7f30 -> ...1c2d; old key valid until "
	    "2026-12-04T12:00:00Z" },
	{ ROTATE_REPAIRED, "7f30", "9a9a", 1796385600000LL, "",
	    "repaired 'prod': ...7f30 -> ...9a9a; old key valid until "
	    "2026-12-04T12:00:00Z" },
	{ ROTATE_ROTATED, "7f30", "1c2d", 0, "",
	    "rotated 'prod': ...7f30 -> ...1c2d; old key stopped working "
	    "at once" },
	{ ROTATE_ROTATED, "", "1c2d", 0, "",
	    "rotated 'prod': ...? -> ...1c2d; old key stopped working at "
	    "once" },
	{ ROTATE_NOT_DUE, "7f30", "", 0, "'prod' is not due",
	    "'prod' is not due" },
	{ ROTATE_PLANNED, "7f30", "", 0, "would rotate 'prod'",
	    "would rotate 'prod'" },
	{ ROTATE_NOTHING, "", "", 0, "", "" },
};

START_TEST(test_summary)
{
	struct rotate_result r;
	char buf[700];

	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "prod");
	r.status = summary_rows[_i].st;
	snprintf(r.old_display, sizeof(r.old_display), "%s",
	    summary_rows[_i].old);
	snprintf(r.new_display, sizeof(r.new_display), "%s",
	    summary_rows[_i].new_);
	r.old_expiry_ms = summary_rows[_i].exp;
	snprintf(r.note, sizeof(r.note), "%s", summary_rows[_i].note);
	rotate_summary(&r, buf, sizeof(buf));
	ck_assert_str_eq(buf, summary_rows[_i].want);
}
END_TEST

START_TEST(test_summary_truncates)
{
	struct rotate_result r;
	char buf[16];

	memset(&r, 0, sizeof(r));
	r.status = ROTATE_ROTATED;
	memset(r.name, 'n', sizeof(r.name) - 1);
	snprintf(r.old_display, sizeof(r.old_display), "7f30");
	snprintf(r.new_display, sizeof(r.new_display), "1c2d");
	r.old_expiry_ms = 1796385600000LL;
	rotate_summary(&r, buf, sizeof(buf));
	ck_assert_uint_eq(strlen(buf), sizeof(buf) - 1);
	ck_assert(strncmp(buf, "rotated 'nnnnn", 14) == 0);
}
END_TEST

/* ---- local state for status/list/show ----------------------------------- */

START_TEST(test_local_none)
{
	char buf[256] = "junk";

	/* no record at all */
	ck_assert_int_eq(rotate_relay_local_state(ID1, "7f30", time_now_ms(),
	    buf, sizeof(buf)), ROTATE_LOCAL_NONE);
	ck_assert_str_eq(buf, "");
	/* a record without an old key */
	save_record("7f30", NULL, 0, false);
	ck_assert_int_eq(rotate_relay_local_state(ID1, "7f30", time_now_ms(),
	    buf, sizeof(buf)), ROTATE_LOCAL_NONE);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(test_local_bad_id)
{
	static const char *const ids[] = {
		NULL, "", "../etc/passwd", "a/b", "x y",
		"0123456789012345678901234567890123456789012345678901234567890"
		"12345",
	};
	char buf[64];
	size_t i;

	for (i = 0; i < LDRT_ARRAY_SIZE(ids); i++) {
		strcpy(buf, "junk");
		ck_assert_int_eq(rotate_relay_local_state(ids[i], "7f30",
		    time_now_ms(), buf, sizeof(buf)), ROTATE_LOCAL_NONE);
		ck_assert_str_eq(buf, "");
	}
}
END_TEST

START_TEST(test_local_grace)
{
	int64_t now = time_now_ms();
	char buf[256], t[40];

	save_record("1c2d", "7f30", now + HOUR_MS, false);
	ck_assert_int_eq(rotate_relay_local_state(ID1, "1c2d", now, buf,
	    sizeof(buf)), ROTATE_LOCAL_GRACE);
	time_format_ms(now + HOUR_MS, t, sizeof(t));
	ck_assert_ptr_nonnull(strstr(buf, "old key ...7f30 valid until"));
	ck_assert_ptr_nonnull(strstr(buf, t));
	/* the grace is over: nothing to say */
	ck_assert_int_eq(rotate_relay_local_state(ID1, "1c2d",
	    now + 2 * HOUR_MS, buf, sizeof(buf)), ROTATE_LOCAL_NONE);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(test_local_restart)
{
	int64_t now = time_now_ms();
	char buf[256];

	save_record("1c2d", "7f30", now + HOUR_MS, true);
	ck_assert_int_eq(rotate_relay_local_state(ID1, "1c2d", now, buf,
	    sizeof(buf)), ROTATE_LOCAL_RESTART_DUE);
	ck_assert_ptr_nonnull(strstr(buf, "restart due"));
	ck_assert_ptr_nonnull(strstr(buf, "...7f30"));
	ck_assert_int_eq(rotate_relay_local_state(ID1, "1c2d",
	    now + 2 * HOUR_MS, buf, sizeof(buf)),
	    ROTATE_LOCAL_RESTART_OVERDUE);
	ck_assert_ptr_nonnull(strstr(buf, "restart overdue"));
}
END_TEST

START_TEST(test_local_changed_elsewhere)
{
	int64_t now = time_now_ms();
	char buf[256];

	save_record("1c2d", "7f30", now + HOUR_MS, false);
	ck_assert_int_eq(rotate_relay_local_state(ID1, "beef", now, buf,
	    sizeof(buf)), ROTATE_LOCAL_CHANGED_ELSEWHERE);
	ck_assert_ptr_nonnull(strstr(buf, "changed elsewhere"));
	ck_assert_ptr_nonnull(strstr(buf, "...1c2d"));
	ck_assert_ptr_nonnull(strstr(buf, "...beef"));
	/* without the API's display key nothing can be said about it */
	ck_assert_int_eq(rotate_relay_local_state(ID1, NULL, now, buf,
	    sizeof(buf)), ROTATE_LOCAL_GRACE);
}
END_TEST

START_TEST(test_local_journal)
{
	struct ldrt_err e = LDRT_ERR_INIT;
	struct state_journal j = STATE_JOURNAL_INIT;
	int64_t now = time_now_ms();
	char buf[256];

	save_record("7f30", NULL, 0, false);
	j.id = xstrdup(ID1);
	j.name = xstrdup("prod");
	j.expiry_ms = now + HOUR_MS;
	j.old_display_key = xstrdup("7f30");
	ck_assert_msg(state_journal_begin(&j, &e) == 0, "%s", e.msg);
	/* a journal wins over "changed elsewhere": the reset may be ours */
	ck_assert_int_eq(rotate_relay_local_state(ID1, "beef", now, buf,
	    sizeof(buf)), ROTATE_LOCAL_JOURNAL);
	ck_assert_ptr_nonnull(strstr(buf, "reset-requested"));
	ck_assert_ptr_nonnull(strstr(buf, "rotate --repair"));
	ck_assert_msg(state_note_unknown_reset(ID1, "prod", now + HOUR_MS,
	    &e) == 0, "%s", e.msg);
	ck_assert_int_eq(rotate_relay_local_state(ID1, "beef", now, buf,
	    sizeof(buf)), ROTATE_LOCAL_JOURNAL);
	ck_assert_ptr_nonnull(strstr(buf, "reset-outcome-unknown"));
	ck_assert_int_eq(state_journal_clear(ID1, &e), 0);
	ck_assert_int_eq(rotate_relay_local_state(ID1, "beef", now, buf,
	    sizeof(buf)), ROTATE_LOCAL_CHANGED_ELSEWHERE);
	state_journal_release(&j);
}
END_TEST

START_TEST(test_local_small_buffer)
{
	int64_t now = time_now_ms();
	char buf[8];

	save_record("1c2d", "7f30", now + HOUR_MS, false);
	ck_assert_int_eq(rotate_relay_local_state(ID1, "beef", now, buf,
	    sizeof(buf)), ROTATE_LOCAL_CHANGED_ELSEWHERE);
	ck_assert_uint_eq(strlen(buf), sizeof(buf) - 1);
	/* len 0: nothing written, the answer still given */
	ck_assert_int_eq(rotate_relay_local_state(ID1, "beef", now, buf, 0),
	    ROTATE_LOCAL_CHANGED_ELSEWHERE);
}
END_TEST

static Suite *
rotate_suite(void)
{
	Suite *s = suite_create("rotate");
	TCase *tc;

	tc = tcase_create("opts");
	tcase_add_test(tc, test_opts_defaults);
	suite_add_tcase(s, tc);

	tc = tcase_create("summary");
	tcase_add_loop_test(tc, test_summary, 0,
	    (int)LDRT_ARRAY_SIZE(summary_rows));
	tcase_add_test(tc, test_summary_truncates);
	suite_add_tcase(s, tc);

	tc = tcase_create("local");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_local_none);
	tcase_add_test(tc, test_local_bad_id);
	tcase_add_test(tc, test_local_grace);
	tcase_add_test(tc, test_local_restart);
	tcase_add_test(tc, test_local_changed_elsewhere);
	tcase_add_test(tc, test_local_journal);
	tcase_add_test(tc, test_local_small_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int nfail;

	sr = srunner_create(rotate_suite());
	srunner_run_all(sr, CK_ENV);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
