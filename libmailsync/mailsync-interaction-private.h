/* Asking a MailsyncInteraction from a library thread (internal).
 *
 * A backend job runs on a library-owned context (mailsync-worker.h). The
 * question must reach the client on the client's own context, and the job
 * must wait for the answer on its own context, never iterating the
 * client's: these helpers attach the question to @client_context (an
 * idle source there calls the interaction's _async method), and iterate
 * the calling thread's (library-owned) context until the answer arrives
 * or @cancellable is cancelled. A question abandoned by cancellation is
 * still answered on the client's side; the answer is dropped. */
#pragma once

#include "mailsync-interaction.h"
#include "mailsync-repository.h"

G_BEGIN_DECLS

/* The context of the client of the account sync the calling thread works
 * for (mailsync-worker.h: set per run, on its threads and carried to
 * their jobs), NULL outside a sync: the engine's own thread and context
 * are the library's, never the place to ask. */
GMainContext *_mailsync_repository_dup_interaction_context (MailsyncRepository *self);

MailsyncInteractionResult _mailsync_interaction_invoke_ask_password     (MailsyncInteraction   *self,
                                                                        GMainContext          *client_context,
                                                                        const char            *repository,
                                                                        const char            *user,
                                                                        const char            *host,
                                                                        const GError          *previous_error,
                                                                        GCancellable          *cancellable,
                                                                        char                 **password,
                                                                        GError               **error);
MailsyncInteractionResult _mailsync_interaction_invoke_ask_oauth2_token (MailsyncInteraction   *self,
                                                                        GMainContext          *client_context,
                                                                        const char            *repository,
                                                                        const char            *user,
                                                                        const char            *host,
                                                                        const GError          *previous_error,
                                                                        GCancellable          *cancellable,
                                                                        char                 **token,
                                                                        GError               **error);
MailsyncInteractionResult _mailsync_interaction_invoke_accept_certificate (MailsyncInteraction  *self,
                                                                          GMainContext         *client_context,
                                                                          const char           *repository,
                                                                          const char           *host,
                                                                          const char           *certificate_pem,
                                                                          GTlsCertificateFlags  errors,
                                                                          GCancellable         *cancellable,
                                                                          gboolean             *accept,
                                                                          GError              **error);

G_END_DECLS
