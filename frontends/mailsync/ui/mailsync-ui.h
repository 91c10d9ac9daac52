#pragma once

#include <libmailsync/mailsync.h>
#include <stdio.h>

G_BEGIN_DECLS

/* A user interface of the mailsync command: a renderer of the library's
 * MailsyncSyncEvent stream plus the few things only the frontend knows
 * (banner, hooks, sleeping, signals, the final exit).  No UI holds sync
 * logic.  Thread names follow offlineimap's ("MainThread",
 * "Account sync ACC", "Folder NAME [acc: ACC]") because machineui prints
 * them and scripts parse them.
 *
 * Subclasses: quiet, basic, syslog, ttyui, blinkenlights, machineui, and
 * json (the events as JSON Lines).
 * Every vfunc may be called from any thread; implementations serialise
 * their output. */

#define MAILSYNC_TYPE_UI (mailsync_ui_get_type ())
G_DECLARE_DERIVABLE_TYPE (MailsyncUi, mailsync_ui, MAILSYNC, UI, GObject)

typedef enum {
  MAILSYNC_UI_LEVEL_DEBUG,
  MAILSYNC_UI_LEVEL_INFO,
  MAILSYNC_UI_LEVEL_WARNING,
  MAILSYNC_UI_LEVEL_ERROR,
} MailsyncUiLevel;

/**
 * MailsyncUiLine:
 * @level: severity for the human UIs
 * @machine_level: severity for machineui (some messages offlineimap logs at
 *   DEBUG are INFO there: loadmessagelist, syncingmessages)
 * @thread: offlineimap's thread name, never %NULL
 * @command: machineui's command, "" for generic text
 * @payload: (nullable): machineui's payload before encoding (fields joined
 *   by "\n"); %NULL when machineui prints nothing for this line
 * @text: (nullable): offlineimap's human text; %NULL when the human UIs
 *   print nothing (registerthread, threadExited...)
 *
 * One message in both of offlineimap's vocabularies, built by the base
 * class from an event or a frontend message.
 */
typedef struct {
  MailsyncUiLevel level;
  MailsyncUiLevel machine_level;
  const char *thread;
  const char *command;
  const char *payload;
  const char *text;
} MailsyncUiLine;

struct _MailsyncUiClass
{
  GObjectClass parent_class;

  /* the banner, once, before anything else */
  void   (*banner)        (MailsyncUi *self);
  /* one library event (connect it to MailsyncAccount::event) */
  void   (*event)         (MailsyncUi *self, MailsyncSyncEvent *event);
  /* a frontend message: @thread nullable = "MainThread"; @command is
   * machineui's command ("" for generic text), others print @text */
  void   (*message)       (MailsyncUi *self, MailsyncUiLevel level, const char *thread,
                           const char *command, const char *text);
  /* autorefresh sleep: @remaining seconds; returns early when the UI
   * wants a sync now (blinkenlights hotkey) -> TRUE */
  void   (*sleeping)      (MailsyncUi *self, const char *account, guint slice, guint remaining);
  /* ask for a password; NULL when this UI cannot ask */
  char  *(*ask_password)  (MailsyncUi *self, const char *account, const char *user);
  /* the run ends with @status; @title/@text describe the last error */
  void   (*terminate)     (MailsyncUi *self, int status, const char *title, const char *text);
  /* one rendered line (see MailsyncUiLine); every message and event ends
   * here, already translated, so most subclasses only implement this */
  void   (*render)        (MailsyncUi *self, const MailsyncUiLine *line);
  /* render() reads the payload of every line (machineui): the base
   * formats the per-message lines' payloads only for such a class */
  gboolean reads_payloads;
};

MailsyncUi *mailsync_ui_new_by_name   (const char *name, GError **error);
const char *mailsync_ui_get_name      (MailsyncUi *self);
void        mailsync_ui_set_level     (MailsyncUi *self, MailsyncUiLevel level);
void        mailsync_ui_set_debug_types (MailsyncUi *self, const char * const *types);
void        mailsync_ui_banner        (MailsyncUi *self);
void        mailsync_ui_event         (MailsyncUi *self, MailsyncSyncEvent *event);
void        mailsync_ui_message       (MailsyncUi *self, MailsyncUiLevel level, const char *thread,
                                       const char *command, const char *text);
void        mailsync_ui_info          (MailsyncUi *self, const char *thread, const char *format, ...) G_GNUC_PRINTF (3, 4);
void        mailsync_ui_warn          (MailsyncUi *self, const char *thread, const char *format, ...) G_GNUC_PRINTF (3, 4);
void        mailsync_ui_error         (MailsyncUi *self, const char *thread, const char *format, ...) G_GNUC_PRINTF (3, 4);
void        mailsync_ui_sleeping      (MailsyncUi *self, const char *account, guint slice, guint remaining);
char       *mailsync_ui_ask_password  (MailsyncUi *self, const char *account, const char *user);
void        mailsync_ui_terminate     (MailsyncUi *self, int status, const char *title, const char *text);
/* errors and validity problems seen so far (for the exit status and the
 * end-of-run "ERROR: Exceptions occurred during the run!" recap) */
guint       mailsync_ui_get_error_count    (MailsyncUi *self);
guint       mailsync_ui_get_skipped_count  (MailsyncUi *self);
gboolean    mailsync_ui_had_validity_problem (MailsyncUi *self);
/* blinkenlights: the user pressed a digit (returns the account's index
 * in mailsync_ui_set_accounts() order: key 1 -> 0) or q
 * (MAILSYNC_UI_REQUEST_QUIT); MAILSYNC_UI_REQUEST_NONE otherwise and for
 * every other UI.  Call it from the main thread every few 100 ms: it also
 * handles terminal resizes. */
int         mailsync_ui_poll_request  (MailsyncUi *self);

/* Added by the UI implementation (issue 4). */
#define MAILSYNC_UI_REQUEST_NONE (-1)
#define MAILSYNC_UI_REQUEST_QUIT (-2)
#define MAILSYNC_UI_NAMES "ttyui, basic, quiet, syslog, machineui, blinkenlights, json"
MailsyncUiLevel mailsync_ui_get_level (MailsyncUi *self);
gboolean    mailsync_ui_wants         (MailsyncUi *self, MailsyncUiLevel level);
void        mailsync_ui_set_dry_run   (MailsyncUi *self, gboolean dry_run);
/* [general] ignore-readonly: no warnings about read-only folders */
void        mailsync_ui_set_ignore_read_only (MailsyncUi *self, gboolean ignore);
/* where the text goes (default stdout or stderr by UI); tests pass a
 * memory stream; not owned */
void        mailsync_ui_set_output    (MailsyncUi *self, FILE *stream);
FILE       *mailsync_ui_get_output    (MailsyncUi *self);
/* the accounts in display order, for blinkenlights' rows and hotkeys */
void        mailsync_ui_set_accounts  (MailsyncUi *self, const char * const *accounts);
const char * const *mailsync_ui_get_accounts (MailsyncUi *self);
void        mailsync_ui_render        (MailsyncUi *self, const MailsyncUiLine *line);
/* @text with terminal controls escaped (a folder name from a server) */
char       *mailsync_ui_printable     (const char *text);
/* -l FILE: every shown line also appended to @path, offlineimap's
 * "YYYY-MM-DD HH:MM:SS LEVEL: text" format */
gboolean    mailsync_ui_set_log_file  (MailsyncUi *self, const char *path, GError **error);
/* -s: every shown line also sent to syslog (the syslog UI ignores it) */
void        mailsync_ui_set_syslog    (MailsyncUi *self, gboolean enabled);
/* offlineimap's thread names */
char       *mailsync_ui_account_thread (const char *account);
char       *mailsync_ui_folder_thread  (const char *folder, const char *account);
/* Python's urllib.parse.quote_plus over UTF-8 bytes */
char       *mailsync_ui_quote_plus    (const char *text);
/* offlineimap's collapsed UID sequence ("7:9,12") */
char       *mailsync_ui_uid_sequence  (const guint32 *uids, guint n_uids);
/* for the subclasses: syslog's priority for a level */
int         _mailsync_ui_level_priority (MailsyncUiLevel level);
/* the mailsync banner: offlineimap's two lines, with mailsync's name */
const char *mailsync_ui_banner_text   (void);

G_END_DECLS
