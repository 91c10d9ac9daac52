/* Maildir file name codec, compatible with offlineimap's names. */
#include "config.h"

#include "mailsync-maildir-filename.h"

#include <string.h>
#include <pthread.h>
#include <unistd.h>

/* Whether @name[@i, @i + strlen (@field)) is @field, without reading past
 * the name's NUL (the first byte that differs stops the comparison). */
static gboolean
field_at (const char *name,
          gsize       i,
          const char *field)
{
  for (; *field != '\0'; field++, i++)
    if (name[i] != *field)
      return FALSE;
  return TRUE;
}

/* The first "<sep>2," in [@from, @limit), else @limit (memchr, not a
 * byte loop: a name is ~80 bytes and a listing reads every one). */
static const char *
info_at (const char *from,
         const char *limit,
         char        sep)
{
  for (const char *p = memchr (from, sep, (gsize) (limit - from)); p != NULL;
       p = memchr (p + 1, sep, (gsize) (limit - (p + 1))))
    if (p[1] == '2' && p[2] == ',')
      return p;
  return limit;
}

/* One pass over the name, no allocation. A field is looked for in the
 * base only: a match that would run past the base's end meets its info
 * separator (':' or '!'), which no field name contains. The first
 * ",U=", ",FMD5=" and ",S=" count, as strstr() would find them. */
void
_mailsync_maildir_name_view (const char              *name,
                             MailsyncMaildirNameView *out)
{
  const char *p;
  gsize base_len;
  gboolean seen_uid = FALSE, seen_fmd5 = FALSE, seen_size = FALSE;

  g_return_if_fail (name != NULL);
  g_return_if_fail (out != NULL);

  memset (out, 0, sizeof *out);
  out->size = -1;

  /* The first ":2," (or "!2," on Windows-compatible stores) starts the info
   * part. Other info versions (":1,") are left inside the base. */
  p = info_at (name, name + strlen (name), ':');
  p = info_at (name, p, '!');
  base_len = (gsize) (p - name);
  out->base_len = base_len;
  if (*p != '\0')
    {
      const char *flags_end;

      out->info_sep = *p;
      /* offlineimap reads the flags as `\w*`. */
      for (flags_end = p + 3; g_ascii_isalnum (*flags_end) || *flags_end == '_'; flags_end++)
        ;
      out->flags_off = base_len + 3;
      out->flags_len = (gsize) (flags_end - (p + 3));
      out->tail_off = (gsize) (flags_end - name);
    }
  else
    {
      out->flags_off = base_len;
      out->tail_off = base_len;
    }

  for (const char *comma = memchr (name, ',', base_len); comma != NULL;
       comma = memchr (comma + 1, ',', base_len - (gsize) (comma + 1 - name)))
    {
      gsize i = (gsize) (comma - name);

      if (!seen_uid && field_at (name, i, ",U="))
        {
          guint64 v = 0;
          gboolean ok = FALSE;

          seen_uid = TRUE;
          for (p = name + i + 3; g_ascii_isdigit (*p); p++)
            {
              ok = TRUE;
              v = v * 10 + (guint64) (*p - '0');
              if (v > G_MAXUINT32)
                {
                  /* Out of range cannot be an IMAP UID: treat as no UID (new
                   * mail) rather than wrapping onto somebody else's UID. */
                  ok = FALSE;
                  break;
                }
            }
          if (ok)
            out->uid = (guint32) v;
        }
      else if (!seen_fmd5 && field_at (name, i, ",FMD5="))
        {
          seen_fmd5 = TRUE;
          for (p = name + i + 6; g_ascii_isxdigit (*p); p++)
            ;
          out->fmd5_off = i + 6;
          out->fmd5_len = (gsize) (p - (name + i + 6));
        }
      else if (!seen_size && field_at (name, i, ",S="))
        {
          seen_size = TRUE;
          p = name + i + 3;
          if (g_ascii_isdigit (*p))
            {
              guint64 v = 0;

              for (; g_ascii_isdigit (*p) && v <= G_MAXINT64 / 10 - 1; p++)
                v = v * 10 + (guint64) (*p - '0');
              /* the field ends at the next ',' or the end of the base */
              if (*p == ',' || p == name + base_len)
                out->size = (gint64) v;
            }
        }
    }
}

guint32
_mailsync_maildir_name_view_uid_for (const char                    *name,
                                     const MailsyncMaildirNameView *view,
                                     const char                    *folder_md5)
{
  g_return_val_if_fail (name != NULL && view != NULL, 0);

  /* offlineimap: a U= without this folder's FMD5 is somebody else's UID. */
  if (view->uid == 0 || view->fmd5_len == 0 || folder_md5 == NULL)
    return 0;
  if (strlen (folder_md5) != view->fmd5_len || memcmp (name + view->fmd5_off, folder_md5, view->fmd5_len) != 0)
    return 0;
  return view->uid;
}

void
_mailsync_maildir_name_parse (const char          *name,
                              MailsyncMaildirName *out)
{
  MailsyncMaildirNameView v;

  g_return_if_fail (name != NULL);
  g_return_if_fail (out != NULL);

  _mailsync_maildir_name_view (name, &v);
  memset (out, 0, sizeof *out);
  out->base = g_strndup (name, v.base_len);
  out->uid = v.uid;
  out->fmd5 = v.fmd5_len > 0 ? g_strndup (name + v.fmd5_off, v.fmd5_len) : NULL;
  out->flags = g_strndup (name + v.flags_off, v.flags_len);
  out->tail = g_strdup (name + v.tail_off);
  out->info_sep = v.info_sep;
  out->size = v.size;
}

void
_mailsync_maildir_name_clear (MailsyncMaildirName *name)
{
  if (name == NULL)
    return;
  g_clear_pointer (&name->base, g_free);
  g_clear_pointer (&name->fmd5, g_free);
  g_clear_pointer (&name->flags, g_free);
  g_clear_pointer (&name->tail, g_free);
  name->uid = 0;
  name->info_sep = 0;
}

guint32
_mailsync_maildir_name_get_uid_for (const MailsyncMaildirName *name,
                                    const char                *folder_md5)
{
  g_return_val_if_fail (name != NULL, 0);

  /* offlineimap: a U= without this folder's FMD5 is somebody else's UID. */
  if (name->uid == 0 || name->fmd5 == NULL || folder_md5 == NULL)
    return 0;
  if (g_strcmp0 (name->fmd5, folder_md5) != 0)
    return 0;
  return name->uid;
}

char *
_mailsync_maildir_folder_md5 (const char *visible_name)
{
  return g_compute_checksum_for_string (G_CHECKSUM_MD5,
                                        visible_name ? visible_name : "", -1);
}

/* One counter per timestamp: { t, next seq }, hashed on t (the first field). */
typedef struct
{
  gint64 t;
  guint next;
} SeqCounter;

static GMutex seq_lock;
static GHashTable *seq_table;

guint
_mailsync_maildir_next_seq (gint64 t)
{
  SeqCounter *counter;
  guint seq;

  g_mutex_lock (&seq_lock);
  if (seq_table == NULL)
    seq_table = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  /* With filename-use-mail-timestamp every message may bring its own T:
   * bound the table. Forgetting a T only risks reusing a name, and every
   * name is created with O_EXCL / renamed without replacing, so a clash
   * just costs one more try. */
  if (g_hash_table_size (seq_table) > 4096)
    g_hash_table_remove_all (seq_table);
  counter = g_hash_table_lookup (seq_table, &t);
  if (counter == NULL)
    {
      counter = g_new0 (SeqCounter, 1);
      counter->t = t;
      g_hash_table_add (seq_table, counter);
    }
  seq = counter->next++;
  g_mutex_unlock (&seq_lock);
  return seq;
}

const char *
_mailsync_maildir_hostname (void)
{
  static char *hostname;
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      char buf[256];
      char *h;

      if (gethostname (buf, sizeof buf - 1) != 0 || buf[0] == '\0')
        g_strlcpy (buf, "localhost", sizeof buf);
      buf[sizeof buf - 1] = '\0';
      /* '/' would make a path; ':'/'!' would look like the info separator
       * and ',' like a field: none may appear inside the host part. */
      h = g_strdup (buf);
      g_strdelimit (h, "/:!,", '-');
      hostname = h;
      g_once_init_leave (&initialized, 1);
    }
  return hostname;
}

/* The process id in new names, asked once: getpid() is a system call
 * (glibc no longer caches it), one per delivered message before. A
 * forked child forgets the parent's. */
static gint name_pid_cached = 0;

static void
name_pid_forget (void)
{
  name_pid_cached = 0;
}

static long
name_pid (void)
{
  static gsize registered = 0;
  gint pid = g_atomic_int_get (&name_pid_cached);

  if (pid != 0)
    return pid;
  if (g_once_init_enter (&registered))
    {
      pthread_atfork (NULL, NULL, name_pid_forget);
      g_once_init_leave (&registered, 1);
    }
  pid = (gint) getpid ();
#ifdef MAILSYNC_ENABLE_TEST_HOOKS
  /* MAILSYNC_TEST_NAME_PID: every run names its files with this pid, as
   * a container that runs each sync as the same pid does (the downloads
   * entry's tests, doc/design.md "A killed run's downloads") */
  {
    const char *forced = g_getenv ("MAILSYNC_TEST_NAME_PID");

    if (forced != NULL && *forced != '\0')
      pid = (gint) g_ascii_strtoll (forced, NULL, 10);
  }
#endif
  g_atomic_int_set (&name_pid_cached, pid);
  return pid;
}

/* Appends @v in decimal (with a '-' when negative): the printf family
 * formats and allocates through vasprintf, a few thousand instructions a
 * number, and a name is built for every delivered message (issue 13
 * item 5). */
static void
append_decimal (GString *s,
                gint64   v)
{
  char buf[24];
  guint64 u = v < 0 ? (guint64) -(v + 1) + 1 : (guint64) v;
  int i = (int) sizeof buf;

  do
    {
      buf[--i] = (char) ('0' + u % 10);
      u /= 10;
    }
  while (u != 0);
  if (v < 0)
    buf[--i] = '-';
  g_string_append_len (s, buf + i, (gssize) sizeof buf - i);
}

char *
_mailsync_maildir_name_mark_new (void)
{
  /* 0-9 and a-v: lower case (a name must not depend on a file system
   * keeping case) and none of '/', '.', ',', ':' or '!' */
  static const char digits[] = "0123456789abcdefghijklmnopqrstuv";
  g_autoptr(GRand) rand = g_rand_new ();  /* seeded from /dev/urandom */
  guint64 bits = ((guint64) g_rand_int (rand) << 32) | g_rand_int (rand);
  char mark[2 + MAILSYNC_MAILDIR_MARK_DIGITS];

  mark[0] = 'R';
  for (guint i = 0; i < MAILSYNC_MAILDIR_MARK_DIGITS; i++, bits >>= 5)
    mark[1 + i] = digits[bits & 31];
  mark[1 + MAILSYNC_MAILDIR_MARK_DIGITS] = '\0';
  return g_strdup (mark);
}

char *
_mailsync_maildir_name_build (gint64      t,
                              guint32     uid,
                              const char *fmd5,
                              const char *flags,
                              char        info_sep,
                              const char *mark)
{
  guint seq = _mailsync_maildir_next_seq (t);
  GString *s = g_string_sized_new (128);

  /* "<time>_<seq>.<pid><mark>.<host>[,U=<uid>,FMD5=<md5>]:2,<flags>" */
  append_decimal (s, t);
  g_string_append_c (s, '_');
  append_decimal (s, seq);
  g_string_append_c (s, '.');
  append_decimal (s, name_pid ());
  if (mark != NULL)
    g_string_append (s, mark);
  g_string_append_c (s, '.');
  g_string_append (s, _mailsync_maildir_hostname ());
  if (uid != 0)
    {
      g_string_append (s, ",U=");
      append_decimal (s, uid);
      g_string_append (s, ",FMD5=");
      g_string_append (s, fmd5 ? fmd5 : "");
    }
  g_string_append_c (s, info_sep ? info_sep : ':');
  g_string_append (s, "2,");
  g_string_append (s, flags ? flags : "");
  return g_string_free (s, FALSE);
}

char *
_mailsync_maildir_name_stem (const char *mark)
{
  GString *s = g_string_sized_new (64);

  append_decimal (s, name_pid ());
  if (mark != NULL)
    g_string_append (s, mark);
  g_string_append_c (s, '.');
  for (const char *h = _mailsync_maildir_hostname (); *h != '\0'; h++)
    g_string_append_c (s, g_ascii_isspace (*h) ? '-' : *h);
  return g_string_free (s, FALSE);
}

gboolean
_mailsync_maildir_name_has_stem (const char *name,
                                 const char *stem)
{
  MailsyncMaildirNameView view;
  const char *p, *end;
  gsize n;

  g_return_val_if_fail (name != NULL && stem != NULL, FALSE);

  if (g_str_has_prefix (name, "new/") || g_str_has_prefix (name, "cur/"))
    name += 4;
  _mailsync_maildir_name_view (name, &view);
  end = memchr (name, ',', view.base_len);
  if (end == NULL)
    end = name + view.base_len;
  /* "<T>_<SEQ>." (T may be negative: append_decimal) */
  p = name;
  if (*p == '-')
    p++;
  if (!g_ascii_isdigit (*p))
    return FALSE;
  while (g_ascii_isdigit (*p))
    p++;
  if (*p++ != '_' || !g_ascii_isdigit (*p))
    return FALSE;
  while (g_ascii_isdigit (*p))
    p++;
  if (*p++ != '.' || p > end)
    return FALSE;
  n = strlen (stem);
  if ((gsize) (end - p) != n)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if ((g_ascii_isspace (p[i]) ? '-' : p[i]) != stem[i])
      return FALSE;
  return TRUE;
}

char *
_mailsync_maildir_name_with_flags (const MailsyncMaildirName *name,
                                   const char                *flags,
                                   char                       default_sep)
{
  char sep = name->info_sep ? name->info_sep : (default_sep ? default_sep : ':');

  return g_strdup_printf ("%s%c2,%s%s", name->base, sep, flags ? flags : "",
                          name->tail ? name->tail : "");
}

/* Appends @base without its ",U=<digits>" and ",FMD5=<hex>" fields: those
 * belong to the folder the name was made for. */
static void
append_base_without_uid (GString    *s,
                         const char *p)
{
  while (*p)
    {
      if (g_str_has_prefix (p, ",U="))
        {
          for (p += 3; g_ascii_isdigit (*p); p++)
            ;
          continue;
        }
      if (g_str_has_prefix (p, ",FMD5="))
        {
          for (p += 6; g_ascii_isxdigit (*p); p++)
            ;
          continue;
        }
      g_string_append_c (s, *p++);
    }
}

/* The message's unique name: @name (a file name, or a listing key
 * "new/<name>" / "cur/<name>") without its directory, its info part and
 * its UID fields, which the mail program (moving new/ to cur/, setting a
 * flag) and the sync (giving it a UID) change while the message stays. */
char *
_mailsync_maildir_name_identity (const char *name)
{
  MailsyncMaildirNameView view;
  g_autofree char *base = NULL;
  GString *s;

  if (g_str_has_prefix (name, "new/") || g_str_has_prefix (name, "cur/"))
    name += 4;
  _mailsync_maildir_name_view (name, &view);
  base = g_strndup (name, view.base_len);
  s = g_string_new (NULL);
  append_base_without_uid (s, base);
  return g_string_free (s, FALSE);
}

/* "<base without U=/FMD5=>,U=<uid>,FMD5=<md5><sep>2,<flags><tail>": keeps the
 * file's own unique part (MUAs may track it) and drops UID fields that
 * belong to another folder. */
char *
_mailsync_maildir_name_with_uid (const MailsyncMaildirName *name,
                                 guint32                    uid,
                                 const char                *md5,
                                 char                       default_sep)
{
  GString *s = g_string_new (NULL);

  append_base_without_uid (s, name->base);
  g_string_append_printf (s, ",U=%u,FMD5=%s%c2,%s%s", uid, md5,
                          name->info_sep ? name->info_sep : default_sep,
                          name->flags, name->tail);
  return g_string_free (s, FALSE);
}

/* The file name a message gets in another folder: its own unique part
 * without the U=/FMD5= of the folder it leaves, then U= and FMD5= of the
 * destination when @uid is known (the engine moving a message the server
 * moved), and the info part with the flags it had. Without a UID it is
 * new mail there, as the status expects: the sync gives it one. */
char *
_mailsync_maildir_name_for_destination (const MailsyncMaildirName *name,
                                        guint32                    uid,
                                        const char                *md5,
                                        char                       default_sep)
{
  GString *s;

  if (uid != 0)
    return _mailsync_maildir_name_with_uid (name, uid, md5, default_sep);
  s = g_string_new (NULL);
  append_base_without_uid (s, name->base);
  g_string_append_printf (s, "%c2,%s%s", name->info_sep ? name->info_sep : default_sep,
                          name->flags, name->tail);
  return g_string_free (s, FALSE);
}

char *
_mailsync_maildir_flags_sort (const char *letters)
{
  /* a bit per byte value: 32 bytes to clear, not a 1 KB table */
  guint32 seen[256 / 32] = { 0, };
  char out[257];
  gsize n = 0;

  for (const char *p = letters; p != NULL && *p; p++)
    seen[(guchar) *p / 32] |= 1u << ((guchar) *p % 32);
  for (guint w = 0; w < G_N_ELEMENTS (seen); w++)
    for (guint32 bits = seen[w]; bits != 0; bits &= bits - 1)
      out[n++] = (char) (w * 32 + (guint) __builtin_ctz (bits));
  return g_strndup (out, n);
}

char *
_mailsync_maildir_flags_apply (const char    *letters,
                               MailsyncFlags  add,
                               MailsyncFlags  remove)
{
  g_autofree char *add_letters = mailsync_flags_to_maildir (add);
  g_autofree char *remove_letters = mailsync_flags_to_maildir (remove & ~add);
  GString *s = g_string_new (NULL);
  g_autofree char *joined = NULL;

  for (const char *p = letters; p != NULL && *p; p++)
    if (strchr (remove_letters, *p) == NULL)
      g_string_append_c (s, *p);
  g_string_append (s, add_letters);
  joined = g_string_free (s, FALSE);
  return _mailsync_maildir_flags_sort (joined);
}
