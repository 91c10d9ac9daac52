/* The three-way merge of offlineimap's folder sync (reference §5.5), as one
 * pure function. offlineimap runs its passes remote->local then
 * local->remote and reads the status in between; the result per message is
 * the same as computing, for each flag, "the remote's value if the remote
 * changed it since the last sync, else the local value", and a deletion on
 * either side beats a flag change on the other. Doing it in one place lets
 * the runner batch every action of a kind. */
#include "config.h"

#include "mailsync-sync-plan.h"

#include <string.h>

static const char sync_letters[] = "DFRST";

void
mailsync_action_free (MailsyncAction *action)
{
  if (action == NULL)
    return;
  g_free (action->key);
  g_free (action->flags);
  g_free (action->add);
  g_free (action->remove);
  g_free (action->keywords);
  g_free (action->add_keywords);
  g_free (action->remove_keywords);
  g_free (action);
}

char *
mailsync_sync_plan_normalize_flags (const char *letters)
{
  char out[sizeof sync_letters];
  gsize n = 0;

  for (const char *l = sync_letters; *l; l++)
    if (letters != NULL && strchr (letters, *l) != NULL)
      out[n++] = *l;
  out[n] = '\0';
  return g_strdup (out);
}

/* ---- keywords ---------------------------------------------------------
 *
 * Keywords are sets of words. IMAP keywords are atoms (no spaces), so a
 * space-separated string carries them through the plan as the letters
 * carry the flags. They merge as the flags do, keyword by keyword. */

/* IMAP keywords are case-insensitive (RFC 3501 2.3.2): $junk on one side
 * and $Junk on the other are one keyword, not an add and a remove. The
 * sorts are stable, so where spellings differ the first array's (the
 * remote's, in a merge) is the one kept. */
static int
compare_str (gconstpointer a, gconstpointer b)
{
  return g_ascii_strcasecmp (*(const char * const *) a, *(const char * const *) b);
}

/* The words of @keywords, sorted and unique; borrowed from @owner. */
static GPtrArray *
kw_set (const char *keywords, GStrv *owner)
{
  GPtrArray *set = g_ptr_array_new ();

  *owner = g_strsplit (keywords ? keywords : "", " ", -1);
  for (char **w = *owner; *w; w++)
    if (**w != '\0')
      g_ptr_array_add (set, *w);
  g_ptr_array_sort (set, compare_str);
  for (guint i = 1; i < set->len;)
    if (g_ascii_strcasecmp (set->pdata[i], set->pdata[i - 1]) == 0)
      g_ptr_array_remove_index (set, i);
    else
      i++;
  return set;
}

/* No keyword at all: NULL, "" or only spaces (kw_set's empty set). */
static gboolean
kw_blank (const char *keywords)
{
  for (const char *p = keywords; p != NULL && *p != '\0'; p++)
    if (*p != ' ')
      return FALSE;
  return TRUE;
}

static gboolean
kw_has (GPtrArray *set, const char *keyword)
{
  for (guint i = 0; i < set->len; i++)
    if (g_ascii_strcasecmp (set->pdata[i], keyword) == 0)
      return TRUE;
  return FALSE;
}

static char *
kw_join (GPtrArray *set)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < set->len; i++)
    g_string_append_printf (s, "%s%s", i ? " " : "", (const char *) set->pdata[i]);
  return g_string_free (s, FALSE);
}

char *
mailsync_sync_plan_normalize_keywords (const char *keywords)
{
  g_auto(GStrv) owner = NULL;
  g_autoptr(GPtrArray) set = NULL;

  if (kw_blank (keywords))
    return g_strdup ("");  /* the usual message: no split, sort, join */
  set = kw_set (keywords, &owner);
  return kw_join (set);
}

static gboolean
remote_can_store (const MailsyncPlanPolicy *policy, const char *keyword)
{
  return policy->remote_can_store == NULL || policy->remote_can_store (keyword, policy->remote_can_store_data);
}

/* Per keyword: the remote's value where the remote changed it, else the
 * local one's; a keyword the remote cannot store counts as unchanged
 * there. Sorted, space-separated. */
static char *
merge_keywords (const char *remote, const char *local, const char *base, const MailsyncPlanPolicy *policy)
{
  g_auto(GStrv) ro = NULL, lo = NULL, bo = NULL;
  g_autoptr(GPtrArray) r = NULL, l = NULL, b = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) out = NULL;

  /* The usual message, unchanged everywhere (issue 13 item 2: this ran
   * for every message of a changed folder): three equal sets merge to
   * that set, spelled as the sets below would spell it. */
  if (g_strcmp0 (remote ? remote : "", local ? local : "") == 0
      && g_strcmp0 (local ? local : "", base ? base : "") == 0)
    return kw_blank (local) ? g_strdup ("") : mailsync_sync_plan_normalize_keywords (local);
  r = kw_set (remote, &ro);
  l = kw_set (local, &lo);
  b = kw_set (base, &bo);
  all = g_ptr_array_new ();
  out = g_ptr_array_new ();
  g_ptr_array_extend (all, r, NULL, NULL);
  g_ptr_array_extend (all, l, NULL, NULL);
  g_ptr_array_extend (all, b, NULL, NULL);
  g_ptr_array_sort (all, compare_str);
  for (guint i = 0; i < all->len; i++)
    {
      const char *k = all->pdata[i];
      gboolean in_b = kw_has (b, k);
      gboolean in_r = remote_can_store (policy, k) ? kw_has (r, k) : in_b;

      if (i > 0 && g_ascii_strcasecmp (k, all->pdata[i - 1]) == 0)
        continue;
      if (in_r != in_b ? in_r : kw_has (l, k))
        g_ptr_array_add (out, (gpointer) k);
    }
  return kw_join (out);
}

/* Keywords in @to but not in @from; with @policy, only those the remote
 * can store. */
static char *
keywords_minus (const char *to, const char *from, const MailsyncPlanPolicy *policy)
{
  g_auto(GStrv) to_owner = NULL, from_owner = NULL;
  g_autoptr(GPtrArray) t = NULL, f = NULL;
  g_autoptr(GPtrArray) out = NULL;

  /* Nothing in @to, or @to is @from: nothing to add (the usual case). */
  if (kw_blank (to) || g_strcmp0 (to, from) == 0)
    return g_strdup ("");
  t = kw_set (to, &to_owner);
  f = kw_set (from, &from_owner);
  out = g_ptr_array_new ();
  for (guint i = 0; i < t->len; i++)
    if (!kw_has (f, t->pdata[i]) && (policy == NULL || remote_can_store (policy, t->pdata[i])))
      g_ptr_array_add (out, t->pdata[i]);
  return kw_join (out);
}

static gboolean
has (const char *letters, char c)
{
  return letters != NULL && strchr (letters, c) != NULL;
}

/* Per flag: the remote's value where the remote changed it, else local's. */
static char *
merge_flags (const char *remote, const char *local, const char *base)
{
  char out[sizeof sync_letters];
  gsize n = 0;

  for (const char *l = sync_letters; *l; l++)
    {
      gboolean r = has (remote, *l), b = has (base, *l), lo = has (local, *l);
      if (r != b ? r : lo)
        out[n++] = *l;
    }
  out[n] = '\0';
  return g_strdup (out);
}

/* Letters in @to but not in @from. */
static char *
flags_minus (const char *to, const char *from)
{
  char out[sizeof sync_letters];
  gsize n = 0;

  for (const char *l = sync_letters; *l; l++)
    if (has (to, *l) && !has (from, *l))
      out[n++] = *l;
  out[n] = '\0';
  return g_strdup (out);
}

static MailsyncAction *
action_new (MailsyncActionKind kind, guint32 uid)
{
  MailsyncAction *action = g_new0 (MailsyncAction, 1);

  action->kind = kind;
  action->uid = uid;
  return action;
}

/* @policy: a remote destination, whose keywords it cannot store are left
 * out; NULL for the local side. */
static void
add_flags_action (GPtrArray                *actions,
                  MailsyncActionKind        kind,
                  guint32                   uid,
                  const char               *target,
                  const char               *current,
                  const char               *target_keywords,
                  const char               *current_keywords,
                  const MailsyncPlanPolicy *policy)
{
  g_autofree char *add = flags_minus (target, current);
  g_autofree char *remove = flags_minus (current, target);
  g_autofree char *add_keywords = keywords_minus (target_keywords, current_keywords, policy);
  g_autofree char *remove_keywords = keywords_minus (current_keywords, target_keywords, policy);
  MailsyncAction *action;

  if (*add == '\0' && *remove == '\0' && *add_keywords == '\0' && *remove_keywords == '\0')
    return;
  action = action_new (kind, uid);
  action->add = g_steal_pointer (&add);
  action->remove = g_steal_pointer (&remove);
  action->add_keywords = g_steal_pointer (&add_keywords);
  action->remove_keywords = g_steal_pointer (&remove_keywords);
  g_ptr_array_add (actions, action);
}

static void
add_status_put (GPtrArray *actions, guint32 uid, const char *flags, const char *keywords)
{
  MailsyncAction *action = action_new (MAILSYNC_ACTION_STATUS_PUT, uid);

  action->flags = g_strdup (flags);
  action->keywords = mailsync_sync_plan_normalize_keywords (keywords);
  g_ptr_array_add (actions, action);
}

typedef struct
{
  const MailsyncPlanMessage *remote;
  const MailsyncPlanMessage *local;
  const MailsyncPlanStatus *status;
} Triple;

static gint
compare_action (gconstpointer a, gconstpointer b)
{
  const MailsyncAction *x = *(MailsyncAction * const *) a;
  const MailsyncAction *y = *(MailsyncAction * const *) b;

  if (x->kind != y->kind)
    return x->kind < y->kind ? -1 : 1;
  if (x->uid != y->uid)
    return x->uid < y->uid ? -1 : 1;
  return g_strcmp0 (x->key, y->key);
}

/* The flags are sorted system letters ("DFRST" order, each once), so
 * that equal strings mean equal sets as the merge spells them. */
static gboolean
flags_normal (const char *flags)
{
  const char *l = sync_letters;

  for (const char *f = flags; *f; f++)
    {
      while (*l != '\0' && *l != *f)
        l++;
      if (*l == '\0')
        return FALSE;
      l++;
    }
  return TRUE;
}

/* A message the merge leaves as it is: the same sorted flags on both sides
 * and in the status, no keyword on either side or in the status. */
static gboolean
in_sync (const MailsyncPlanMessage *r, const MailsyncPlanMessage *l, const MailsyncPlanStatus *s)
{
  return r->flags != NULL && l->flags != NULL && s->flags != NULL &&
         strcmp (r->flags, l->flags) == 0 && strcmp (l->flags, s->flags) == 0 &&
         kw_blank (r->keywords) && kw_blank (l->keywords) && kw_blank (s->keywords) && flags_normal (s->flags);
}

static void
plan_one (GPtrArray                *actions,
          guint32                   uid,
          const Triple             *t,
          const MailsyncPlanPolicy *policy)
{
  const MailsyncPlanMessage *r = t->remote, *l = t->local;
  const MailsyncPlanStatus *s = t->status;
  MailsyncAction *action;

  if (r && !l && !s)
    {
      /* New on the remote. */
      if (policy->local_readonly)
        return;
      action = action_new (MAILSYNC_ACTION_DOWNLOAD, uid);
      action->flags = g_strdup (r->flags);
      action->keywords = mailsync_sync_plan_normalize_keywords (r->keywords);
      g_ptr_array_add (actions, action);
    }
  else if (r && l && !s)
    {
      /* On both sides but unknown to the status (a lost status, or a crash
       * after a copy): no transfer. Which side changed a flag since the
       * last sync cannot be known, so no flag either side has is dropped:
       * both get the union. offlineimap lets the local flags win, which
       * takes away a flag set on the server since (doc/design.md). The
       * same for keywords. */
      g_autofree char *both = NULL;
      g_autofree char *both_keywords = NULL;

      if (policy->remote_readonly)
        {
          add_status_put (actions, uid, r->flags, r->keywords);
          return;
        }
      both = merge_flags (r->flags, l->flags, "");
      both_keywords = merge_keywords (r->keywords, l->keywords, "", policy);
      if (!policy->local_readonly)
        add_flags_action (actions, MAILSYNC_ACTION_FLAGS_LOCAL, uid, both, l->flags,
                          both_keywords, l->keywords, NULL);
      add_flags_action (actions, MAILSYNC_ACTION_FLAGS_REMOTE, uid, both, r->flags,
                        both_keywords, r->keywords, policy);
      /* A read-only local side keeps its flags: the status mirrors them,
       * or the next run would read the remote's extra flags, missing
       * locally, as removed there and take them off the remote. */
      if (policy->local_readonly)
        add_status_put (actions, uid, l->flags, l->keywords);
      else
        add_status_put (actions, uid, both, both_keywords);
    }
  else if (r && l && s && in_sync (r, l, s))
    {
      /* The usual message of a changed folder (issue 13 item 2): the same
       * flags on both sides and in the status, no keyword anywhere. The
       * merge below gives no action for it (whatever the policy), so it
       * costs no strings. */
    }
  else if (r && l && s)
    {
      g_autofree char *merged = merge_flags (r->flags, l->flags, s->flags);
      g_autofree char *merged_keywords = merge_keywords (r->keywords, l->keywords, s->keywords, policy);
      g_autofree char *status_keywords = NULL;
      g_autofree char *old_keywords = mailsync_sync_plan_normalize_keywords (s->keywords);
      const char *status_flags;

      if (!policy->local_readonly)
        add_flags_action (actions, MAILSYNC_ACTION_FLAGS_LOCAL, uid, merged, l->flags,
                          merged_keywords, l->keywords, NULL);
      if (!policy->remote_readonly)
        add_flags_action (actions, MAILSYNC_ACTION_FLAGS_REMOTE, uid, merged, r->flags,
                          merged_keywords, r->keywords, policy);
      /* A read-only side keeps its flags, and the status mirrors it: a
       * read-only remote so that the local change is not retried forever,
       * a read-only local side so that a flag it cannot take is not read
       * as removed there on the next run (and removed from the remote). */
      status_flags = policy->remote_readonly ? r->flags : policy->local_readonly ? l->flags : merged;
      status_keywords = mailsync_sync_plan_normalize_keywords (policy->remote_readonly ? r->keywords :
                                                               policy->local_readonly ? l->keywords :
                                                               merged_keywords);
      if (strcmp (status_flags, s->flags) != 0 || g_ascii_strcasecmp (status_keywords, old_keywords) != 0)
        add_status_put (actions, uid, status_flags, status_keywords);
    }
  else if (r && !l && s)
    {
      /* Deleted locally; a deletion beats a flag change on the remote. */
      if (!policy->local_sync_deletes || policy->remote_readonly)
        return;
      g_ptr_array_add (actions, action_new (MAILSYNC_ACTION_DELETE_REMOTE, uid));
    }
  else if (!r && l && s)
    {
      /* Deleted on the remote. A killed run's download without its row
       * that stays gets the row it lacks: never uploaded again. */
      if (!policy->remote_sync_deletes || policy->local_readonly)
        {
          if (s->unrecorded)
            add_status_put (actions, uid, l->flags, l->keywords);
          return;
        }
      g_ptr_array_add (actions, action_new (MAILSYNC_ACTION_DELETE_LOCAL, uid));
    }
  else if (!r && !l && s)
    {
      g_ptr_array_add (actions, action_new (MAILSYNC_ACTION_STATUS_REMOVE, uid));
    }
  else if (!r && l && !s)
    {
      /* A local message with a UID the remote and the status do not know
       * (status lost, then deleted remotely; or a stale U=): offlineimap
       * uploads it as new. Uploading keeps the mail; the alternative,
       * deleting it, could lose mail that was never anywhere else. */
      if (policy->remote_readonly)
        return;
      action = action_new (MAILSYNC_ACTION_UPLOAD, uid);
      action->key = g_strdup (l->key);
      action->flags = g_strdup (l->flags);
      action->keywords = mailsync_sync_plan_normalize_keywords (l->keywords);
      g_ptr_array_add (actions, action);
    }
}

/* Where the merge keeps a UID's triple: a hash table of them in general;
 * an array indexed by UID - first when the UIDs are dense (issue 13 item
 * 2: a folder's UIDs mostly are, and a Triple allocated and hashed per
 * UID was 12M of a flags + new resync's 190M instructions). Either way
 * the triples are planned in ascending UIDs. */
typedef struct
{
  Triple     *dense;        /* [last - first + 1], or NULL */
  guint32     first;
  guint32     last;
  GHashTable *by_uid;       /* uid -> Triple (owned), when not dense */
} Triples;

/* Dense when the range is at most four times the entries (plus a slack
 * for a small folder): at 24 bytes a slot, never more than ~100 bytes
 * per listed message. */
#define DENSE_SLACK 1024

static void
triples_init (Triples                   *triples,
              const MailsyncPlanMessage *remote,
              gsize                      n_remote,
              const MailsyncPlanMessage *local,
              gsize                      n_local,
              const MailsyncPlanStatus  *status,
              gsize                      n_status)
{
  guint32 first = G_MAXUINT32, last = 0;
  guint64 n = (guint64) n_remote + n_local + n_status;

#define SPAN(uid_) G_STMT_START { guint32 u_ = (uid_); \
    if (u_ != 0) { first = MIN (first, u_); last = MAX (last, u_); } } G_STMT_END
  for (gsize i = 0; i < n_remote; i++)
    SPAN (remote[i].uid);
  for (gsize i = 0; i < n_local; i++)
    SPAN (local[i].uid);
  for (gsize i = 0; i < n_status; i++)
    SPAN (status[i].uid);
#undef SPAN
  *triples = (Triples) { NULL, first, last, NULL };
  if (first > last)
    return;             /* no UID at all */
  if ((guint64) last - first + 1 <= 4 * n + DENSE_SLACK)
    triples->dense = g_new0 (Triple, (gsize) (last - first) + 1);
  else
    triples->by_uid = g_hash_table_new_full (NULL, NULL, NULL, g_free);
}

static void
triples_clear (Triples *triples)
{
  g_free (triples->dense);
  g_clear_pointer (&triples->by_uid, g_hash_table_unref);
}

static Triple *
triple_for (Triples *triples, guint32 uid)
{
  Triple *t;

  if (triples->dense != NULL)
    return &triples->dense[uid - triples->first];
  t = g_hash_table_lookup (triples->by_uid, GUINT_TO_POINTER (uid));
  if (t == NULL)
    {
      t = g_new0 (Triple, 1);
      g_hash_table_insert (triples->by_uid, GUINT_TO_POINTER (uid), t);
    }
  return t;
}

static gint
compare_guint32 (gconstpointer a, gconstpointer b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return x < y ? -1 : x > y;
}

static void
plan_triples (GPtrArray *actions, Triples *triples, const MailsyncPlanPolicy *policy)
{
  g_autoptr(GArray) uids = NULL;
  GHashTableIter iter;
  gpointer key;

  if (triples->dense != NULL)
    {
      for (guint64 uid = triples->first; uid <= triples->last; uid++)
        {
          const Triple *t = &triples->dense[uid - triples->first];

          if (t->remote != NULL || t->local != NULL || t->status != NULL)
            plan_one (actions, (guint32) uid, t, policy);
        }
      return;
    }
  if (triples->by_uid == NULL)
    return;
  uids = g_array_sized_new (FALSE, FALSE, sizeof (guint32), g_hash_table_size (triples->by_uid));
  g_hash_table_iter_init (&iter, triples->by_uid);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      guint32 uid = GPOINTER_TO_UINT (key);
      g_array_append_val (uids, uid);
    }
  g_array_sort (uids, compare_guint32);
  for (guint i = 0; i < uids->len; i++)
    {
      guint32 uid = g_array_index (uids, guint32, i);
      plan_one (actions, uid, g_hash_table_lookup (triples->by_uid, GUINT_TO_POINTER (uid)), policy);
    }
}

GPtrArray *
mailsync_sync_plan_compute (const MailsyncPlanMessage *remote,
                            gsize                      n_remote,
                            const MailsyncPlanMessage *local,
                            gsize                      n_local,
                            const MailsyncPlanStatus  *status,
                            gsize                      n_status,
                            const MailsyncPlanPolicy  *policy)
{
  GPtrArray *actions = g_ptr_array_new_with_free_func ((GDestroyNotify) mailsync_action_free);
  Triples triples;

  triples_init (&triples, remote, n_remote, local, n_local, status, n_status);
  for (gsize i = 0; i < n_remote; i++)
    if (remote[i].uid != 0)
      triple_for (&triples, remote[i].uid)->remote = &remote[i];
  for (gsize i = 0; i < n_status; i++)
    if (status[i].uid != 0)
      triple_for (&triples, status[i].uid)->status = &status[i];
  for (gsize i = 0; i < n_local; i++)
    {
      MailsyncAction *action;

      if (local[i].uid != 0)
        {
          Triple *t = triple_for (&triples, local[i].uid);
          /* A second local file with the same UID is a copy the user made:
           * upload it as new rather than lose or merge it. */
          if (t->local == NULL)
            {
              t->local = &local[i];
              continue;
            }
        }
      if (policy->remote_readonly)
        continue;
      action = action_new (MAILSYNC_ACTION_UPLOAD, 0);
      action->key = g_strdup (local[i].key);
      action->flags = g_strdup (local[i].flags);
      action->keywords = mailsync_sync_plan_normalize_keywords (local[i].keywords);
      g_ptr_array_add (actions, action);
    }
  plan_triples (actions, &triples, policy);
  triples_clear (&triples);

  g_ptr_array_sort (actions, compare_action);
  return actions;
}
