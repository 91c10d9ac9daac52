/* json: the library's events as JSON Lines (issue 10 item 6), for
 * programs that would rather not parse machineui's offlineimap grammar.
 * One object per line on stdout: first "hello" with the schema version,
 * then one per library event (its kind's nick: "message-copied"...), per
 * frontend message ("message"), per autorefresh sleep step ("sleeping"),
 * and last "end" with the exit status.  The schema is in mailsyncui(7);
 * tests/check-ui-json.py holds a copy and checks real runs against it.
 *
 * A password the library needs (none in the configuration, or the server
 * refused it) is a "question" line; the driving program answers with one
 * JSON line on stdin, as machineui's getpass is answered with a raw one.
 * No answer (end of input, a cancel, a line that is not the answer) is an
 * "unanswered" line saying why, and the authentication error stands.
 *
 * The objects are built with JsonBuilder and written by JsonGenerator: no
 * escaping by hand.  Each line goes out with one write(2), so that a
 * reader never sees half a line from a process killed between two stdio
 * buffer flushes (a pipe takes a write of up to PIPE_BUF bytes whole). */
#include "config.h"
#include "mailsync-ui-json.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

struct _MailsyncUiJson
{
  MailsyncUi parent_instance;

  /* The base class renders every event to lines for its bookkeeping (the
   * error recap, skipped messages, validity problems: the exit status);
   * those lines are not this UI's output, the event itself is. */
  gboolean in_event;
  /* --info wrote its document: the run's output is that one line */
  gboolean document;
  /* the "id" of the last question: an answer names the question it
   * answers, so a stale line left on stdin is not taken for a password */
  guint question_id;
};

G_DEFINE_FINAL_TYPE (MailsyncUiJson, mailsync_ui_json, MAILSYNC_TYPE_UI)

/* ---- helpers ------------------------------------------------------------ */

void
mailsync_ui_json_add_string (JsonBuilder *builder, const char *name, const char *text)
{
  g_autofree char *valid = NULL;

  if (text == NULL)
    return;
  /* JSON is UTF-8; a Maildir folder or a server's words need not be. */
  if (!g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, text);
}

static void
add_int (JsonBuilder *builder, const char *name, gint64 value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

/* The error's code by its enum nick where the domain has a registered
 * enum ("auth-failed", "connection-refused"), else its number: a script
 * compares names, which stay when numbers are not yet frozen. */
static char *
error_code_name (const GError *error)
{
  static const struct { GQuark (*domain) (void); GType (*type) (void); } known[] = {
    { mailsync_error_quark, mailsync_error_get_type },
    { mailsync_status_error_quark, mailsync_status_error_get_type },
    { mailsync_imap_error_quark, mailsync_imap_error_get_type },
    { g_io_error_quark, g_io_error_enum_get_type },
    { g_tls_error_quark, g_tls_error_get_type },
    { g_resolver_error_quark, g_resolver_error_get_type },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (known); i++)
    if (error->domain == known[i].domain ())
      {
        g_autoptr(GEnumClass) klass = g_type_class_ref (known[i].type ());
        GEnumValue *value = g_enum_get_value (klass, error->code);

        if (value != NULL)
          return g_strdup (value->value_nick);
      }
  return g_strdup_printf ("%d", error->code);
}

static const char *
enum_nick (GType type, int value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *v = g_enum_get_value (klass, value);

  /* the nicks are static strings of the registered type */
  return v != NULL ? v->value_nick : NULL;
}

void
mailsync_ui_json_add_error (JsonBuilder *builder, const GError *error)
{
  g_autofree char *code = error_code_name (error);

  mailsync_ui_json_add_string (builder, "domain", g_quark_to_string (error->domain));
  mailsync_ui_json_add_string (builder, "code", code);
  mailsync_ui_json_add_string (builder, "message", error->message);
  mailsync_ui_json_add_string (builder, "scope", enum_nick (MAILSYNC_TYPE_ERROR_SCOPE,
                                                            mailsync_error_get_scope (error)));
  json_builder_set_member_name (builder, "transient");
  json_builder_add_boolean_value (builder, mailsync_error_is_transient (error));
}

/* Starts an object with the members every line has. */
static JsonBuilder *
begin_object (const char *kind)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  mailsync_ui_json_add_string (builder, "kind", kind);
  /* Unix time with microseconds: a client computes rates and an ETA from
   * the lines alone, without timing their arrival. */
  json_builder_set_member_name (builder, "time");
  json_builder_add_double_value (builder, g_get_real_time () / (double) G_USEC_PER_SEC);
  return builder;
}

static gboolean
write_all (int fd, const char *data, gsize length)
{
  while (length > 0)
    {
      gssize n = write (fd, data, length);

      if (n < 0 && errno == EINTR)
        continue;
      /* A reader that went away (EPIPE) or a full disk: nothing to tell
       * anyone on this channel; the run goes on as offlineimap's would. */
      if (n <= 0)
        return FALSE;
      data += n;
      length -= (gsize) n;
    }
  return TRUE;
}

void
mailsync_ui_json_write_object (MailsyncUiJson *self, JsonNode *object)
{
  FILE *out = mailsync_ui_get_output (MAILSYNC_UI (self));
  g_autoptr(JsonGenerator) generator = NULL;
  g_autofree char *data = NULL;
  g_autofree char *line = NULL;
  gsize length = 0;
  int fd;

  if (out == NULL)
    return;
  generator = json_generator_new ();
  json_generator_set_root (generator, object);
  data = json_generator_to_data (generator, &length);
  /* The generator escapes newlines in strings: the line is one line. */
  line = g_strconcat (data, "\n", NULL);
  length++;
  fd = fileno (out);
  if (fd < 0)
    {
      /* a memory stream (the unit tests) has no descriptor */
      fwrite (line, 1, length, out);
      fflush (out);
      return;
    }
  /* whatever stdio holds goes first, then the line in one write */
  fflush (out);
  write_all (fd, line, length);
}

void
mailsync_ui_json_write_document (MailsyncUiJson *self, JsonNode *document)
{
  mailsync_ui_json_write_object (self, document);
  self->document = TRUE;
}

static void
end_object (MailsyncUiJson *self, JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = NULL;

  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  mailsync_ui_json_write_object (self, root);
}

static const char *
level_name (MailsyncUiLevel level)
{
  switch (level)
    {
    case MAILSYNC_UI_LEVEL_DEBUG: return "debug";
    case MAILSYNC_UI_LEVEL_INFO: return "info";
    case MAILSYNC_UI_LEVEL_WARNING: return "warning";
    default: return "error";
    }
}

/* The kinds whose object carries "progress": where a client updates its
 * bar. Every event has the counts; the others would only repeat them. */
static gboolean
kind_has_progress (MailsyncSyncEventKind kind)
{
  switch (kind)
    {
    case MAILSYNC_SYNC_EVENT_FOLDER_STARTED:
    case MAILSYNC_SYNC_EVENT_FOLDER_PLANNED:
    case MAILSYNC_SYNC_EVENT_ACCOUNT_PLANNED:
    case MAILSYNC_SYNC_EVENT_MESSAGE_COPIED:
    case MAILSYNC_SYNC_EVENT_FOLDER_FINISHED:
    case MAILSYNC_SYNC_EVENT_ACCOUNT_FINISHED:
      return TRUE;
    default:
      return FALSE;
    }
}

static void
add_counts (JsonBuilder *builder, const char *name, guint messages_done, guint messages_total,
            guint64 bytes_done, guint64 bytes_total)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  add_int (builder, "messages_done", messages_done);
  add_int (builder, "messages_total", messages_total);
  add_int (builder, "bytes_done", (gint64) bytes_done);
  add_int (builder, "bytes_total", (gint64) bytes_total);
  json_builder_end_object (builder);
}

/* ---- vfuncs ------------------------------------------------------------- */

static void
mailsync_ui_json_banner (MailsyncUi *ui)
{
  g_autoptr(JsonBuilder) builder = begin_object ("hello");

  add_int (builder, "schema", MAILSYNC_UI_JSON_SCHEMA);
  mailsync_ui_json_add_string (builder, "program", "mailsync");
  mailsync_ui_json_add_string (builder, "version", PACKAGE_VERSION);
  end_object (MAILSYNC_UI_JSON (ui), builder);
}

static void
mailsync_ui_json_event (MailsyncUi *ui, MailsyncSyncEvent *event)
{
  MailsyncUiJson *self = MAILSYNC_UI_JSON (ui);
  MailsyncSyncEventKind kind = mailsync_sync_event_get_kind (event);
  MailsyncDirection direction = mailsync_sync_event_get_direction (event);
  const GError *error = mailsync_sync_event_get_error (event);
  g_autoptr(JsonBuilder) builder = NULL;
  const char *name;
  const guint32 *uids;
  guint n_uids = 0;

  self->in_event = TRUE;
  MAILSYNC_UI_CLASS (mailsync_ui_json_parent_class)->event (ui, event);
  self->in_event = FALSE;

  /* debug chatter only when asked for (-d), as the other UIs */
  if (kind == MAILSYNC_SYNC_EVENT_DEBUG && !mailsync_ui_wants (ui, MAILSYNC_UI_LEVEL_DEBUG))
    return;

  /* a kind newer than this UI still gives a line a reader can skip */
  name = enum_nick (MAILSYNC_TYPE_SYNC_EVENT_KIND, kind);
  builder = begin_object (name != NULL ? name : "unknown");
  mailsync_ui_json_add_string (builder, "account", mailsync_sync_event_get_account (event));
  mailsync_ui_json_add_string (builder, "folder", mailsync_sync_event_get_folder (event));
  mailsync_ui_json_add_string (builder, "repository", mailsync_sync_event_get_repository (event));
  mailsync_ui_json_add_string (builder, "source_repository", mailsync_sync_event_get_source_repository (event));
  mailsync_ui_json_add_string (builder, "source_type", mailsync_sync_event_get_source_type (event));
  mailsync_ui_json_add_string (builder, "destination_type", mailsync_sync_event_get_destination_type (event));
  mailsync_ui_json_add_string (builder, "source_folder", mailsync_sync_event_get_source_folder (event));
  mailsync_ui_json_add_string (builder, "destination_folder", mailsync_sync_event_get_destination_folder (event));
  if (direction != MAILSYNC_DIRECTION_NONE)
    mailsync_ui_json_add_string (builder, "direction", enum_nick (MAILSYNC_TYPE_DIRECTION, direction));
  if (mailsync_sync_event_get_uid (event) != 0)
    add_int (builder, "uid", mailsync_sync_event_get_uid (event));
  if (kind == MAILSYNC_SYNC_EVENT_MESSAGE_COPIED)
    add_int (builder, "source_uid", mailsync_sync_event_get_source_uid (event));
  add_int (builder, "n", mailsync_sync_event_get_n (event));
  add_int (builder, "total", mailsync_sync_event_get_total (event));
  if (kind == MAILSYNC_SYNC_EVENT_MESSAGE_COPIED || kind == MAILSYNC_SYNC_EVENT_FOLDER_PLANNED ||
      kind == MAILSYNC_SYNC_EVENT_ACCOUNT_PLANNED)
    add_int (builder, "bytes", (gint64) mailsync_sync_event_get_bytes (event));
  mailsync_ui_json_add_string (builder, "flags", mailsync_sync_event_get_flags (event));
  uids = mailsync_sync_event_get_uids (event, &n_uids);
  if (uids != NULL)
    {
      json_builder_set_member_name (builder, "uids");
      json_builder_begin_array (builder);
      for (guint i = 0; i < n_uids; i++)
        json_builder_add_int_value (builder, uids[i]);
      json_builder_end_array (builder);
    }
  if (kind == MAILSYNC_SYNC_EVENT_VALIDITY_PROBLEM)
    {
      add_int (builder, "saved_uidvalidity", mailsync_sync_event_get_saved_uidvalidity (event));
      add_int (builder, "uidvalidity", mailsync_sync_event_get_uidvalidity (event));
    }
  mailsync_ui_json_add_string (builder, "text", mailsync_sync_event_get_text (event));
  if (error != NULL)
    {
      json_builder_set_member_name (builder, "error");
      json_builder_begin_object (builder);
      mailsync_ui_json_add_error (builder, error);
      json_builder_end_object (builder);
    }
  if (kind_has_progress (kind))
    {
      json_builder_set_member_name (builder, "progress");
      json_builder_begin_object (builder);
      add_counts (builder, "folder",
                  mailsync_sync_event_get_folder_messages_done (event),
                  mailsync_sync_event_get_folder_messages_total (event),
                  mailsync_sync_event_get_folder_bytes_done (event),
                  mailsync_sync_event_get_folder_bytes_total (event));
      add_counts (builder, "account",
                  mailsync_sync_event_get_account_messages_done (event),
                  mailsync_sync_event_get_account_messages_total (event),
                  mailsync_sync_event_get_account_bytes_done (event),
                  mailsync_sync_event_get_account_bytes_total (event));
      json_builder_end_object (builder);
    }
  end_object (self, builder);
}

/* Frontend messages (hooks, config errors, --info's text) and the lines
 * the base class makes outside events (-d announcements). */
static void
mailsync_ui_json_render (MailsyncUi *ui, const MailsyncUiLine *line)
{
  MailsyncUiJson *self = MAILSYNC_UI_JSON (ui);
  g_autoptr(JsonBuilder) builder = NULL;

  if (self->in_event || line->text == NULL || !mailsync_ui_wants (ui, line->level))
    return;
  builder = begin_object ("message");
  mailsync_ui_json_add_string (builder, "level", level_name (line->level));
  mailsync_ui_json_add_string (builder, "thread", line->thread);
  if (line->command != NULL && *line->command != '\0')
    mailsync_ui_json_add_string (builder, "command", line->command);
  mailsync_ui_json_add_string (builder, "text", line->text);
  end_object (self, builder);
}

static void
mailsync_ui_json_sleeping (MailsyncUi *ui, const char *account, guint slice, guint remaining)
{
  g_autoptr(JsonBuilder) builder = begin_object ("sleeping");

  mailsync_ui_json_add_string (builder, "account", account);
  add_int (builder, "remaining", remaining);
  end_object (MAILSYNC_UI_JSON (ui), builder);
}

static void
mailsync_ui_json_terminate (MailsyncUi *ui, int status, const char *title, const char *text)
{
  g_autoptr(JsonBuilder) builder = NULL;

  if (MAILSYNC_UI_JSON (ui)->document)
    return;
  builder = begin_object ("end");
  /* No recap of the errors: each had its own object. */
  add_int (builder, "status", status);
  add_int (builder, "errors", mailsync_ui_get_error_count (ui));
  add_int (builder, "skipped", mailsync_ui_get_skipped_count (ui));
  json_builder_set_member_name (builder, "validity_problem");
  json_builder_add_boolean_value (builder, mailsync_ui_had_validity_problem (ui));
  if (title != NULL && *title != '\0')
    mailsync_ui_json_add_string (builder, "title", title);
  if (text != NULL && *text != '\0')
    mailsync_ui_json_add_string (builder, "message", text);
  end_object (MAILSYNC_UI_JSON (ui), builder);
}

/* One line of stdin, at most @limit bytes (the rest of a longer line is
 * read and dropped: it is no answer).  %NULL at the end of input. */
static GString *
read_answer_line (FILE *in, gsize limit, gboolean *too_long)
{
  GString *line = g_string_new (NULL);
  int c;

  *too_long = FALSE;
  while ((c = getc (in)) != EOF && c != '\n')
    {
      if (line->len < limit)
        g_string_append_c (line, (char) c);
      else
        *too_long = TRUE;
    }
  if (c == EOF && line->len == 0 && !*too_long)
    {
      g_string_free (line, TRUE);
      return NULL;
    }
  return line;
}

/* The password line must not linger in freed memory. */
static void
wipe_string (GString *s)
{
  if (s == NULL)
    return;
  memset (s->str, 0, s->allocated_len);
  g_string_free (s, TRUE);
}

/* The type of member @name of @object's value, G_TYPE_INVALID when there
 * is none or it is not a plain value (an object, an array, null). */
static GType
member_type (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return G_TYPE_INVALID;
  return json_node_get_value_type (node);
}

static void
unanswered (MailsyncUiJson *self, guint id, const char *reason, const char *text)
{
  g_autoptr(JsonBuilder) builder = begin_object ("unanswered");

  add_int (builder, "id", id);
  mailsync_ui_json_add_string (builder, "reason", reason);
  mailsync_ui_json_add_string (builder, "text", text);
  end_object (self, builder);
}

/* Asks the driving program: a "question" line on stdout, then one JSON
 * line on stdin, {"id": N, "password": "..."} (or {"id": N, "cancel":
 * true}).  Called with the UI's lock held, so no other line comes between
 * the question and its answer. */
static char *
mailsync_ui_json_ask_password (MailsyncUi *ui, const char *account, const char *user)
{
  MailsyncUiJson *self = MAILSYNC_UI_JSON (ui);
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonParser) parser = NULL;
  GString *line;
  JsonObject *answer = NULL;
  gboolean too_long = FALSE;
  char *password = NULL;
  guint id = ++self->question_id;

  builder = begin_object ("question");
  add_int (builder, "id", id);
  mailsync_ui_json_add_string (builder, "type", "password");
  mailsync_ui_json_add_string (builder, "account", account);
  mailsync_ui_json_add_string (builder, "user", user);
  end_object (self, builder);

  /* 64 KiB: far above any password, and a bound on what a runaway writer
   * can make us hold. */
  line = read_answer_line (stdin, 64 * 1024, &too_long);
  if (line == NULL)
    {
      unanswered (self, id, "no-input", "standard input ended before an answer");
      return NULL;
    }
  parser = json_parser_new ();
  if (!too_long && json_parser_load_from_data (parser, line->str, (gssize) line->len, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    answer = json_node_get_object (json_parser_get_root (parser));
  wipe_string (line);
  if (answer == NULL || member_type (answer, "id") != G_TYPE_INT64
      || json_object_get_int_member (answer, "id") != (gint64) id)
    {
      unanswered (self, id, "invalid", "the line read is not a JSON object with this question's id");
      return NULL;
    }
  if (member_type (answer, "password") == G_TYPE_STRING)
    password = g_strdup (json_object_get_string_member (answer, "password"));
  else if (member_type (answer, "cancel") == G_TYPE_BOOLEAN && json_object_get_boolean_member (answer, "cancel"))
    unanswered (self, id, "cancelled", "the answer cancelled the question");
  else
    unanswered (self, id, "invalid", "the answer has no string password and no cancel");
  return password;
}

static void
mailsync_ui_json_class_init (MailsyncUiJsonClass *klass)
{
  MailsyncUiClass *ui_class = MAILSYNC_UI_CLASS (klass);

  ui_class->banner = mailsync_ui_json_banner;
  ui_class->event = mailsync_ui_json_event;
  ui_class->render = mailsync_ui_json_render;
  ui_class->sleeping = mailsync_ui_json_sleeping;
  ui_class->terminate = mailsync_ui_json_terminate;
  ui_class->ask_password = mailsync_ui_json_ask_password;
}

static void
mailsync_ui_json_init (MailsyncUiJson *self)
{
  mailsync_ui_set_output (MAILSYNC_UI (self), stdout);
}
