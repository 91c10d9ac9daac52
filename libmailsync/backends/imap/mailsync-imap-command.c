/* IMAP command builder: typed arguments, literal chunking, injection guard. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mailsync-imap-command.h"
#include "mailsync-imap-auth.h"
#include "mailsync-imap-response.h"
#include "mailsync-imap-utf7.h"

/* Longer strings go as literals: server line limits (Dovecot: 64 KiB). */
#define MAX_QUOTED 1024

struct _MailsyncImapCommand
{
  char                    *tag;
  MailsyncImapCommandFlags flags;
  GString                 *line;      /* text not yet cut into a chunk */
  GString                 *log;
  GArray                  *chunks;    /* MailsyncImapCommandChunk */
  guint                    depth;     /* open lists */
  gboolean                 need_sp;
  gboolean                 failed;
  gboolean                 finished;
  /* For the connection's requests (untagged commands): the text before
   * each literal without its marker, the literals, and the text after
   * the last one; the connection writes the markers itself. */
  GPtrArray               *texts;     /* char *, one more than literals */
  GPtrArray               *literals;  /* GBytes */
  gboolean                 literal8;  /* a ~{n} literal: not for requests */
  gboolean                 secret;    /* wipe the texts when freed */
};

static void
chunk_clear (gpointer p)
{
  MailsyncImapCommandChunk *c = p;
  g_clear_pointer (&c->bytes, g_bytes_unref);
}

static gboolean
cmd_fail (MailsyncImapCommand *cmd, GError **error, const char *what)
{
  cmd->failed = TRUE;
  g_set_error (error, MAILSYNC_IMAP_ERROR, MAILSYNC_IMAP_ERROR_FAILED,
               "Cannot build IMAP command %s: %s", cmd->tag != NULL ? cmd->tag : "(untagged)", what);
  return FALSE;
}

/* ATOM-CHAR (RFC 3501 §9); @astring also allows resp-specials "]" */
static gboolean
is_atom_char (guchar c, gboolean astring)
{
  if (c <= 0x1f || c >= 0x7f)
    return FALSE;
  if (c == ']')
    return astring;
  return strchr ("(){ %*\"\\", c) == NULL;
}

static gboolean
is_atom (const char *s, gsize len, gboolean astring)
{
  gsize i;

  if (len == 0)
    return FALSE;
  for (i = 0; i < len; i++)
    if (!is_atom_char ((guchar) s[i], astring))
      return FALSE;
  return TRUE;
}

/* The injection guard: no argument may end the command line. */
static gboolean
has_line_breakers (const char *s, gsize len)
{
  return memchr (s, '\r', len) != NULL || memchr (s, '\n', len) != NULL ||
         memchr (s, '\0', len) != NULL;
}

MailsyncImapCommand *
mailsync_imap_command_new (const char *tag, const char *name,
                           MailsyncImapCommandFlags flags, GError **error)
{
  g_autoptr(MailsyncImapCommand) cmd = g_new0 (MailsyncImapCommand, 1);
  g_auto(GStrv) words = NULL;
  guint i;

  /* NULL: the connection tags the command when it writes it */
  cmd->tag = g_strdup (tag);
  cmd->flags = flags;
  cmd->line = g_string_new (NULL);
  cmd->log = g_string_new (NULL);
  cmd->chunks = g_array_new (FALSE, TRUE, sizeof (MailsyncImapCommandChunk));
  g_array_set_clear_func (cmd->chunks, chunk_clear);
  cmd->texts = g_ptr_array_new_with_free_func (g_free);
  cmd->literals = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  /* tag = 1*<any ASTRING-CHAR except "+"> */
  if (cmd->tag != NULL && (!is_atom (cmd->tag, strlen (cmd->tag), TRUE) || strchr (cmd->tag, '+') != NULL))
    {
      cmd_fail (cmd, error, "bad tag");
      return NULL;
    }
  if (name == NULL || *name == '\0')
    {
      cmd_fail (cmd, error, "empty command name");
      return NULL;
    }
  words = g_strsplit (name, " ", -1);
  for (i = 0; words[i] != NULL; i++)
    if (!is_atom (words[i], strlen (words[i]), FALSE))
      {
        cmd_fail (cmd, error, "bad command name");
        return NULL;
      }
  if (cmd->tag != NULL)
    g_string_append_printf (cmd->line, "%s ", cmd->tag);
  g_string_append (cmd->line, name);
  g_string_append (cmd->log, cmd->line->str);
  cmd->need_sp = TRUE;
  return g_steal_pointer (&cmd);
}

void
mailsync_imap_command_free (MailsyncImapCommand *cmd)
{
  if (cmd == NULL)
    return;
  if (cmd->secret)
    {
      /* the command held a password: leave no copy of its text behind */
      for (guint i = 0; i < cmd->texts->len; i++)
        mailsync_imap_secret_clear (g_ptr_array_index (cmd->texts, i));
      mailsync_imap_secret_clear (cmd->line->str);
      mailsync_imap_secret_clear (cmd->log->str);
      for (guint i = 0; i < cmd->chunks->len; i++)
        {
          GBytes *b = g_array_index (cmd->chunks, MailsyncImapCommandChunk, i).bytes;
          gsize len = 0;
          guint8 *d;
          guint at;

          /* only the text chunks, the builder's own strings: a literal
           * may be the caller's data */
          if (g_ptr_array_find (cmd->literals, b, &at))
            continue;
          d = (guint8 *) g_bytes_get_data (b, &len);
          if (d != NULL)
            memset (d, 0, len);
        }
    }
  g_ptr_array_unref (cmd->texts);
  g_ptr_array_unref (cmd->literals);
  g_free (cmd->tag);
  g_string_free (cmd->line, TRUE);
  g_string_free (cmd->log, TRUE);
  g_array_unref (cmd->chunks);
  g_free (cmd);
}

gboolean
mailsync_imap_command_is_secret (MailsyncImapCommand *cmd)
{
  return cmd->secret;
}

const char *
mailsync_imap_command_get_tag (MailsyncImapCommand *cmd)
{
  return cmd->tag;
}

static gboolean
check_open (MailsyncImapCommand *cmd, GError **error)
{
  if (cmd->finished)
    return cmd_fail (cmd, error, "already finished");
  return TRUE;
}

static void
separate (MailsyncImapCommand *cmd)
{
  if (cmd->need_sp)
    {
      g_string_append_c (cmd->line, ' ');
      g_string_append_c (cmd->log, ' ');
    }
  cmd->need_sp = TRUE;
}

static void
append_text (MailsyncImapCommand *cmd, const char *s, gsize len)
{
  g_string_append_len (cmd->line, s, len);
  g_string_append_len (cmd->log, s, len);
}

static void
push_chunk (MailsyncImapCommand *cmd, GBytes *bytes, gboolean wait)
{
  MailsyncImapCommandChunk c = { bytes, wait };
  g_array_append_val (cmd->chunks, c);
}

static void
flush_line (MailsyncImapCommand *cmd, gboolean wait)
{
  gsize len = cmd->line->len;
  push_chunk (cmd, g_bytes_new_take (g_string_free (cmd->line, FALSE), len), wait);
  cmd->line = g_string_new (NULL);
}

/* literal = "{" number64 ["+"] "}" CRLF *CHAR8 (RFC 9051 §9, RFC 7888) */
static void
append_literal (MailsyncImapCommand *cmd, GBytes *data, gboolean literal8, gboolean secret)
{
  gsize n = g_bytes_get_size (data);
  gboolean plus = (cmd->flags & MAILSYNC_IMAP_COMMAND_LITERAL_PLUS) ||
                  ((cmd->flags & MAILSYNC_IMAP_COMMAND_LITERAL_MINUS) &&
                   n <= MAILSYNC_IMAP_LITERAL_MINUS_MAX);

  separate (cmd);
  g_ptr_array_add (cmd->texts, g_strndup (cmd->line->str, cmd->line->len));
  g_ptr_array_add (cmd->literals, g_bytes_ref (data));
  cmd->literal8 |= literal8;
  g_string_append_printf (cmd->line, "%s{%" G_GSIZE_FORMAT "%s}\r\n",
                          literal8 ? "~" : "", n, plus ? "+" : "");
  g_string_append_printf (cmd->log, "%s{%" G_GSIZE_FORMAT "%s} <%s>",
                          literal8 ? "~" : "", n, plus ? "+" : "",
                          secret ? "redacted" : "literal");
  flush_line (cmd, !plus);
  if (n > 0)
    push_chunk (cmd, g_bytes_ref (data), FALSE);
}

static void
append_quoted (MailsyncImapCommand *cmd, const char *s, gsize len, gboolean secret)
{
  gsize i, start;

  separate (cmd);
  start = cmd->line->len;
  g_string_append_c (cmd->line, '"');
  for (i = 0; i < len; i++)
    {
      /* quoted-specials need a backslash (RFC 3501 §9) */
      if (s[i] == '"' || s[i] == '\\')
        g_string_append_c (cmd->line, '\\');
      g_string_append_c (cmd->line, s[i]);
    }
  g_string_append_c (cmd->line, '"');
  if (secret)
    g_string_append (cmd->log, "<redacted>");
  else
    g_string_append (cmd->log, cmd->line->str + start);
}

/* Printable enough for a quoted string: TEXT-CHAR minus controls; 8-bit
 * only as UTF-8 under UTF8=ACCEPT (RFC 6855 §3). */
static gboolean
quotable (MailsyncImapCommand *cmd, const char *s, gsize len)
{
  gboolean utf8 = (cmd->flags & MAILSYNC_IMAP_COMMAND_UTF8_ACCEPT) != 0;
  gsize i;

  if (len > MAX_QUOTED)
    return FALSE;
  for (i = 0; i < len; i++)
    {
      guchar c = (guchar) s[i];
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
        return FALSE;
    }
  return !utf8 || g_utf8_validate_len (s, len, NULL);
}

static gboolean
add_string_full (MailsyncImapCommand *cmd, const char *s, gssize len, gboolean atom_ok,
                 gboolean secret, GError **error)
{
  g_autoptr(GBytes) bytes = NULL;

  if (!check_open (cmd, error))
    return FALSE;
  if (len < 0)
    len = strlen (s);
  if (has_line_breakers (s, len))
    return cmd_fail (cmd, error, "CR, LF or NUL in an argument");
  cmd->secret |= secret;
  /* "NIL" as an atom would read as nil in nstring positions: quote it */
  if (atom_ok && !secret && is_atom (s, len, TRUE) &&
      !(len == 3 && g_ascii_strncasecmp (s, "NIL", 3) == 0))
    {
      separate (cmd);
      append_text (cmd, s, len);
      return TRUE;
    }
  if (quotable (cmd, s, len))
    {
      append_quoted (cmd, s, len, secret);
      return TRUE;
    }
  /* A password as a literal: whoever drops the last reference to it
   * (the request, the write queue) wipes it. */
  bytes = secret ? mailsync_imap_secret_bytes_new (s, len) : g_bytes_new (s, len);
  append_literal (cmd, bytes, FALSE, secret);
  return TRUE;
}

gboolean
mailsync_imap_command_add_astring (MailsyncImapCommand *cmd, const char *s, gssize len, GError **error)
{
  return add_string_full (cmd, s, len, TRUE, FALSE, error);
}

gboolean
mailsync_imap_command_add_string (MailsyncImapCommand *cmd, const char *s, gssize len, GError **error)
{
  return add_string_full (cmd, s, len, FALSE, FALSE, error);
}

gboolean
mailsync_imap_command_add_secret (MailsyncImapCommand *cmd, const char *s, gssize len, GError **error)
{
  return add_string_full (cmd, s, len, TRUE, TRUE, error);
}

gboolean
mailsync_imap_command_add_atom (MailsyncImapCommand *cmd, const char *atom, GError **error)
{
  if (!check_open (cmd, error))
    return FALSE;
  if (!is_atom (atom, strlen (atom), FALSE))
    return cmd_fail (cmd, error, "not an atom");
  separate (cmd);
  append_text (cmd, atom, strlen (atom));
  return TRUE;
}

gboolean
mailsync_imap_command_add_number (MailsyncImapCommand *cmd, guint64 n, GError **error)
{
  char buf[24];

  if (!check_open (cmd, error))
    return FALSE;
  g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, n);
  separate (cmd);
  append_text (cmd, buf, strlen (buf));
  return TRUE;
}

gboolean
mailsync_imap_command_add_raw (MailsyncImapCommand *cmd, const char *text, GError **error)
{
  gsize i, len = strlen (text);

  if (!check_open (cmd, error))
    return FALSE;
  for (i = 0; i < len; i++)
    if ((guchar) text[i] < 0x20 || (guchar) text[i] >= 0x7f)
      return cmd_fail (cmd, error, "control or 8-bit character in raw text");
  separate (cmd);
  append_text (cmd, text, len);
  return TRUE;
}

gboolean
mailsync_imap_command_add_mailbox (MailsyncImapCommand *cmd, const char *utf8_name, GError **error)
{
  g_autofree char *wire = NULL;

  if (!check_open (cmd, error))
    return FALSE;
  if (!g_utf8_validate (utf8_name, -1, NULL))
    return cmd_fail (cmd, error, "mailbox name is not UTF-8");
  if (has_line_breakers (utf8_name, strlen (utf8_name)))
    return cmd_fail (cmd, error, "CR or LF in a mailbox name");
  /* RFC 3501 §5.1: INBOX is case-insensitive; send it canonical */
  if (g_ascii_strcasecmp (utf8_name, "INBOX") == 0)
    wire = g_strdup ("INBOX");
  else if (cmd->flags & MAILSYNC_IMAP_COMMAND_UTF8_ACCEPT)
    wire = g_strdup (utf8_name);
  else if ((wire = mailsync_imap_utf7_encode (utf8_name, -1, NULL)) == NULL)
    return cmd_fail (cmd, error, "mailbox name cannot be encoded");
  return add_string_full (cmd, wire, -1, TRUE, FALSE, error);
}

static int
compare_uids (const void *a, const void *b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;
  return x < y ? -1 : x > y;
}

char *
mailsync_imap_format_seqset (const guint32 *uids, gsize n_uids)
{
  g_autofree guint32 *v = NULL;
  GString *s;
  gsize i = 0;

  if (n_uids == 0)
    return NULL;
  v = g_memdup2 (uids, n_uids * sizeof (guint32));
  qsort (v, n_uids, sizeof (guint32), compare_uids);
  s = g_string_new (NULL);
  while (i < n_uids)
    {
      gsize j = i;

      /* extend over duplicates and consecutive numbers */
      while (j + 1 < n_uids && (v[j + 1] == v[j] || v[j + 1] == v[j] + 1))
        j++;
      if (s->len > 0)
        g_string_append_c (s, ',');
      if (v[j] == v[i])
        g_string_append_printf (s, "%u", v[i]);
      else
        g_string_append_printf (s, "%u:%u", v[i], v[j]);
      i = j + 1;
    }
  return g_string_free (s, FALSE);
}

gboolean
mailsync_imap_command_add_seqset (MailsyncImapCommand *cmd, const guint32 *uids, gsize n_uids,
                                  GError **error)
{
  g_autofree char *set = NULL;
  gsize i;

  if (!check_open (cmd, error))
    return FALSE;
  for (i = 0; i < n_uids; i++)
    if (uids[i] == 0)
      return cmd_fail (cmd, error, "0 in a sequence set");
  if ((set = mailsync_imap_format_seqset (uids, n_uids)) == NULL)
    return cmd_fail (cmd, error, "empty sequence set");
  separate (cmd);
  append_text (cmd, set, strlen (set));
  return TRUE;
}

gboolean
mailsync_imap_command_add_range (MailsyncImapCommand *cmd, guint32 first, guint32 last, GError **error)
{
  char buf[32];

  if (!check_open (cmd, error))
    return FALSE;
  /* nz-number: a range never starts at 0; "n:*" is how "to the end" is said */
  if (first == 0)
    return cmd_fail (cmd, error, "0 in a range");
  if (last == 0)
    g_snprintf (buf, sizeof buf, "%u:*", first);
  else
    g_snprintf (buf, sizeof buf, "%u:%u", first, last);
  separate (cmd);
  append_text (cmd, buf, strlen (buf));
  return TRUE;
}

gboolean
mailsync_imap_command_add_wire_mailbox (MailsyncImapCommand *cmd, const char *wire, GError **error)
{
  if (!check_open (cmd, error))
    return FALSE;
  if (wire == NULL)
    return cmd_fail (cmd, error, "no mailbox name");
  /* a string, never an atom: the names go on the wire as they always
   * have ("INBOX" quoted), which servers' logs and our tests compare */
  return add_string_full (cmd, wire, -1, FALSE, FALSE, error);
}

gboolean
mailsync_imap_command_add_flags (MailsyncImapCommand *cmd, MailsyncFlags flags,
                                 const char *const *keywords, GError **error)
{
  static const struct { MailsyncFlags flag; const char *name; } names[] = {
    { MAILSYNC_FLAG_SEEN, "\\Seen" },
    { MAILSYNC_FLAG_ANSWERED, "\\Answered" },
    { MAILSYNC_FLAG_FLAGGED, "\\Flagged" },
    { MAILSYNC_FLAG_DELETED, "\\Deleted" },
    { MAILSYNC_FLAG_DRAFT, "\\Draft" },
  };
  g_autoptr(GString) list = g_string_new ("(");
  guint i;

  if (!check_open (cmd, error))
    return FALSE;
  for (i = 0; i < G_N_ELEMENTS (names); i++)
    if (flags & names[i].flag)
      g_string_append_printf (list, "%s%s", list->len > 1 ? " " : "", names[i].name);
  for (i = 0; keywords != NULL && keywords[i] != NULL; i++)
    {
      /* flag-keyword = atom (RFC 3501 §9) */
      if (!is_atom (keywords[i], strlen (keywords[i]), FALSE))
        return cmd_fail (cmd, error, "keyword is not an atom");
      g_string_append_printf (list, "%s%s", list->len > 1 ? " " : "", keywords[i]);
    }
  g_string_append_c (list, ')');
  separate (cmd);
  append_text (cmd, list->str, list->len);
  return TRUE;
}

char *
mailsync_imap_format_date_time (gint64 unix_time, int tz_offset)
{
  static const char months[][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset (tz_offset);
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (unix_time);
  g_autoptr(GDateTime) dt = NULL;
  int off = tz_offset < 0 ? -tz_offset : tz_offset;

  if (utc == NULL || tz == NULL || (dt = g_date_time_to_timezone (utc, tz)) == NULL)
    return NULL;
  /* date-day-fixed = (SP DIGIT) / 2DIGIT */
  return g_strdup_printf ("%2d-%s-%04d %02d:%02d:%02d %c%02d%02d",
                          g_date_time_get_day_of_month (dt),
                          months[g_date_time_get_month (dt) - 1],
                          g_date_time_get_year (dt), g_date_time_get_hour (dt),
                          g_date_time_get_minute (dt), g_date_time_get_second (dt),
                          tz_offset < 0 ? '-' : '+', off / 3600, (off / 60) % 60);
}

gboolean
mailsync_imap_command_add_date_time (MailsyncImapCommand *cmd, gint64 unix_time, int tz_offset,
                                     GError **error)
{
  g_autofree char *s = NULL;

  if (!check_open (cmd, error))
    return FALSE;
  if (tz_offset % 60 != 0 || tz_offset <= -86400 || tz_offset >= 86400 ||
      (s = mailsync_imap_format_date_time (unix_time, tz_offset)) == NULL)
    return cmd_fail (cmd, error, "date out of range");
  append_quoted (cmd, s, strlen (s), FALSE);
  return TRUE;
}

gboolean
mailsync_imap_command_add_search_date (MailsyncImapCommand *cmd, gint64 unix_time, GError **error)
{
  static const char months[][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr(GDateTime) day = NULL;
  char buf[32];

  if (!check_open (cmd, error))
    return FALSE;
  if ((day = g_date_time_new_from_unix_utc (unix_time)) == NULL)
    return cmd_fail (cmd, error, "date out of range");
  /* date-text = date-day "-" date-month "-" date-year, date-day 1*2DIGIT */
  g_snprintf (buf, sizeof buf, "%d-%s-%04d", g_date_time_get_day_of_month (day),
              months[g_date_time_get_month (day) - 1], g_date_time_get_year (day));
  separate (cmd);
  append_text (cmd, buf, strlen (buf));
  return TRUE;
}

gboolean
mailsync_imap_command_add_literal (MailsyncImapCommand *cmd, GBytes *data, gboolean literal8,
                                   GError **error)
{
  gsize len;
  const char *d;

  if (!check_open (cmd, error))
    return FALSE;
  d = g_bytes_get_data (data, &len);
  /* CHAR8 excludes NUL; only literal8 (RFC 3516) carries it */
  if (!literal8 && len > 0 && memchr (d, '\0', len) != NULL)
    return cmd_fail (cmd, error, "NUL in a literal (use literal8)");
  append_literal (cmd, data, literal8, FALSE);
  return TRUE;
}

gboolean
mailsync_imap_command_begin_list (MailsyncImapCommand *cmd, GError **error)
{
  if (!check_open (cmd, error))
    return FALSE;
  separate (cmd);
  append_text (cmd, "(", 1);
  cmd->need_sp = FALSE;
  cmd->depth++;
  return TRUE;
}

gboolean
mailsync_imap_command_end_list (MailsyncImapCommand *cmd, GError **error)
{
  if (!check_open (cmd, error))
    return FALSE;
  if (cmd->depth == 0)
    return cmd_fail (cmd, error, "no list to close");
  append_text (cmd, ")", 1);
  cmd->need_sp = TRUE;
  cmd->depth--;
  return TRUE;
}

gboolean
mailsync_imap_command_finish (MailsyncImapCommand *cmd, GError **error)
{
  if (cmd->finished && !cmd->failed)
    return TRUE;
  if (cmd->failed)
    return cmd_fail (cmd, error, "an argument was refused");
  if (cmd->depth != 0)
    return cmd_fail (cmd, error, "unclosed list");
  g_ptr_array_add (cmd->texts, g_strndup (cmd->line->str, cmd->line->len));
  g_string_append (cmd->line, "\r\n");
  flush_line (cmd, FALSE);
  cmd->finished = TRUE;
  return TRUE;
}

void
mailsync_imap_command_set_secret (MailsyncImapCommand *cmd)
{
  cmd->secret = TRUE;
}

guint
mailsync_imap_command_get_segments (MailsyncImapCommand  *cmd,
                                    const char   *const **texts,
                                    GBytes       *const **literals,
                                    gboolean             *literal8)
{
  g_return_val_if_fail (cmd->finished, 0);
  *texts = (const char *const *) cmd->texts->pdata;
  *literals = (GBytes *const *) cmd->literals->pdata;
  *literal8 = cmd->literal8;
  return cmd->literals->len;
}

const MailsyncImapCommandChunk *
mailsync_imap_command_get_chunks (MailsyncImapCommand *cmd, guint *n_chunks)
{
  g_return_val_if_fail (cmd->finished, NULL);
  *n_chunks = cmd->chunks->len;
  return (const MailsyncImapCommandChunk *) cmd->chunks->data;
}

gboolean
mailsync_imap_command_needs_continuation (MailsyncImapCommand *cmd)
{
  guint i;

  for (i = 0; i < cmd->chunks->len; i++)
    if (g_array_index (cmd->chunks, MailsyncImapCommandChunk, i).wait_continuation)
      return TRUE;
  return FALSE;
}

const char *
mailsync_imap_command_get_log_line (MailsyncImapCommand *cmd)
{
  return cmd->log->str;
}

GBytes *
mailsync_imap_command_to_bytes (MailsyncImapCommand *cmd)
{
  g_autoptr(GByteArray) all = g_byte_array_new ();
  guint i;

  for (i = 0; i < cmd->chunks->len; i++)
    {
      GBytes *b = g_array_index (cmd->chunks, MailsyncImapCommandChunk, i).bytes;
      gsize len;
      const guint8 *d = g_bytes_get_data (b, &len);
      if (len > 0)
        g_byte_array_append (all, d, len);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&all));
}
