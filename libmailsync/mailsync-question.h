#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include <gio/gio.h>
#include "mailsync-version-macros.h"

G_BEGIN_DECLS

/**
 * MailsyncQuestionKind:
 * @MAILSYNC_QUESTION_PASSWORD: a password, the first time
 * @MAILSYNC_QUESTION_NEW_PASSWORD: a new password: the server refused the
 *   last one (mailsync_question_get_previous_error() says why)
 * @MAILSYNC_QUESTION_OAUTH2_TOKEN: an OAuth2 access token (the client runs
 *   its own authorization flow)
 * @MAILSYNC_QUESTION_CERTIFICATE: whether to trust a server certificate
 *   that failed verification
 *
 * What a #MailsyncQuestion asks.
 *
 * Since: 0.1
 */
typedef enum
{
  MAILSYNC_QUESTION_PASSWORD,
  MAILSYNC_QUESTION_NEW_PASSWORD,
  MAILSYNC_QUESTION_OAUTH2_TOKEN,
  MAILSYNC_QUESTION_CERTIFICATE,
} MailsyncQuestionKind;

/**
 * MAILSYNC_TYPE_QUESTION_KIND:
 *
 * The #GType of #MailsyncQuestionKind.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_QUESTION_KIND (mailsync_question_kind_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
GType mailsync_question_kind_get_type (void) G_GNUC_CONST;

/**
 * MAILSYNC_TYPE_QUESTION:
 *
 * The #GType of #MailsyncQuestion.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_QUESTION (mailsync_question_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MailsyncQuestion, mailsync_question, MAILSYNC, QUESTION, GObject)

MAILSYNC_AVAILABLE_IN_ALL
MailsyncQuestionKind  mailsync_question_get_kind               (MailsyncQuestion *self);
MAILSYNC_AVAILABLE_IN_ALL
const char           *mailsync_question_get_repository         (MailsyncQuestion *self);
MAILSYNC_AVAILABLE_IN_ALL
const char           *mailsync_question_get_user               (MailsyncQuestion *self);
MAILSYNC_AVAILABLE_IN_ALL
const char           *mailsync_question_get_host               (MailsyncQuestion *self);
MAILSYNC_AVAILABLE_IN_ALL
const GError         *mailsync_question_get_previous_error     (MailsyncQuestion *self);
MAILSYNC_AVAILABLE_IN_ALL
const char           *mailsync_question_get_certificate_pem    (MailsyncQuestion *self);
MAILSYNC_AVAILABLE_IN_ALL
GTlsCertificate      *mailsync_question_get_certificate        (MailsyncQuestion *self);
MAILSYNC_AVAILABLE_IN_ALL
GTlsCertificateFlags  mailsync_question_get_certificate_errors (MailsyncQuestion *self);
MAILSYNC_AVAILABLE_IN_ALL
GCancellable         *mailsync_question_get_cancellable        (MailsyncQuestion *self);
MAILSYNC_AVAILABLE_IN_ALL
gboolean              mailsync_question_is_answered            (MailsyncQuestion *self);

MAILSYNC_AVAILABLE_IN_ALL
gboolean              mailsync_question_answer_password        (MailsyncQuestion *self,
                                                                const char       *password);
MAILSYNC_AVAILABLE_IN_ALL
gboolean              mailsync_question_answer_token           (MailsyncQuestion *self,
                                                                const char       *token);
MAILSYNC_AVAILABLE_IN_ALL
gboolean              mailsync_question_accept                 (MailsyncQuestion *self);
MAILSYNC_AVAILABLE_IN_ALL
gboolean              mailsync_question_reject                 (MailsyncQuestion *self);
MAILSYNC_AVAILABLE_IN_ALL
gboolean              mailsync_question_decline                (MailsyncQuestion *self);
MAILSYNC_AVAILABLE_IN_ALL
gboolean              mailsync_question_cancel                 (MailsyncQuestion *self);

G_END_DECLS
