#pragma once

#include "mailsync-ui.h"

/* json-glib, reached through the table of mailsync-ui-lazy.h */
#include "mailsync-json-lazy.h"

G_BEGIN_DECLS

/* The version of the JSON Lines schema documented in mailsyncui(7): the
 * "schema" member of the first object ("hello") and of --info's document.
 * Adding a kind or an optional member keeps it; renaming, removing or
 * changing the type of a member raises it. */
#define MAILSYNC_UI_JSON_SCHEMA 1

#define MAILSYNC_TYPE_UI_JSON (mailsync_ui_json_get_type ())
G_DECLARE_FINAL_TYPE (MailsyncUiJson, mailsync_ui_json, MAILSYNC, UI_JSON, MailsyncUi)

/* Writes @object as one line of the UI's output, with one write(2) (see
 * mailsync-ui-json.c); used by --info too. */
void mailsync_ui_json_write_object (MailsyncUiJson *self, JsonNode *object);

/* Writes @document as the run's one output (--info -u json): the "end"
 * line is left out after it. */
void mailsync_ui_json_write_document (MailsyncUiJson *self, JsonNode *document);

/* Adds "domain", "code", "message" (and for the library's own errors
 * "scope" and "transient") of @error to the open object of @builder. */
void mailsync_ui_json_add_error (JsonBuilder *builder, const GError *error);

/* Adds @text as a member, valid UTF-8 whatever it was (a folder name from
 * a server, a file name). */
void mailsync_ui_json_add_string (JsonBuilder *builder, const char *name, const char *text);

G_END_DECLS
