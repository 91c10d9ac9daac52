#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include <gio/gio.h>
#include "mailsync-version-macros.h"

G_BEGIN_DECLS

/**
 * MailsyncInteractionResult:
 * @MAILSYNC_INTERACTION_UNHANDLED: the interaction did not answer (no
 *   user to ask, the user closed the dialog): the library goes on as if
 *   there were no interaction
 * @MAILSYNC_INTERACTION_HANDLED: the interaction answered
 * @MAILSYNC_INTERACTION_FAILED: asking failed, or was cancelled; the
 *   error says why
 *
 * What asking the user gave, as #GTlsInteractionResult.
 *
 * Since: 0.1
 */
typedef enum
{
  MAILSYNC_INTERACTION_UNHANDLED,
  MAILSYNC_INTERACTION_HANDLED,
  MAILSYNC_INTERACTION_FAILED,
} MailsyncInteractionResult;

/**
 * MAILSYNC_TYPE_INTERACTION_RESULT:
 *
 * The #GType of #MailsyncInteractionResult.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_INTERACTION_RESULT (mailsync_interaction_result_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
GType mailsync_interaction_result_get_type (void) G_GNUC_CONST;

/**
 * MAILSYNC_TYPE_INTERACTION:
 *
 * The #GType of #MailsyncInteraction, for g_object_new() and type checks.
 *
 * Since: 0.1
 */
#define MAILSYNC_TYPE_INTERACTION (mailsync_interaction_get_type ())
MAILSYNC_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (MailsyncInteraction, mailsync_interaction, MAILSYNC, INTERACTION, GObject)

/**
 * MailsyncInteractionClass:
 * @ask_password: ask for a password, blocking; the default returns
 *   %MAILSYNC_INTERACTION_UNHANDLED
 * @ask_password_async: ask for a password; the default calls
 *   @ask_password in place, on the caller's context
 * @ask_password_finish: finish @ask_password_async
 * @ask_oauth2_token: ask for an OAuth2 access token, blocking; the
 *   default returns %MAILSYNC_INTERACTION_UNHANDLED
 * @ask_oauth2_token_async: ask for a token; the default calls
 *   @ask_oauth2_token in place
 * @ask_oauth2_token_finish: finish @ask_oauth2_token_async
 * @accept_certificate: decide on a certificate that failed verification,
 *   blocking; the default returns %MAILSYNC_INTERACTION_UNHANDLED (the
 *   certificate is rejected)
 * @accept_certificate_async: decide on a certificate; the default calls
 *   @accept_certificate in place
 * @accept_certificate_finish: finish @accept_certificate_async
 *
 * Override the blocking methods for a simple client (a script, a
 * terminal), or the asynchronous ones for a client that shows a dialog
 * and returns to its main loop meanwhile. The library calls the
 * asynchronous ones, on the main context of the thread that started the
 * operation which needs the answer (mailsync_account_sync_async(),
 * mailsync_repository_open_async()...), never on a library thread.
 *
 * Since: 0.1
 */
struct _MailsyncInteractionClass
{
  GObjectClass parent_class;

  MailsyncInteractionResult (*ask_password)              (MailsyncInteraction   *self,
                                                          const char            *repository,
                                                          const char            *user,
                                                          const char            *host,
                                                          const GError          *previous_error,
                                                          GCancellable          *cancellable,
                                                          char                 **password,
                                                          GError               **error);
  void                      (*ask_password_async)        (MailsyncInteraction   *self,
                                                          const char            *repository,
                                                          const char            *user,
                                                          const char            *host,
                                                          const GError          *previous_error,
                                                          GCancellable          *cancellable,
                                                          GAsyncReadyCallback    callback,
                                                          gpointer               user_data);
  MailsyncInteractionResult (*ask_password_finish)       (MailsyncInteraction   *self,
                                                          GAsyncResult          *result,
                                                          char                 **password,
                                                          GError               **error);

  MailsyncInteractionResult (*ask_oauth2_token)          (MailsyncInteraction   *self,
                                                          const char            *repository,
                                                          const char            *user,
                                                          const char            *host,
                                                          const GError          *previous_error,
                                                          GCancellable          *cancellable,
                                                          char                 **token,
                                                          GError               **error);
  void                      (*ask_oauth2_token_async)    (MailsyncInteraction   *self,
                                                          const char            *repository,
                                                          const char            *user,
                                                          const char            *host,
                                                          const GError          *previous_error,
                                                          GCancellable          *cancellable,
                                                          GAsyncReadyCallback    callback,
                                                          gpointer               user_data);
  MailsyncInteractionResult (*ask_oauth2_token_finish)   (MailsyncInteraction   *self,
                                                          GAsyncResult          *result,
                                                          char                 **token,
                                                          GError               **error);

  MailsyncInteractionResult (*accept_certificate)        (MailsyncInteraction   *self,
                                                          const char            *repository,
                                                          const char            *host,
                                                          const char            *certificate_pem,
                                                          GTlsCertificateFlags   errors,
                                                          GCancellable          *cancellable,
                                                          gboolean              *accept,
                                                          GError               **error);
  void                      (*accept_certificate_async)  (MailsyncInteraction   *self,
                                                          const char            *repository,
                                                          const char            *host,
                                                          const char            *certificate_pem,
                                                          GTlsCertificateFlags   errors,
                                                          GCancellable          *cancellable,
                                                          GAsyncReadyCallback    callback,
                                                          gpointer               user_data);
  MailsyncInteractionResult (*accept_certificate_finish) (MailsyncInteraction   *self,
                                                          GAsyncResult          *result,
                                                          gboolean              *accept,
                                                          GError               **error);

  /*< private >*/
  gpointer padding[8];
};

MAILSYNC_AVAILABLE_IN_ALL
MailsyncInteraction      *mailsync_interaction_new                       (void);

MAILSYNC_AVAILABLE_IN_ALL
void                      mailsync_interaction_ask_password_async        (MailsyncInteraction   *self,
                                                                          const char            *repository,
                                                                          const char            *user,
                                                                          const char            *host,
                                                                          const GError          *previous_error,
                                                                          GCancellable          *cancellable,
                                                                          GAsyncReadyCallback    callback,
                                                                          gpointer               user_data);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncInteractionResult mailsync_interaction_ask_password_finish       (MailsyncInteraction   *self,
                                                                          GAsyncResult          *result,
                                                                          char                 **password,
                                                                          GError               **error);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncInteractionResult mailsync_interaction_ask_password              (MailsyncInteraction   *self,
                                                                          const char            *repository,
                                                                          const char            *user,
                                                                          const char            *host,
                                                                          const GError          *previous_error,
                                                                          GCancellable          *cancellable,
                                                                          char                 **password,
                                                                          GError               **error);

MAILSYNC_AVAILABLE_IN_ALL
void                      mailsync_interaction_ask_oauth2_token_async    (MailsyncInteraction   *self,
                                                                          const char            *repository,
                                                                          const char            *user,
                                                                          const char            *host,
                                                                          const GError          *previous_error,
                                                                          GCancellable          *cancellable,
                                                                          GAsyncReadyCallback    callback,
                                                                          gpointer               user_data);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncInteractionResult mailsync_interaction_ask_oauth2_token_finish   (MailsyncInteraction   *self,
                                                                          GAsyncResult          *result,
                                                                          char                 **token,
                                                                          GError               **error);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncInteractionResult mailsync_interaction_ask_oauth2_token          (MailsyncInteraction   *self,
                                                                          const char            *repository,
                                                                          const char            *user,
                                                                          const char            *host,
                                                                          const GError          *previous_error,
                                                                          GCancellable          *cancellable,
                                                                          char                 **token,
                                                                          GError               **error);

MAILSYNC_AVAILABLE_IN_ALL
void                      mailsync_interaction_accept_certificate_async  (MailsyncInteraction   *self,
                                                                          const char            *repository,
                                                                          const char            *host,
                                                                          const char            *certificate_pem,
                                                                          GTlsCertificateFlags   errors,
                                                                          GCancellable          *cancellable,
                                                                          GAsyncReadyCallback    callback,
                                                                          gpointer               user_data);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncInteractionResult mailsync_interaction_accept_certificate_finish (MailsyncInteraction   *self,
                                                                          GAsyncResult          *result,
                                                                          gboolean              *accept,
                                                                          GError               **error);
MAILSYNC_AVAILABLE_IN_ALL
MailsyncInteractionResult mailsync_interaction_accept_certificate        (MailsyncInteraction   *self,
                                                                          const char            *repository,
                                                                          const char            *host,
                                                                          const char            *certificate_pem,
                                                                          GTlsCertificateFlags   errors,
                                                                          GCancellable          *cancellable,
                                                                          gboolean              *accept,
                                                                          GError               **error);

G_END_DECLS
