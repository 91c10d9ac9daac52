/* Gmail label sync helpers: see mailsync-gmail-labels.h. The header
 * formats are offlineimap's imaputil.format_labels_string() and
 * parse_labels_string(); the rewrite is its GmailMaildir
 * savemessagelabels() on bytes (no re-serialisation of the rest). */
#include "config.h"

#include "mailsync-gmail-labels.h"

#include <string.h>

#define LABELS_KEY "mailsync-labels-config"
#define FILTER_KEY "mailsync-filter-headers"

static void
labels_config_free (MailsyncLabelsConfig *config)
{
  g_free (config->header);
  g_strfreev (config->ignore);
  g_free (config);
}

void
_mailsync_labels_config_set (MailsyncRepository *local,
                             const char         *header,
                             const char *const  *ignore)
{
  MailsyncLabelsConfig *config = g_new0 (MailsyncLabelsConfig, 1);

  config->header = g_strdup (header != NULL && *header != '\0' ? header : "X-Keywords");
  config->ignore = g_strdupv ((char **) ignore);
  g_object_set_data_full (G_OBJECT (local), LABELS_KEY, config, (GDestroyNotify) labels_config_free);
}

const MailsyncLabelsConfig *
_mailsync_labels_config_get (MailsyncRepository *local)
{
  return local != NULL ? g_object_get_data (G_OBJECT (local), LABELS_KEY) : NULL;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

char **
_mailsync_labels_clean (const MailsyncLabelsConfig *config,
                        const char *const          *labels)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new ();

  for (guint i = 0; labels != NULL && labels[i] != NULL; i++)
    {
      if (*labels[i] == '\0')
        continue;
      if (config != NULL && config->ignore != NULL && g_strv_contains ((const char *const *) config->ignore, labels[i]))
        continue;
      g_ptr_array_add (out, g_strdup (labels[i]));
    }
  g_ptr_array_sort (out, compare_strings);
  /* a label twice (two headers naming it) is one label: a set there */
  for (guint i = 1; i < out->len;)
    if (strcmp (out->pdata[i], out->pdata[i - 1]) == 0)
      {
        g_free (out->pdata[i]);
        g_ptr_array_remove_index (out, i);
      }
    else
      i++;
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

static const char *const none[] = { NULL };

char *
_mailsync_labels_status (const char *const *labels)
{
  return g_strjoinv (", ", (char **) (labels != NULL ? labels : none));
}

static const char *
separator_of (const char *header)
{
  /* imaputil.SPACE_SEPARATED_LABEL_HEADERS: exact, case-sensitive names */
  return strcmp (header, "X-Label") == 0 || strcmp (header, "Keywords") == 0 ? " " : ",";
}

char *
_mailsync_labels_format (const char        *header,
                         const char *const *labels)
{
  return g_strjoinv (separator_of (header), (char **) (labels != NULL ? labels : none));
}

/* The end of the header block: the offset of its empty line, or @length. */
static gsize
header_end (const char *message, gsize length)
{
  for (gsize i = 0; i < length; i++)
    if (message[i] == '\n' && (i + 1 == length || message[i + 1] == '\n' ||
                               (message[i + 1] == '\r' && i + 2 < length && message[i + 2] == '\n')))
      return i + 1;
  return length;
}

/* The end of the header block as an upload sends the message
 * (mailsync-imap-folder-append.c): a run of CRs before an LF goes as one
 * CR there, so a line of nothing but CRs before its LF ("\r\r\n") is a
 * blank line on the server, the first line included (an empty header
 * block). The offset of that line, or @length. */
static gsize
header_end_as_sent (const char *message, gsize length)
{
  gsize line = 0;

  while (line < length)
    {
      gsize i = line;
      const char *nl;

      while (i < length && message[i] == '\r')
        i++;
      if (i < length && message[i] == '\n')
        return line;
      nl = memchr (message + i, '\n', length - i);
      if (nl == NULL)
        break;
      line = (gsize) (nl - message) + 1;
    }
  return length;
}

/* Is the field starting at @line named @header (case-insensitively)? */
static gboolean
field_is (const char *line, gsize available, const char *header)
{
  gsize n = strlen (header);

  return available > n && g_ascii_strncasecmp (line, header, n) == 0 && line[n] == ':';
}

/* The offset just after the field starting at @start (its continuation
 * lines included). */
static gsize
field_end (const char *message, gsize end, gsize start)
{
  gsize i = start;

  for (;;)
    {
      const char *nl = memchr (message + i, '\n', end - i);

      if (nl == NULL)
        return end;
      i = (gsize) (nl - message) + 1;
      if (i >= end || (message[i] != ' ' && message[i] != '\t'))
        return i;
    }
}

/* Remove every CR and LF of @value in place. */
static void
unfold (char *value)
{
  char *out = value;

  for (const char *in = value; *in != '\0'; in++)
    if (*in != '\r' && *in != '\n')
      *out++ = *in;
  *out = '\0';
}

/* One RFC 2047 encoded word at @p (=?charset?Q|B?text?=), decoded to
 * UTF-8, its length in *@used; NULL when @p is not one. */
static char *
decode_word (const char *p, gsize *used)
{
  const char *charset, *enc, *text, *end;
  g_autofree char *name = NULL;
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  char *utf8;

  if (p[0] != '=' || p[1] != '?')
    return NULL;
  charset = p + 2;
  enc = strchr (charset, '?');
  if (enc == NULL || enc == charset || enc[1] == '\0' || enc[2] != '?')
    return NULL;
  text = enc + 3;
  end = strstr (text, "?=");
  if (end == NULL || memchr (text, ' ', (gsize) (end - text)) != NULL)
    return NULL;
  if (enc[1] == 'q' || enc[1] == 'Q')
    {
      for (const char *c = text; c < end; c++)
        {
          guint8 b = (guint8) *c;

          if (*c == '_')
            b = ' ';
          else if (*c == '=' && c + 2 < end && g_ascii_isxdigit (c[1]) && g_ascii_isxdigit (c[2]))
            {
              b = (guint8) (g_ascii_xdigit_value (c[1]) * 16 + g_ascii_xdigit_value (c[2]));
              c += 2;
            }
          g_byte_array_append (bytes, &b, 1);
        }
    }
  else if (enc[1] == 'b' || enc[1] == 'B')
    {
      g_autofree char *b64 = g_strndup (text, (gsize) (end - text));
      gsize n = 0;
      g_autofree guchar *raw = g_base64_decode (b64, &n);

      g_byte_array_append (bytes, raw, (guint) n);
    }
  else
    return NULL;
  name = g_strndup (charset, (gsize) (enc - charset));
  /* RFC 2231 language suffix (utf-8*en) */
  if (strchr (name, '*') != NULL)
    *strchr (name, '*') = '\0';
  if (g_ascii_strcasecmp (name, "utf-8") == 0 || g_ascii_strcasecmp (name, "us-ascii") == 0)
    utf8 = g_utf8_make_valid ((const char *) bytes->data, (gssize) bytes->len);
  else
    utf8 = g_convert ((const char *) bytes->data, (gssize) bytes->len, "UTF-8", name, NULL, NULL, NULL);
  if (utf8 == NULL)
    return NULL;
  *used = (gsize) (end + 2 - p);
  return utf8;
}

/* @value with its RFC 2047 encoded words decoded, as Python's email
 * policy reads an unstructured header: the white space between two
 * encoded words is dropped. offlineimap writes a labels value with a
 * word too long for one line (labels joined by "," without a space) as
 * encoded words, so that is how its files carry many labels. */
static char *
decode_words (const char *value)
{
  GString *out = g_string_new (NULL);
  gboolean after_word = FALSE;
  gsize pending_ws = 0;

  for (const char *p = value; *p != '\0';)
    {
      gsize used = 0;
      g_autofree char *word = (p == value || p[-1] == ' ' || p[-1] == '\t') ? decode_word (p, &used) : NULL;

      if (word != NULL && (p[used] == '\0' || p[used] == ' ' || p[used] == '\t'))
        {
          /* only white space since the last encoded word: dropped */
          g_string_truncate (out, after_word ? pending_ws : out->len);
          g_string_append (out, word);
          p += used;
          after_word = TRUE;
          pending_ws = out->len;
          continue;
        }
      if (*p != ' ' && *p != '\t')
        after_word = FALSE;
      g_string_append_c (out, *p++);
    }
  return g_string_free (out, FALSE);
}

char **
_mailsync_labels_from_message (const char *header,
                               const char *message,
                               gsize       length)
{
  g_autoptr(GStrvBuilder) labels = g_strv_builder_new ();
  const char *sep = separator_of (header);
  gsize end = header_end (message, length);

  for (gsize i = 0; i < end;)
    {
      gsize next = field_end (message, end, i);

      if (field_is (message + i, next - i, header))
        {
          gsize skip = strlen (header) + 1;
          g_autofree char *value = g_strndup (message + i + skip, next - i - skip);
          g_auto(GStrv) parts = NULL;

          g_autofree char *decoded = NULL;

          /* unfold as Python's email policy does: the line breaks go, the
           * continuation's leading white space stays (one space, where the
           * fold was made); a space more would change a label */
          unfold (value);
          decoded = decode_words (value);
          parts = g_strsplit (decoded, sep, -1);
          for (guint k = 0; parts[k] != NULL; k++)
            {
              g_strstrip (parts[k]);
              if (*parts[k] != '\0')
                g_strv_builder_add (labels, parts[k]);
            }
        }
      i = next;
    }
  return g_strv_builder_end (labels);
}

/* email.policy's max_line_length, which offlineimap's policies keep */
#define FOLD_WIDTH 78

/* Python's _steal_trailing_WSP_if_exists(): the last line's trailing
 * blank, removed from it, or "". */
static const char *
steal_blank (GString *line)
{
  if (line->len > 0 && (line->str[line->len - 1] == ' ' || line->str[line->len - 1] == '\t'))
    {
      const char *blank = line->str[line->len - 1] == ' ' ? " " : "\t";

      g_string_truncate (line, line->len - 1);
      return blank;
    }
  return "";
}

static void
free_line (gpointer line)
{
  g_string_free (line, TRUE);
}

static glong
chars (const char *s, gssize n)
{
  return g_utf8_strlen (s, n);
}

/* "@header: @value" and its line end, folded as offlineimap's
 * addmessageheader() leaves it: email.message's add_header() with a
 * policy of max_line_length 78 folds a new field (refold_source = none
 * spares only the fields read from the file), by Python's
 * _refold_parse_tree() for an unstructured value, widths in characters:
 * the whole value on the next line if it fits there, else word by word,
 * a word that does not fit going to a new line with the blank before it.
 * One case differs: Python writes a word that fits on no line (78
 * characters or more: many labels joined by "," without a space) as
 * RFC 2047 encoded words; it is left whole here, on its line (RFC 5322
 * allows 998 octets), and both forms read back as the same labels
 * (decode_words()). */
static char *
fold_field (const char *header, const char *value, const char *eol)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (free_line);
  GString *line = g_string_new (header);
  GString *out = g_string_new (NULL);

  g_string_append_c (line, ':');
  g_ptr_array_add (lines, line);
  if (*value != '\0')
    {
      /* email.message writes "Name:" alone for an empty value */
      g_string_append_c (line, ' ');
      if (chars (line->str, -1) + chars (value, -1) <= FOLD_WIDTH)
        g_string_append (line, value);
      else if (chars (value, -1) + 1 <= FOLD_WIDTH)
        {
          const char *blank = steal_blank (line);

          line = g_string_new (blank);
          g_string_append (line, value);
          g_ptr_array_add (lines, line);
        }
      else
        for (const char *p = value; *p != '\0';)
          {
            gboolean blank_run = *p == ' ' || *p == '\t';
            gsize n = 0;
            glong width;

            while (p[n] != '\0' && (p[n] == ' ' || p[n] == '\t') == blank_run)
              n++;
            width = chars (p, (gssize) n);
            if (width <= FOLD_WIDTH - chars (line->str, -1))
              g_string_append_len (line, p, (gssize) n);
            else
              {
                /* a word takes the blank before it to the new line; a
                 * blank that does not fit starts one itself */
                const char *blank = width + 1 <= FOLD_WIDTH ? steal_blank (line) : "";

                if (width + 1 <= FOLD_WIDTH && (*blank != '\0' || blank_run))
                  {
                    line = g_string_new (blank);
                    g_ptr_array_add (lines, line);
                  }
                /* else too long for any line: whole, where it is */
                g_string_append_len (line, p, (gssize) n);
              }
            p += n;
          }
    }
  for (guint i = 0; i < lines->len; i++)
    {
      g_string_append (out, ((GString *) lines->pdata[i])->str);
      g_string_append (out, eol);
    }
  return g_string_free (out, FALSE);
}

GBytes *
_mailsync_labels_rewrite (GBytes     *message,
                          const char *header,
                          const char *value)
{
  gsize length;
  const char *data = g_bytes_get_data (message, &length);
  gsize end = header_end (data, length);
  gboolean crlf = FALSE;
  GByteArray *out = g_byte_array_sized_new (length + 64);
  const char *nl = memchr (data, '\n', length);

  if (nl != NULL && nl > data && nl[-1] == '\r')
    crlf = TRUE;
  /* header_end() is the start of the empty line: [0, end) is fields only */
  for (gsize i = 0; i < end;)
    {
      gsize next = field_end (data, end, i);

      if (!field_is (data + i, next - i, header))
        g_byte_array_append (out, (const guint8 *) data + i, next - i);
      i = next;
    }
  /* a header block whose last line has no line break (a message without
   * a body) gets one before the new field */
  if (out->len > 0 && out->data[out->len - 1] != '\n')
    g_byte_array_append (out, (const guint8 *) (crlf ? "\r\n" : "\n"), crlf ? 2 : 1);
  {
    g_autofree char *field = fold_field (header, value, crlf ? "\r\n" : "\n");

    g_byte_array_append (out, (const guint8 *) field, strlen (field));
  }
  /* the rest: the empty line and the body, as they were */
  g_byte_array_append (out, (const guint8 *) data + end, length - end);
  return g_byte_array_free_to_bytes (out);
}

void
_mailsync_labels_filter_set (MailsyncRepository *repository,
                             const char *const  *headers)
{
  g_object_set_data_full (G_OBJECT (repository), FILTER_KEY,
                          headers != NULL && headers[0] != NULL ? g_strdupv ((char **) headers) : NULL,
                          (GDestroyNotify) g_strfreev);
}

const char *const *
_mailsync_labels_filter_get (MailsyncRepository *repository)
{
  return repository != NULL ? g_object_get_data (G_OBJECT (repository), FILTER_KEY) : NULL;
}

GBytes *
_mailsync_labels_remove_fields (GBytes            *message,
                                const char *const *headers)
{
  gsize length;
  const char *data = g_bytes_get_data (message, &length);
  gsize end = header_end_as_sent (data, length);
  GByteArray *out = g_byte_array_sized_new (length);

  for (gsize i = 0; i < end;)
    {
      gsize next = field_end (data, end, i);
      gboolean drop = FALSE;

      for (guint k = 0; headers != NULL && headers[k] != NULL && !drop; k++)
        drop = field_is (data + i, next - i, headers[k]);
      if (!drop)
        g_byte_array_append (out, (const guint8 *) data + i, next - i);
      i = next;
    }
  g_byte_array_append (out, (const guint8 *) data + end, length - end);
  return g_byte_array_free_to_bytes (out);
}
