#pragma once

/* What the base class shares with its own files (mailsync-ui-text.c,
 * mailsync-ui-events.c): the instance data and the helpers that build a
 * MailsyncUiLine.  Not for the UI subclasses: they only format lines. */

#include "mailsync-ui.h"

G_BEGIN_DECLS

typedef struct
{
  GRecMutex lock;
  MailsyncUiLevel level;
  GStrv debug_types;
  gboolean dry_run;
  FILE *out;
  GStrv accounts;
  GHashTable *account_started; /* account -> gint64 monotonic start */
  GHashTable *active_folders;  /* folder thread names that are registered */
  GPtrArray *errors;           /* texts of the errors, for the recap */
  gboolean validity_problem;
  guint skipped;               /* messages skipped (MAILSYNC_ERROR_SKIPPED warnings) */
  gboolean ignore_read_only;   /* [general] ignore-readonly */
  FILE *log_file;              /* -l */
  gboolean syslog;             /* -s */
} MailsyncUiPrivate;

#define MAIN_THREAD "MainThread"

/* the base class's instance data (G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE keeps
 * its own getter static to mailsync-ui.c) */
MailsyncUiPrivate *_mailsync_ui_get_private (MailsyncUi *self);

/* @text fit for a terminal, or %NULL when it already is (mailsync-ui-text.c) */
char *_mailsync_ui_printable_or_null (const char *text);

/* MailsyncUiClass.event of the base: an event in both vocabularies
 * (mailsync-ui-events.c) */
void _mailsync_ui_real_event (MailsyncUi *self, MailsyncSyncEvent *event);

static inline const char *
nonnull (const char *s)
{
  return s ? s : "";
}

static inline void
emit_line (MailsyncUi      *self,
           MailsyncUiLevel  level,
           MailsyncUiLevel  machine_level,
           const char      *thread,
           const char      *command,
           const char      *payload,
           const char      *text)
{
  MailsyncUiLine line = {
    .level = level,
    .machine_level = machine_level,
    .thread = thread ? thread : MAIN_THREAD,
    .command = command ? command : "",
    .payload = payload,
    .text = text,
  };
  mailsync_ui_render (self, &line);
}

/* The same text for everybody: offlineimap's generic info/warn/error. */
static inline void
emit_text (MailsyncUi *self, MailsyncUiLevel level, const char *thread, const char *text)
{
  emit_line (self, level, level, thread, "", text, text);
}

static inline void
record_error (MailsyncUi *self, const char *text)
{
  MailsyncUiPrivate *priv = _mailsync_ui_get_private (self);

  g_ptr_array_add (priv->errors, g_strdup (text));
}

G_END_DECLS
