/* Table tests of the pure sync plan: explicit expectations for the cases
 * of offlineimap's outcome table (reference §5.5), then every combination
 * of {absent, flags} on remote, local and status applied to a model of the
 * two sides, checking convergence, no loss and idempotence. */
#include "config.h"

#include "mailsync-test.h"
#include "sync/mailsync-sync-plan.h"

#include <string.h>

#define ABSENT NULL

static const MailsyncPlanPolicy default_policy = { FALSE, FALSE, TRUE, TRUE };

/* Renders a plan as "KIND uid [flags|+add-remove]; ..." for comparison. */
static char *
render (GPtrArray *plan)
{
  static const char *names[] = { "DOWNLOAD", "UPLOAD", "DELETE_LOCAL", "DELETE_REMOTE",
                                 "FLAGS_LOCAL", "FLAGS_REMOTE", "STATUS_PUT", "STATUS_REMOVE" };
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < plan->len; i++)
    {
      MailsyncAction *a = plan->pdata[i];
      if (i)
        g_string_append (s, "; ");
      g_string_append_printf (s, "%s %u", names[a->kind], a->uid);
      if (a->kind == MAILSYNC_ACTION_FLAGS_LOCAL || a->kind == MAILSYNC_ACTION_FLAGS_REMOTE)
        g_string_append_printf (s, " +%s-%s", a->add, a->remove);
      else if (a->flags)
        g_string_append_printf (s, " %s", a->flags);
    }
  return g_string_free (s, FALSE);
}

static char *
plan_one (const char *r, const char *l, const char *s, const MailsyncPlanPolicy *policy)
{
  MailsyncPlanMessage rm = { 7, NULL, r }, lm = { 7, "cur/x", l };
  MailsyncPlanStatus sm = { 7, s };
  g_autoptr(GPtrArray) plan = mailsync_sync_plan_compute (&rm, r ? 1 : 0, &lm, l ? 1 : 0,
                                                          &sm, s ? 1 : 0, policy);
  return render (plan);
}

typedef struct
{
  const char *name;
  const char *remote, *local, *status;
  MailsyncPlanPolicy policy;
  const char *expected;
} PlanCase;

static const PlanCase cases[] = {
  { "new remote", "S", ABSENT, ABSENT, { 0, 0, 1, 1 }, "DOWNLOAD 7 S" },
  { "new remote, local read-only", "S", ABSENT, ABSENT, { 0, 1, 1, 1 }, "" },
  /* A lost status cannot say who changed what: no flag either side has is
   * dropped (offlineimap lets the local flags win). */
  { "on both, status lost: local flag added to remote", "S", "FS", ABSENT, { 0, 0, 1, 1 },
    "FLAGS_REMOTE 7 +F-; STATUS_PUT 7 FS" },
  { "on both, status lost: remote flag kept", "FS", "S", ABSENT, { 0, 0, 1, 1 },
    "FLAGS_LOCAL 7 +F-; STATUS_PUT 7 FS" },
  { "on both, status lost: union both ways", "F", "S", ABSENT, { 0, 0, 1, 1 },
    "FLAGS_LOCAL 7 +F-; FLAGS_REMOTE 7 +S-; STATUS_PUT 7 FS" },
  { "on both, status lost, local read-only", "F", "S", ABSENT, { 0, 1, 1, 1 },
    "FLAGS_REMOTE 7 +S-; STATUS_PUT 7 S" },
  /* ... and the run after it: the remote keeps F, which the read-only
   * local side never got (it must not read as removed there). */
  { "local read-only, remote has a flag local cannot take", "FS", "S", "S", { 0, 1, 1, 1 }, "" },
  { "local read-only, remote removed a flag", "", "S", "S", { 0, 1, 1, 1 }, "" },
  { "local read-only, local changed by another program", "S", "FS", "S", { 0, 1, 1, 1 },
    "FLAGS_REMOTE 7 +F-; STATUS_PUT 7 FS" },
  { "on both, status lost, same flags", "S", "S", ABSENT, { 0, 0, 1, 1 }, "STATUS_PUT 7 S" },
  { "in sync", "FS", "FS", "FS", { 0, 0, 1, 1 }, "" },
  /* The same string on both sides and in the status is "in sync" (no
   * merge, 32948c2) only when it is spelt as the merge spells flags:
   * otherwise the merge runs and the status is written its way. */
  { "same flags everywhere, spelt unsorted", "SF", "SF", "SF", { 0, 0, 1, 1 }, "STATUS_PUT 7 FS" },
  { "same flags everywhere, a letter the sync does not carry", "Sx", "Sx", "Sx", { 0, 0, 1, 1 },
    "STATUS_PUT 7 S" },
  { "remote added F", "FS", "S", "S", { 0, 0, 1, 1 }, "FLAGS_LOCAL 7 +F-; STATUS_PUT 7 FS" },
  { "local removed S", "S", "", "S", { 0, 0, 1, 1 }, "FLAGS_REMOTE 7 +-S; STATUS_PUT 7 " },
  { "both changed different flags", "FS", "", "S", { 0, 0, 1, 1 },
    "FLAGS_LOCAL 7 +F-; FLAGS_REMOTE 7 +-S; STATUS_PUT 7 F" },
  { "both made the same change", "F", "F", "", { 0, 0, 1, 1 }, "STATUS_PUT 7 F" },
  { "local change, remote read-only", "S", "FS", "S", { 1, 0, 1, 1 }, "" },
  { "remote change, remote read-only", "FS", "S", "S", { 1, 0, 1, 1 }, "FLAGS_LOCAL 7 +F-; STATUS_PUT 7 FS" },
  { "deleted locally", "S", ABSENT, "S", { 0, 0, 1, 1 }, "DELETE_REMOTE 7" },
  { "deleted locally beats remote flag change", "FS", ABSENT, "S", { 0, 0, 1, 1 }, "DELETE_REMOTE 7" },
  { "deleted locally, local sync_deletes=no", "S", ABSENT, "S", { 0, 0, 1, 0 }, "" },
  { "deleted locally, remote read-only", "S", ABSENT, "S", { 1, 0, 1, 1 }, "" },
  { "deleted remotely", ABSENT, "S", "S", { 0, 0, 1, 1 }, "DELETE_LOCAL 7" },
  { "deleted remotely beats local flag change", ABSENT, "FS", "S", { 0, 0, 1, 1 }, "DELETE_LOCAL 7" },
  { "deleted remotely, remote sync_deletes=no", ABSENT, "S", "S", { 0, 0, 0, 1 }, "" },
  { "deleted remotely, local read-only", ABSENT, "S", "S", { 0, 1, 1, 1 }, "" },
  { "gone on both sides", ABSENT, ABSENT, "S", { 0, 0, 1, 1 }, "STATUS_REMOVE 7" },
  { "stale local UID: upload as new", ABSENT, "S", ABSENT, { 0, 0, 1, 1 }, "UPLOAD 7 S" },
  { "stale local UID, remote read-only", ABSENT, "S", ABSENT, { 1, 0, 1, 1 }, "" },
  { "nothing anywhere", ABSENT, ABSENT, ABSENT, { 0, 0, 1, 1 }, "" },
};

START_TEST (test_plan_table)
{
  const PlanCase *c = &cases[_i];
  g_autofree char *got = plan_one (c->remote, c->local, c->status, &c->policy);

  ck_assert_msg (strcmp (got, c->expected) == 0, "%s: expected \"%s\", got \"%s\"",
                 c->name, c->expected, got);
}
END_TEST

START_TEST (test_plan_new_local_mail)
{
  MailsyncPlanMessage local[] = { { 0, "new/a", "" }, { 0, "cur/b", "S" } };
  g_autoptr(GPtrArray) plan = mailsync_sync_plan_compute (NULL, 0, local, 2, NULL, 0, &default_policy);
  g_autofree char *got = render (plan);

  ck_assert_str_eq (got, "UPLOAD 0 S; UPLOAD 0 ");
  ck_assert_str_eq (((MailsyncAction *) plan->pdata[0])->key, "cur/b");
}
END_TEST

START_TEST (test_plan_duplicate_local_uid)
{
  /* Two local files claim UID 3: the second is a user's copy, uploaded. */
  MailsyncPlanMessage remote[] = { { 3, NULL, "S" } };
  MailsyncPlanMessage local[] = { { 3, "cur/a", "S" }, { 3, "cur/b", "S" } };
  MailsyncPlanStatus status[] = { { 3, "S" } };
  g_autoptr(GPtrArray) plan = mailsync_sync_plan_compute (remote, 1, local, 2, status, 1, &default_policy);
  g_autofree char *got = render (plan);

  ck_assert_str_eq (got, "UPLOAD 0 S");
  ck_assert_str_eq (((MailsyncAction *) plan->pdata[0])->key, "cur/b");
}
END_TEST

/* A killed run's download without its row, gone from the server
 * (mailsync-sync-state.c): planned as a server deletion, never uploaded;
 * kept where deletions do not propagate, with the row it lacked. */
START_TEST (test_plan_unrecorded_download)
{
  static const struct
  {
    MailsyncPlanPolicy policy;
    const char *expected;
  } rules[] = {
    { { 0, 0, 1, 1 }, "DELETE_LOCAL 7" },
    { { 0, 0, 0, 1 }, "STATUS_PUT 7 FS" },
    { { 0, 1, 1, 1 }, "STATUS_PUT 7 FS" },
    { { 1, 0, 1, 1 }, "DELETE_LOCAL 7" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    {
      MailsyncPlanMessage local[] = { { 7, "cur/x", "FS" } };
      MailsyncPlanStatus status[] = { { 7, "FS", NULL, TRUE } };
      g_autoptr(GPtrArray) plan = mailsync_sync_plan_compute (NULL, 0, local, 1, status, 1, &rules[i].policy);
      g_autofree char *got = render (plan);

      ck_assert_msg (strcmp (got, rules[i].expected) == 0, "rule %u: expected \"%s\", got \"%s\"", i,
                     rules[i].expected, got);
    }
}
END_TEST

START_TEST (test_plan_multi_message)
{
  MailsyncPlanMessage remote[] = { { 1, NULL, "S" }, { 2, NULL, "FS" }, { 4, NULL, "" }, { 9, NULL, "" } };
  MailsyncPlanMessage local[] = { { 1, "cur/1", "S" }, { 2, "cur/2", "S" }, { 3, "cur/3", "" }, { 0, "new/n", "" } };
  MailsyncPlanStatus status[] = { { 1, "S" }, { 2, "S" }, { 3, "" }, { 4, "" }, { 5, "R" } };
  g_autoptr(GPtrArray) plan = mailsync_sync_plan_compute (remote, 4, local, 4, status, 5, &default_policy);
  g_autofree char *got = render (plan);

  ck_assert_str_eq (got, "DOWNLOAD 9 ; UPLOAD 0 ; DELETE_LOCAL 3; DELETE_REMOTE 4; "
                         "FLAGS_LOCAL 2 +F-; STATUS_PUT 2 FS; STATUS_REMOVE 5");
}
END_TEST

START_TEST (test_plan_normalize_flags)
{
  g_autofree char *a = mailsync_sync_plan_normalize_flags ("Sajd");
  g_autofree char *b = mailsync_sync_plan_normalize_flags ("TSRFDP");
  g_autofree char *c = mailsync_sync_plan_normalize_flags (NULL);

  ck_assert_str_eq (a, "S");
  ck_assert_str_eq (b, "DFRST");
  ck_assert_str_eq (c, "");
}
END_TEST

/* ---- exhaustive model check ------------------------------------------ */

static const char *states[] = { ABSENT, "", "F", "S", "FS" };

typedef struct
{
  char *remote, *local, *status; /* NULL = absent */
  guint32 remote_uid, local_uid;
} Model;

static void
set_flags (char **slot, const char *add, const char *remove)
{
  g_autofree char *merged = g_strconcat (*slot, add, NULL);
  GString *out = g_string_new (NULL);

  for (const char *l = "DFRST"; *l; l++)
    if (strchr (merged, *l) && !strchr (remove, *l))
      g_string_append_c (out, *l);
  g_free (*slot);
  *slot = g_string_free (out, FALSE);
}

static void
apply (Model *m, GPtrArray *plan)
{
  for (guint i = 0; i < plan->len; i++)
    {
      MailsyncAction *a = plan->pdata[i];
      switch (a->kind)
        {
        case MAILSYNC_ACTION_DOWNLOAD:
          ck_assert_ptr_null (m->local);
          m->local = g_strdup (a->flags);
          m->local_uid = a->uid;
          g_free (m->status);
          m->status = g_strdup (a->flags);
          break;
        case MAILSYNC_ACTION_UPLOAD:
          /* The remote assigns a fresh UID; the model has only one message,
           * so the old remote copy (if any) is a different message. */
          ck_assert_ptr_null (m->remote);
          m->remote = g_strdup (a->flags);
          m->remote_uid = 100;
          m->local_uid = 100;
          g_free (m->status);
          m->status = g_strdup (a->flags);
          break;
        case MAILSYNC_ACTION_DELETE_LOCAL:
          g_clear_pointer (&m->local, g_free);
          g_clear_pointer (&m->status, g_free);
          break;
        case MAILSYNC_ACTION_DELETE_REMOTE:
          g_clear_pointer (&m->remote, g_free);
          g_clear_pointer (&m->status, g_free);
          break;
        case MAILSYNC_ACTION_FLAGS_LOCAL:
          ck_assert_ptr_nonnull (m->local);
          set_flags (&m->local, a->add, a->remove);
          break;
        case MAILSYNC_ACTION_FLAGS_REMOTE:
          ck_assert_ptr_nonnull (m->remote);
          set_flags (&m->remote, a->add, a->remove);
          break;
        case MAILSYNC_ACTION_STATUS_PUT:
          g_free (m->status);
          m->status = g_strdup (a->flags);
          break;
        case MAILSYNC_ACTION_STATUS_REMOVE:
          g_clear_pointer (&m->status, g_free);
          break;
        }
    }
}

static GPtrArray *
plan_model (Model *m, const MailsyncPlanPolicy *policy)
{
  MailsyncPlanMessage rm = { m->remote_uid, NULL, m->remote }, lm = { m->local_uid, "cur/x", m->local };
  MailsyncPlanStatus sm = { m->remote_uid, m->status };

  return mailsync_sync_plan_compute (&rm, m->remote ? 1 : 0, &lm, m->local ? 1 : 0,
                                     &sm, m->status ? 1 : 0, policy);
}

START_TEST (test_plan_exhaustive)
{
  guint checked = 0;

  for (guint ri = 0; ri < G_N_ELEMENTS (states); ri++)
    for (guint li = 0; li < G_N_ELEMENTS (states); li++)
      for (guint si = 0; si < G_N_ELEMENTS (states); si++)
        {
          Model m = { g_strdup (states[ri]), g_strdup (states[li]), g_strdup (states[si]), 7, 7 };
          g_autoptr(GPtrArray) plan = plan_model (&m, &default_policy);
          g_autoptr(GPtrArray) again = NULL;
          gboolean deleted_somewhere = states[si] != NULL && (states[ri] == NULL || states[li] == NULL);

          apply (&m, plan);
          /* Converged: both sides equal, status mirrors them. */
          if (m.remote || m.local)
            {
              ck_assert_msg (m.remote && m.local && m.status,
                             "R=%s L=%s S=%s: a message is on one side only after sync",
                             states[ri], states[li], states[si]);
              ck_assert_str_eq (m.remote, m.local);
              ck_assert_str_eq (m.status, m.local);
            }
          else
            ck_assert_ptr_null (m.status);
          /* No loss: a message disappears only if one side deleted it. */
          if ((states[ri] || states[li]) && !m.remote)
            ck_assert_msg (deleted_somewhere, "R=%s L=%s S=%s: message lost",
                           states[ri], states[li], states[si]);
          /* Idempotent: a second plan does nothing. */
          again = plan_model (&m, &default_policy);
          ck_assert_msg (again->len == 0, "R=%s L=%s S=%s: second run not empty",
                         states[ri], states[li], states[si]);
          g_free (m.remote);
          g_free (m.local);
          g_free (m.status);
          checked++;
        }
  ck_assert_uint_eq (checked, 125);
}
END_TEST

START_TEST (test_plan_exhaustive_flag_merge)
{
  /* Per flag: the remote's value if it changed since the status, else the
   * local one (offlineimap's two passes give exactly this). */
  for (guint ri = 1; ri < G_N_ELEMENTS (states); ri++)
    for (guint li = 1; li < G_N_ELEMENTS (states); li++)
      for (guint si = 1; si < G_N_ELEMENTS (states); si++)
        {
          Model m = { g_strdup (states[ri]), g_strdup (states[li]), g_strdup (states[si]), 7, 7 };
          g_autoptr(GPtrArray) plan = plan_model (&m, &default_policy);
          GString *expected = g_string_new (NULL);

          for (const char *f = "FS"; *f; f++)
            {
              gboolean r = strchr (states[ri], *f) != NULL, s = strchr (states[si], *f) != NULL;
              gboolean l = strchr (states[li], *f) != NULL;
              if (r != s ? r : l)
                g_string_append_c (expected, *f);
            }
          apply (&m, plan);
          ck_assert_msg (strcmp (m.local, expected->str) == 0, "R=%s L=%s S=%s: got %s want %s",
                         states[ri], states[li], states[si], m.local, expected->str);
          g_string_free (expected, TRUE);
          g_free (m.remote);
          g_free (m.local);
          g_free (m.status);
        }
}
END_TEST

/* The merge keeps its per-UID triples in an array when the UIDs are
 * dense and in a hash table when they are not (issue 13 item 2): every
 * combination of the model's states as one message each, given in
 * descending order, with new local mail and a second file of one UID,
 * plans the same under UIDs 1..125 (dense) and UIDs 1,000,003 apart
 * (sparse; the largest near G_MAXUINT32), UIDs scaled back. */
static char *
plan_spread (guint32 stride)
{
  MailsyncPlanMessage remote[125], local[127];
  MailsyncPlanStatus status[125];
  char keys[125][16];
  gsize nr = 0, nl = 0, ns = 0;
  g_autoptr(GPtrArray) plan = NULL;
  GString *out = g_string_new (NULL);

  for (guint i = 125; i-- > 0;)
    {
      const char *r = states[i / 25], *l = states[(i / 5) % 5], *st = states[i % 5];
      guint32 uid = (guint32) ((i + 1) * (guint64) stride + (stride > 1 ? G_MAXUINT32 - 126 * (guint64) stride : 0));

      g_snprintf (keys[i], sizeof keys[i], "cur/%u", i);
      if (r != NULL)
        remote[nr++] = (MailsyncPlanMessage) { uid, NULL, r, NULL };
      if (l != NULL)
        local[nl++] = (MailsyncPlanMessage) { uid, keys[i], l, NULL };
      if (st != NULL)
        status[ns++] = (MailsyncPlanStatus) { uid, st, NULL };
      if (i == 60 && l != NULL)
        local[nl++] = (MailsyncPlanMessage) { uid, "cur/copy", "S", NULL };
    }
  local[nl++] = (MailsyncPlanMessage) { 0, "new/n", "", NULL };
  plan = mailsync_sync_plan_compute (remote, nr, local, nl, status, ns, &default_policy);
  for (guint i = 0; i < plan->len; i++)
    {
      MailsyncAction *a = plan->pdata[i];
      guint32 at = a->uid == 0 ? 0 : stride == 1 ? a->uid
                   : (guint32) ((a->uid - (G_MAXUINT32 - 126 * (guint64) stride)) / stride);

      g_string_append_printf (out, "%d %u %s %s %s %s; ", a->kind, at, a->key ? a->key : "-", a->flags ? a->flags : "-",
                              a->add ? a->add : "-", a->remove ? a->remove : "-");
    }
  return g_string_free (out, FALSE);
}

START_TEST (test_plan_dense_sparse)
{
  g_autofree char *dense = plan_spread (1);
  g_autofree char *sparse = plan_spread (1000003);

  ck_assert_uint_gt (strlen (dense), 1000);
  ck_assert_str_eq (dense, sparse);
}
END_TEST

/* ---- keywords (issue 10 item 3) ---------------------------------------- */

/* Renders a plan with its keywords: "KIND uid flags [kw]" and
 * "FLAGS_x uid +add-remove [+kw-kw]". */
static char *
render_keywords (GPtrArray *plan)
{
  static const char *names[] = { "DOWNLOAD", "UPLOAD", "DELETE_LOCAL", "DELETE_REMOTE",
                                 "FLAGS_LOCAL", "FLAGS_REMOTE", "STATUS_PUT", "STATUS_REMOVE" };
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < plan->len; i++)
    {
      MailsyncAction *a = plan->pdata[i];
      if (i)
        g_string_append (s, "; ");
      g_string_append_printf (s, "%s %u", names[a->kind], a->uid);
      if (a->kind == MAILSYNC_ACTION_FLAGS_LOCAL || a->kind == MAILSYNC_ACTION_FLAGS_REMOTE)
        g_string_append_printf (s, " +%s-%s [+%s-%s]", a->add, a->remove, a->add_keywords, a->remove_keywords);
      else if (a->flags)
        g_string_append_printf (s, " %s [%s]", a->flags, a->keywords);
    }
  return g_string_free (s, FALSE);
}

/* PERMANENTFLAGS without \* listing only $Junk */
static gboolean
only_junk (const char *keyword, gpointer data)
{
  return strcmp (keyword, data) == 0;
}

typedef struct
{
  const char *name;
  const char *remote, *local, *status; /* "flags|keywords"; NULL: absent */
  gboolean restricted;                 /* the remote stores only $Junk */
  gboolean local_readonly;
  const char *expected;
} KeywordCase;

static const KeywordCase keyword_cases[] = {
  { "new remote with keywords", "S|$Junk $Label1", ABSENT, ABSENT, 0, 0, "DOWNLOAD 7 S [$Junk $Label1]" },
  { "new local with keywords", ABSENT, "|$Forwarded", ABSENT, 0, 0, "UPLOAD 7  [$Forwarded]" },
  { "in sync", "S|$Junk", "S|$Junk", "S|$Junk", 0, 0, "" },
  { "in sync, other order and repeats", "S|$b $a", "S|$a $b $a", "S|$b  $a", 0, 0, "" },
  { "remote added a keyword", "S|$Junk", "S|", "S|", 0, 0,
    "FLAGS_LOCAL 7 +- [+$Junk-]; STATUS_PUT 7 S [$Junk]" },
  { "local added a keyword", "S|", "S|$Junk", "S|", 0, 0,
    "FLAGS_REMOTE 7 +- [+$Junk-]; STATUS_PUT 7 S [$Junk]" },
  { "remote removed a keyword", "S|", "S|$Junk", "S|$Junk", 0, 0,
    "FLAGS_LOCAL 7 +- [+-$Junk]; STATUS_PUT 7 S []" },
  { "local removed a keyword", "S|$Junk $x", "S|$x", "S|$Junk $x", 0, 0,
    "FLAGS_REMOTE 7 +- [+-$Junk]; STATUS_PUT 7 S [$x]" },
  { "both added different keywords: union", "|$a", "|$b", "|", 0, 0,
    "FLAGS_LOCAL 7 +- [+$a-]; FLAGS_REMOTE 7 +- [+$b-]; STATUS_PUT 7  [$a $b]" },
  { "remote added, local removed another", "|$a $c", "|", "|$c", 0, 0,
    "FLAGS_LOCAL 7 +- [+$a-]; FLAGS_REMOTE 7 +- [+-$c]; STATUS_PUT 7  [$a]" },
  { "flag and keyword in one action", "FS|$a", "S|", "S|", 0, 0,
    "FLAGS_LOCAL 7 +F- [+$a-]; STATUS_PUT 7 FS [$a]" },
  { "status lost: union of keywords", "S|$a", "S|$b", ABSENT, 0, 0,
    "FLAGS_LOCAL 7 +- [+$a-]; FLAGS_REMOTE 7 +- [+$b-]; STATUS_PUT 7 S [$a $b]" },
  { "deleted locally: deletion beats a keyword change", "S|$a", ABSENT, "S|", 0, 0, "DELETE_REMOTE 7" },
  /* A remote that cannot store $Label1: it is not sent, and its absence
   * there is not a removal, neither in this run nor in the next. */
  { "remote cannot store a local keyword", "|", "|$Label1", "|", 1, 0, "STATUS_PUT 7  [$Label1]" },
  { "... the run after", "|", "|$Label1", "|$Label1", 1, 0, "" },
  { "... the local side removes it", "|", "|", "|$Label1", 1, 0, "STATUS_PUT 7  []" },
  { "remote cannot store one, can another", "|", "|$Junk $Label1", "|", 1, 0,
    "FLAGS_REMOTE 7 +- [+$Junk-]; STATUS_PUT 7  [$Junk $Label1]" },
  { "status lost, remote cannot store it", "|", "|$Label1", ABSENT, 1, 0, "STATUS_PUT 7  [$Label1]" },
  /* A read-only local side: the status mirrors it, so that a keyword it
   * could not take is never read as removed there. */
  { "local read-only: remote keyword not taken", "|$a", "|", "|", 0, 1, "" },
  { "local read-only: local keyword sent", "|", "|$a", "|", 0, 1,
    "FLAGS_REMOTE 7 +- [+$a-]; STATUS_PUT 7  [$a]" },
  /* IMAP keywords are case-insensitive: one keyword spelt two ways is
   * neither an add nor a remove, on either side. */
  { "case: same keyword, other spelling locally", "S|$Junk", "S|$junk", "S|$Junk", 0, 0, "" },
  { "case: other spelling in the status", "S|$Junk", "S|$Junk", "S|$JUNK", 0, 0, "" },
  { "case: remote added it, local has it spelt otherwise", "S|$Junk", "S|$junk", "S|", 0, 0,
    "STATUS_PUT 7 S [$Junk]" },
  { "case: status lost, both spellings", "S|$Junk", "S|$junk", ABSENT, 0, 0, "STATUS_PUT 7 S [$Junk]" },
  { "case: removed remotely, other spelling locally", "S|", "S|$junk", "S|$Junk", 0, 0,
    "FLAGS_LOCAL 7 +- [+-$junk]; STATUS_PUT 7 S []" },
};

static char *
keyword_field (const char *spec, gboolean flags, GPtrArray *owner)
{
  const char *bar = spec ? strchr (spec, '|') : NULL;
  char *out;

  if (spec == NULL)
    return NULL;
  out = flags ? g_strndup (spec, bar - spec) : g_strdup (bar + 1);
  g_ptr_array_add (owner, out);
  return out;
}

START_TEST (test_plan_keywords)
{
  const KeywordCase *c = &keyword_cases[_i];
  g_autoptr(GPtrArray) owner = g_ptr_array_new_with_free_func (g_free);
  MailsyncPlanMessage rm = { 7, NULL, keyword_field (c->remote, TRUE, owner),
                             keyword_field (c->remote, FALSE, owner) };
  MailsyncPlanMessage lm = { 7, "cur/x", keyword_field (c->local, TRUE, owner),
                             keyword_field (c->local, FALSE, owner) };
  MailsyncPlanStatus sm = { 7, keyword_field (c->status, TRUE, owner), keyword_field (c->status, FALSE, owner) };
  MailsyncPlanPolicy policy = { FALSE, c->local_readonly, TRUE, TRUE,
                                c->restricted ? only_junk : NULL, (gpointer) "$Junk" };
  g_autoptr(GPtrArray) plan = NULL;
  g_autofree char *got = NULL;

  /* a new local message has no UID yet */
  if (c->remote == NULL && c->status == NULL)
    lm.uid = 7;
  plan = mailsync_sync_plan_compute (&rm, c->remote ? 1 : 0, &lm, c->local ? 1 : 0, &sm, c->status ? 1 : 0,
                                     &policy);
  got = render_keywords (plan);
  ck_assert_msg (strcmp (got, c->expected) == 0, "%s: expected \"%s\", got \"%s\"", c->name, c->expected, got);
}
END_TEST

static gboolean
word_in (const char *words, const char *word)
{
  g_auto(GStrv) split = g_strsplit (words, " ", -1);

  return g_strv_contains ((const char * const *) split, word);
}

/* Every combination of one keyword present or not on the remote, the
 * local side and in the status, run to convergence as flags are: both
 * sides end equal, a change on one side survives, a second plan is empty. */
START_TEST (test_plan_keywords_exhaustive)
{
  static const char *kw_states[] = { "", "$k", "$k $j" };

  for (guint ri = 0; ri < G_N_ELEMENTS (kw_states); ri++)
    for (guint li = 0; li < G_N_ELEMENTS (kw_states); li++)
      for (guint si = 0; si < G_N_ELEMENTS (kw_states); si++)
        {
          MailsyncPlanMessage rm = { 7, NULL, "", kw_states[ri] }, lm = { 7, "cur/x", "", kw_states[li] };
          MailsyncPlanStatus sm = { 7, "", kw_states[si] };
          g_autoptr(GPtrArray) plan = mailsync_sync_plan_compute (&rm, 1, &lm, 1, &sm, 1, &default_policy);
          g_autofree char *remote = mailsync_sync_plan_normalize_keywords (kw_states[ri]);
          g_autofree char *local = mailsync_sync_plan_normalize_keywords (kw_states[li]);
          g_autofree char *status = mailsync_sync_plan_normalize_keywords (kw_states[si]);
          g_autoptr(GPtrArray) again = NULL;
          g_autofree char *again_text = NULL;

          for (guint i = 0; i < plan->len; i++)
            {
              MailsyncAction *a = plan->pdata[i];
              char **side = a->kind == MAILSYNC_ACTION_FLAGS_LOCAL ? &local :
                            a->kind == MAILSYNC_ACTION_FLAGS_REMOTE ? &remote : NULL;

              if (side != NULL)
                {
                  g_autofree char *added = g_strconcat (*side, " ", a->add_keywords, NULL);
                  g_autofree char *kept = NULL;
                  g_auto(GStrv) words = g_strsplit (added, " ", -1);
                  g_auto(GStrv) gone = g_strsplit (a->remove_keywords, " ", -1);
                  GString *rest = g_string_new (NULL);

                  for (char **w = words; *w; w++)
                    if (!g_strv_contains ((const char * const *) gone, *w))
                      g_string_append_printf (rest, " %s", *w);
                  kept = g_string_free (rest, FALSE);
                  g_free (*side);
                  *side = mailsync_sync_plan_normalize_keywords (kept);
                }
              else if (a->kind == MAILSYNC_ACTION_STATUS_PUT)
                {
                  g_free (status);
                  status = g_strdup (a->keywords);
                }
            }
          ck_assert_msg (strcmp (remote, local) == 0 && strcmp (local, status) == 0,
                         "R=%s L=%s S=%s: ends R=%s L=%s S=%s", kw_states[ri], kw_states[li], kw_states[si],
                         remote, local, status);
          /* per keyword: the remote's value where it changed, else local's */
          for (guint k = 0; k < 2; k++)
            {
              const char *kw = k ? "$j" : "$k";
              gboolean r = word_in (kw_states[ri], kw), l = word_in (kw_states[li], kw), s = word_in (kw_states[si], kw);

              ck_assert_msg (word_in (local, kw) == (r != s ? r : l), "R=%s L=%s S=%s: %s wrong in %s",
                             kw_states[ri], kw_states[li], kw_states[si], kw, local);
            }
          rm.keywords = remote;
          lm.keywords = local;
          sm.keywords = status;
          again = mailsync_sync_plan_compute (&rm, 1, &lm, 1, &sm, 1, &default_policy);
          again_text = render_keywords (again);
          ck_assert_msg (again->len == 0, "R=%s L=%s S=%s: second plan %s", kw_states[ri], kw_states[li], kw_states[si],
                         again_text);
        }
}
END_TEST

START_TEST (test_plan_normalize_keywords)
{
  g_autofree char *a = mailsync_sync_plan_normalize_keywords ("$b  $a $b ");
  g_autofree char *b = mailsync_sync_plan_normalize_keywords (NULL);

  ck_assert_str_eq (a, "$a $b");
  ck_assert_str_eq (b, "");
}
END_TEST

static Suite *
plan_suite (void)
{
  Suite *s = suite_create ("sync-plan");
  TCase *tc = tcase_create ("table");

  tcase_add_loop_test (tc, test_plan_table, 0, G_N_ELEMENTS (cases));
  tcase_add_test (tc, test_plan_new_local_mail);
  tcase_add_test (tc, test_plan_duplicate_local_uid);
  tcase_add_test (tc, test_plan_multi_message);
  tcase_add_test (tc, test_plan_unrecorded_download);
  tcase_add_test (tc, test_plan_normalize_flags);
  tcase_add_loop_test (tc, test_plan_keywords, 0, G_N_ELEMENTS (keyword_cases));
  tcase_add_test (tc, test_plan_keywords_exhaustive);
  tcase_add_test (tc, test_plan_normalize_keywords);
  suite_add_tcase (s, tc);
  tc = tcase_create ("exhaustive");
  tcase_add_test (tc, test_plan_exhaustive);
  tcase_add_test (tc, test_plan_exhaustive_flag_merge);
  tcase_add_test (tc, test_plan_dense_sparse);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (plan_suite ());
}
