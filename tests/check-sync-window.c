/* Unit tests of offlineimap's maxage window (libmailsync/sync/
 * mailsync-sync-window.c, issue 11 item 3): both forms of maxage around
 * midnight and daylight-saving changes, in several time zones, and the
 * day and file-name rules at their edges. The expected times are what
 * offlineimap 8 computes with Python's time module in that zone (its
 * folder/Base.py: time.mktime(time.gmtime(now - N days)) for maxage = N,
 * time.mktime(time.strptime(DATE, '%Y-%m-%d')) for maxage = DATE),
 * printed by:
 *
 *   TZ=ZONE python3 -c 'import time, calendar; ...'
 *
 * so that a change in the C rule shows up as a difference from
 * offlineimap, not from ourselves. */
#include "config.h"

#include "mailsync-test.h"
#include "sync/mailsync-sync-window.h"
#include <libmailsync/mailsync.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct
{
  const char *zone;
  guint days;
  guint ymd;
  gint64 now;
  gint64 cutoff;    /* offlineimap's time.mktime() value */
} WindowCase;

/* "now" values: 2026-03-29 00:30:00Z (the night Europe/Berlin moves to
 * summer time), 2026-03-30 23:59:59Z (a second before UTC midnight),
 * 2026-07-15 00:00:00Z (UTC midnight, summer), 2026-10-25 01:30:00Z (the
 * night Berlin moves back), 2026-12-31 23:59:59Z; the dates: the spring and
 * autumn changes in Berlin, a summer day, New Year, and 2018-11-04, when
 * São Paulo's midnight did not exist (clocks went from 00:00 to 01:00). */
static const WindowCase cases[] = {
  { "Europe/Berlin", 1, 0, 1774744200, 1774654200 },
  { "Europe/Berlin", 1, 0, 1774915199, 1774825199 },
  { "Europe/Berlin", 30, 0, 1784073600, 1781478000 },
  { "Europe/Berlin", 1, 0, 1792891800, 1792801800 },
  { "Europe/Berlin", 365, 0, 1798761599, 1767221999 },
  { "Europe/Berlin", 0, 20260329, 0, 1774738800 },
  { "Europe/Berlin", 0, 20260701, 0, 1782856800 },
  { "Europe/Berlin", 0, 20261025, 0, 1792879200 },
  { "Europe/Berlin", 0, 20260101, 0, 1767222000 },
  { "America/New_York", 1, 0, 1774744200, 1774675800 },
  { "America/New_York", 1, 0, 1774915199, 1774846799 },
  { "America/New_York", 30, 0, 1784073600, 1781499600 },
  { "America/New_York", 0, 20260329, 0, 1774756800 },
  { "America/New_York", 0, 20260701, 0, 1782878400 },
  { "America/New_York", 0, 20181104, 0, 1541304000 },
  { "America/Sao_Paulo", 1, 0, 1792891800, 1792816200 },
  { "America/Sao_Paulo", 0, 20181104, 0, 1541300400 },
  { "America/Sao_Paulo", 0, 20260701, 0, 1782874800 },
  { "Pacific/Kiritimati", 1, 0, 1774744200, 1774607400 },
  { "Pacific/Kiritimati", 365, 0, 1798761599, 1767175199 },
  { "Pacific/Kiritimati", 0, 20260101, 0, 1767175200 },
  { "UTC", 1, 0, 1774915199, 1774828799 },
  { "UTC", 0, 20260329, 0, 1774742400 },
};

static gboolean
zone_installed (const char *zone)
{
  g_autofree char *path = g_build_filename ("/usr/share/zoneinfo", zone, NULL);

  return g_str_equal (zone, "UTC") || g_file_test (path, G_FILE_TEST_EXISTS);
}

START_TEST (test_window_compute)
{
  const WindowCase *c = &cases[_i];
  MailsyncMaxAge age = { 0, 0 };

  if (!zone_installed (c->zone))
    {
      /* tzdata missing: the C library would fall back to UTC silently */
      g_printerr ("# %s not installed: case %d not checked\n", c->zone, _i);
      return;
    }
  g_setenv ("TZ", c->zone, TRUE);
  tzset ();
  ck_assert_msg (_mailsync_max_age_compute (c->days, c->ymd, c->now, &age), "case %d: not computed", _i);
  ck_assert_msg (age.local_cutoff == c->cutoff, "%s maxage=%u/%u at %" G_GINT64_FORMAT ": cutoff %" G_GINT64_FORMAT
                 ", offlineimap %" G_GINT64_FORMAT, c->zone, c->days, c->ymd, c->now, age.local_cutoff, c->cutoff);
  /* the server is searched SINCE the day after (UTC) */
  ck_assert_int_eq (age.since, c->cutoff + 86400);
}
END_TEST

START_TEST (test_window_unset)
{
  MailsyncMaxAge age = { 0, 0 };

  ck_assert (!_mailsync_max_age_compute (0, 0, 1774744200, &age));
}
END_TEST

static GPtrArray *
infos (const char *const *keys, const gint64 *dates, const guint32 *uids, guint n)
{
  GPtrArray *list = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (list, mailsync_message_info_new (uids[i], keys ? keys[i] : NULL, 0, NULL, 100, dates ? dates[i] : 0));
  return list;
}

static char *
uids_of (GPtrArray *list)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < list->len; i++)
    g_string_append_printf (out, "%s%u", i ? " " : "", mailsync_message_info_get_uid (list->pdata[i]));
  return g_string_free (out, FALSE);
}

/* SEARCH SINCE compares days in UTC: the last second of the day before is
 * out, the first second of the day is in, whatever time of day @since is. */
START_TEST (test_window_since_day_edges)
{
  /* 2026-03-30 00:00:00Z and its neighbours */
  const gint64 midnight = 1774828800;
  const gint64 dates[] = { midnight - 1, midnight, midnight + 86399, midnight + 86400, 0 };
  const guint32 uids[] = { 1, 2, 3, 4, 5 };
  const gint64 sinces[] = { midnight, midnight + 43200, midnight + 86399 };

  for (guint i = 0; i < G_N_ELEMENTS (sinces); i++)
    {
      g_autoptr(GPtrArray) kept = _mailsync_max_age_since_day (infos (NULL, dates, uids, 5), sinces[i]);
      g_autofree char *got = uids_of (kept);

      ck_assert_str_eq (got, "2 3 4");
    }
}
END_TEST

/* The remote window: the messages of @since's day on, and every UID from
 * the lowest found on (an older message with a higher UID is listed). */
START_TEST (test_window_remote)
{
  const gint64 midnight = 1774828800;
  const gint64 dates[] = { midnight - 86400, midnight + 10, midnight - 10, midnight - 86400 * 5 };
  const guint32 uids[] = { 1, 2, 3, 4 };
  g_autoptr(GPtrArray) since = _mailsync_max_age_remote (infos (NULL, dates, uids, 4), midnight, 0);
  guint32 min_uid = _mailsync_max_age_min_uid (since);
  g_autoptr(GPtrArray) kept = _mailsync_max_age_remote (infos (NULL, dates, uids, 4), midnight, min_uid);
  g_autofree char *got = uids_of (kept);

  ck_assert_uint_eq (min_uid, 2);
  ck_assert_str_eq (got, "2 3 4");
}
END_TEST

/* A local file is judged by the first run of digits in its name
 * (offlineimap's _iswithintime, re.search('(\d+)')): a second before the
 * cutoff is out, the cutoff is in, a name without digits is in, and a
 * name whose only digits are the "2" of ":2,S" is out (2 seconds after
 * the epoch, for offlineimap too); an older file with a UID above the
 * lowest kept one is back in (both sides list the same UIDs). New files
 * (UID 0) follow their names only. */
START_TEST (test_window_local_names)
{
  const gint64 cutoff = 1774654200;
  g_autofree char *before = g_strdup_printf ("cur/%" G_GINT64_FORMAT ".a.host,U=3:2,S", cutoff - 1);
  g_autofree char *at = g_strdup_printf ("cur/%" G_GINT64_FORMAT ".b.host,U=5:2,S", cutoff);
  g_autofree char *old_high = g_strdup_printf ("cur/%" G_GINT64_FORMAT ".c.host,U=7:2,S", cutoff - 86400);
  g_autofree char *old_new = g_strdup_printf ("new/%" G_GINT64_FORMAT ".d.host", cutoff - 86400 * 30);
  g_autofree char *recent_new = g_strdup_printf ("new/%" G_GINT64_FORMAT ".e.host", cutoff + 60);
  const char *keys[] = { before, at, old_high, old_new, recent_new, "new/mutt-saved.host", "cur/saved-too.host:2,S" };
  const guint32 uids[] = { 3, 5, 7, 0, 0, 0, 0 };
  g_autoptr(GPtrArray) kept = _mailsync_max_age_local_by_name (infos (keys, NULL, uids, 7), cutoff);
  GString *got = g_string_new (NULL);
  g_autofree char *text = NULL;

  for (guint i = 0; i < kept->len; i++)
    g_string_append_printf (got, "%s%s", i ? " " : "", mailsync_message_info_get_key (kept->pdata[i]));
  text = g_string_free (got, FALSE);
  ck_assert_uint_eq (kept->len, 4);
  ck_assert_msg (strstr (text, at) != NULL && strstr (text, old_high) != NULL && strstr (text, recent_new) != NULL
                 && strstr (text, "mutt-saved") != NULL && strstr (text, before) == NULL
                 && strstr (text, old_new) == NULL && strstr (text, "saved-too") == NULL, "kept: %s", text);
}
END_TEST

static void
collect_errors (MailsyncAccount *account, MailsyncSyncEvent *event, gpointer user_data)
{
  const GError *error = mailsync_sync_event_get_error (event);

  if (mailsync_sync_event_get_kind (event) == MAILSYNC_SYNC_EVENT_ERROR && error != NULL)
    g_string_append_printf (user_data, "%s\n", error->message);
}

/* maxage through the API on an account whose local side is mapped (the
 * config refuses it): the sync fails saying so, and copies nothing,
 * instead of taking every local message as out of the window. */
START_TEST (test_window_mapped_local_refused)
{
  g_autofree char *tmp = mailsync_test_mkdtemp ();
  g_autofree char *remote_root = g_build_filename (tmp, "remote", NULL);
  g_autofree char *local_root = g_build_filename (tmp, "local", NULL);
  g_autofree char *map_dir = g_build_filename (tmp, "map", NULL);
  g_autofree char *status_dir = g_build_filename (tmp, "status", NULL);
  g_autofree char *message = g_build_filename (remote_root, "INBOX", "cur", "1764000000.1.host:2,S", NULL);
  g_autofree char *local_inbox = g_build_filename (local_root, "INBOX", "cur", NULL);
  g_autoptr(MailsyncRepository) remote = NULL;
  g_autoptr(MailsyncRepository) inner = NULL;
  g_autoptr(MailsyncRepository) local = NULL;
  g_autoptr(MailsyncStatusStore) status = NULL;
  g_autoptr(MailsyncAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GString) errors = g_string_new (NULL);

  for (const char *const *sub = (const char *const[]) { "cur", "new", "tmp", NULL }; *sub; sub++)
    {
      g_autofree char *path = g_build_filename (remote_root, "INBOX", *sub, NULL);

      g_mkdir_with_parents (path, 0700);
    }
  mailsync_test_write_file (message, "Subject: one\r\n\r\nbody\r\n");
  g_mkdir_with_parents (local_root, 0700);
  g_mkdir_with_parents (map_dir, 0700);
  remote = mailsync_maildir_repository_new ("Remote", remote_root, '.');
  mailsync_maildir_repository_set_assign_uids (MAILSYNC_MAILDIR_REPOSITORY (remote), TRUE);
  inner = mailsync_maildir_repository_new ("Inner", local_root, '.');
  local = mailsync_mapped_repository_new (inner, map_dir);
  status = mailsync_status_sqlite_new (status_dir);
  account = mailsync_account_new ("Test", remote, local, status);
  mailsync_account_set_max_age (account, 7);
  g_signal_connect (account, "event", G_CALLBACK (collect_errors), errors);
  ck_assert (!mailsync_account_sync (account, NULL, &error));
  ck_assert_msg (strstr (errors->str, "maxage needs a Maildir local repository") != NULL, "errors: %s (%s)",
                 errors->str, error ? error->message : "none");
  dir = g_dir_open (local_inbox, 0, NULL);
  ck_assert_msg (dir == NULL || g_dir_read_name (dir) == NULL, "a message was copied");
  mailsync_test_rm_rf (tmp);
}
END_TEST

static Suite *
window_suite (void)
{
  Suite *s = suite_create ("sync-window");
  TCase *tc = tcase_create ("maxage");

  tcase_add_loop_test (tc, test_window_compute, 0, G_N_ELEMENTS (cases));
  tcase_add_test (tc, test_window_unset);
  tcase_add_test (tc, test_window_since_day_edges);
  tcase_add_test (tc, test_window_remote);
  tcase_add_test (tc, test_window_local_names);
  tcase_add_test (tc, test_window_mapped_local_refused);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (window_suite ());
}
