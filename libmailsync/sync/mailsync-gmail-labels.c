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

          /* unfold: the continuation's line break is not part of the value */
          g_strdelimit (value, "\r\n", ' ');
          parts = g_strsplit (value, sep, -1);
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
  g_byte_array_append (out, (const guint8 *) header, strlen (header));
  /* email.message writes "Name:" alone for an empty value */
  g_byte_array_append (out, (const guint8 *) ":", 1);
  if (*value != '\0')
    {
      g_byte_array_append (out, (const guint8 *) " ", 1);
      g_byte_array_append (out, (const guint8 *) value, strlen (value));
    }
  g_byte_array_append (out, (const guint8 *) (crlf ? "\r\n" : "\n"), crlf ? 2 : 1);
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
  gsize end = header_end (data, length);
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
