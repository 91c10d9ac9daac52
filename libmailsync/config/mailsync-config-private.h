#pragma once

/* The config subsystem's private header: what the library's other parts
 * may call (synclabels, folder filter), and what the
 * mailsync-config-*.c files share among themselves (the MailsyncConfig
 * instance, the typed reads and messages, the Python closures, the
 * repository context). Nothing here is installed. */

#include "config/mailsync-config.h"
#include "config/mailsync-oauth2-private.h"
#include "config/mailsync-python-private.h"
#include "credentials/mailsync-credentials-private.h"
#include "mailsync-error.h"
#include "mailsync-interaction.h"

G_BEGIN_DECLS

/* Sets @repo's folder filter to @func, except that a folder named in
 * @includes (offlineimap's `folderincludes`; may be %NULL) is always
 * synced. @func may be %NULL (no filter); @destroy frees @data. */
/* synclabels = yes: sets the label pass up (labelsheader @header,
 * ignorelabels @ignorelabels as written) when @remote is of type Gmail and
 * @local of type GmailMaildir; FALSE (nothing set) otherwise. */
gboolean _mailsync_config_apply_synclabels (MailsyncRepository *remote,
                                            MailsyncRepository *local,
                                            const char         *header,
                                            const char         *ignorelabels);

/* mailsync-config-tunnel.c: what a tunnel's command line shows (read,
 * never run), and TLS with a tunnel (doc/design.md "Tunnels and TLS") */
typedef struct
{
  gboolean tls_port;      /* a port position (nc's PORT, ssh -W's, socat's...) names 993 or imaps */
  gboolean tls_inside;    /* a stage makes TLS itself: openssl s_client, gnutls-cli, socat OPENSSL:, ncat --ssl */
  gboolean tls_unchecked; /* ...and checks no certificate (s_client without -verify_return_error...) */
  gboolean endpoint;      /* a stage is one the reader knows to carry the IMAP stream (a relay, an IMAP server) */
  gboolean unknown;       /* a stage runs a program the reader does not know (a script, an ssh alias) */
  char    *relay_host;    /* a stage relays in clear to this host, not a loopback one (nc, socat, ssh -W...):
                           * an IP address or a hostname, or "another host" (never other words of the command) */
} MailsyncConfigTunnel;

void     _mailsync_config_tunnel_read     (const char           *command,
                                           MailsyncConfigTunnel *tunnel);
void     _mailsync_config_tunnel_clear    (MailsyncConfigTunnel *tunnel);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MailsyncConfigTunnel, _mailsync_config_tunnel_clear)
gboolean _mailsync_config_tunnel_security (MailsyncConfig       *self,
                                           const char           *section,
                                           const char           *key,
                                           const char           *command,
                                           gboolean              port_993,
                                           gboolean             *ssl,
                                           gboolean             *starttls,
                                           GError              **error);

void _mailsync_config_set_folder_filter (MailsyncRepository       *repo,
                                         const char * const       *includes,
                                         MailsyncFolderFilterFunc  func,
                                         gpointer                  data,
                                         GDestroyNotify            destroy);

/* ---- shared by the mailsync-config-*.c files ---------------------------- */

/* The embedded Python, shared by every closure made from a config (the
 * accounts may outlive the MailsyncConfig): an atomic rc box. */
typedef struct
{
  MailsyncPython *py;
} PythonRef;

void _mailsync_config_python_ref_clear (gpointer data);

/* mailsync-config-asker.c: the password function and its closure,
 * shared by the config and the askers made with it */
typedef struct _MailsyncPasswordBox MailsyncPasswordBox;
MailsyncPasswordBox *_mailsync_password_box_new   (MailsyncPasswordFunc func,
                                                   gpointer             data,
                                                   GDestroyNotify       destroy);
void                 _mailsync_password_box_unref (MailsyncPasswordBox *box);

struct _MailsyncConfig
{
  GObject              parent_instance;

  MailsyncConfigFile  *file;
  GPtrArray           *warnings;       /* char*, in order, each once */
  GHashTable          *warned;         /* the same strings */
  PythonRef           *python;         /* atomic rc box, created on first use */

  /* mailsync_config_set_password_func(), held by the askers made with
   * it (mailsync-config-asker.c); NULL when none is set */
  MailsyncPasswordBox *password_box;
  GHashTable          *askers;         /* "ACCOUNT\x1fREPOSITORY" -> its asker */
  GMutex               askers_lock;    /* password_box and askers */
};

/* Where an option may be written (mailsync-config-schema.c) */
typedef enum
{
  SCOPE_GENERAL    = 1 << 0,
  SCOPE_MBNAMES    = 1 << 1,
  SCOPE_ACCOUNT    = 1 << 2,
  SCOPE_REPOSITORY = 1 << 3,   /* every repository type */
  SCOPE_MAILDIR    = 1 << 4,
  SCOPE_IMAP       = 1 << 5,
  SCOPE_GMAIL      = 1 << 6,   /* type = Gmail only */
} Scope;

/* mailsync-config-schema.c */
gboolean _mailsync_config_is_custom_flag (const char *key);
gboolean _mailsync_config_check_section  (MailsyncConfig *self,
                                          const char     *section,
                                          guint           scopes,
                                          const char     *what,
                                          GError        **error);
gboolean _mailsync_config_refuse_if_set  (MailsyncConfig *self,
                                          const char     *section,
                                          const char     *key,
                                          const char     *why,
                                          GError        **error);
gboolean _mailsync_config_refuse_if_true (MailsyncConfig *self,
                                          const char     *section,
                                          const char     *key,
                                          const char     *why,
                                          GError        **error);

/* mailsync-config-values.c: messages ("FILE:LINE: option 'K' in section
 * 'S': ...") and typed reads */
char    *_mailsync_config_where         (MailsyncConfig *self,
                                         const char     *section,
                                         const char     *key);
gboolean _mailsync_config_error         (MailsyncConfig *self,
                                         const char     *section,
                                         const char     *key,
                                         MailsyncError   code,
                                         GError        **error,
                                         const char     *format,
                                         ...) G_GNUC_PRINTF (6, 7);
void     _mailsync_config_warn          (MailsyncConfig *self,
                                         const char     *section,
                                         const char     *key,
                                         const char     *format,
                                         ...) G_GNUC_PRINTF (4, 5);
gboolean _mailsync_config_has           (MailsyncConfig *self,
                                         const char     *section,
                                         const char     *key);
char    *_mailsync_config_get_str       (MailsyncConfig *self,
                                         const char     *section,
                                         const char     *key,
                                         GError        **error);
gboolean _mailsync_config_get_bool      (MailsyncConfig *self,
                                         const char     *section,
                                         const char     *key,
                                         gboolean        default_value,
                                         gboolean       *value,
                                         GError        **error);
gboolean _mailsync_config_get_int       (MailsyncConfig *self,
                                         const char     *section,
                                         const char     *key,
                                         gint64          default_value,
                                         gint64          min,
                                         gint64          max,
                                         gint64         *value,
                                         GError        **error);
char    *_mailsync_config_expand_path   (const char     *path,
                                         gboolean        vars);
char    *_mailsync_config_get_path      (MailsyncConfig *self,
                                         const char     *section,
                                         const char     *key,
                                         gboolean        vars,
                                         GError        **error);
gboolean _mailsync_config_check_one_of  (MailsyncConfig     *self,
                                         const char         *section,
                                         const char         *key,
                                         const char *const  *allowed,
                                         char              **value,
                                         GError            **error);
gboolean _mailsync_config_get_dynamic   (MailsyncConfig *self,
                                         const char     *section,
                                         const char     *base,
                                         const char     *eval_suffix,
                                         const char     *cmd_suffix,
                                         gboolean        secret,
                                         char          **value,
                                         GError        **error);

/* mailsync-python-literal.c: the library's one Python-literal parser.
 * NULL when @text is not (exactly) a string literal / a list or tuple of
 * string literals that it decodes as Python would. */
char    *_mailsync_python_literal_string (const char *text);
char   **_mailsync_python_literal_list   (const char *text);

/* mailsync-config-python.c */
typedef struct _PythonClosure PythonClosure;

struct _PythonClosure
{
  PythonRef          *python;
  MailsyncPythonFunc *func;
  char               *where;
  MailsyncRepository *repo;     /* unowned: the repository owns the closure */
};

MailsyncPython *_mailsync_config_get_python          (MailsyncConfig *self,
                                                      const char     *section,
                                                      const char     *key,
                                                      const char     *declarative,
                                                      GError        **error);
char           *_mailsync_config_python_where        (MailsyncConfig *self,
                                                      const char     *section,
                                                      const char     *key);
void            _mailsync_config_python_refused      (MailsyncConfig *self,
                                                      const char     *section,
                                                      const char     *key,
                                                      const char     *declarative,
                                                      GError        **error,
                                                      GError         *local_error);
char           *_mailsync_config_eval_string_option  (MailsyncConfig *self,
                                                      const char     *section,
                                                      const char     *key,
                                                      const char     *declarative,
                                                      gboolean        secret,
                                                      GError        **error);
PythonClosure  *_mailsync_config_python_closure_new  (MailsyncConfig *self,
                                                      const char     *section,
                                                      const char     *key,
                                                      const char     *declarative,
                                                      GError        **error);
void            _mailsync_config_python_closure_free (PythonClosure  *closure);

/* mailsync-config-names.c */
gboolean _mailsync_config_apply_names (MailsyncConfig     *self,
                                       const char         *section,
                                       MailsyncRepository *repo,
                                       char              **includes,
                                       GError            **error);

/* mailsync-config-repository.c: one [Repository NAME] being built */
typedef struct
{
  MailsyncConfig *self;
  const char     *account;        /* account name */
  const char     *account_section;
  char           *section;        /* "Repository NAME" */
  const char     *name;
  gboolean        gmail;          /* type = Gmail: offlineimap's defaults */
  gboolean        decode_names;   /* decodefoldernames (IMAP types) */
} RepoContext;

MailsyncRepository *_mailsync_config_build_repository (MailsyncConfig *self,
                                                       const char     *account,
                                                       const char     *account_section,
                                                       const char     *key,
                                                       const char     *metadata,
                                                       GCancellable   *cancellable,
                                                       GError        **error);

/* mailsync-config-credentials.c (SecretString: credentials/) */
gboolean _mailsync_config_find_password              (RepoContext   *ctx,
                                                      const char    *host,
                                                      char         **user,
                                                      char         **password,
                                                      char         **missing,
                                                      const char   **source,
                                                      gboolean      *store_after_login,
                                                      GCancellable  *cancellable,
                                                      GError       **error);
/* mailsync-config-asker.c: the interaction through which the IMAP
 * repository of @ctx asks the password function when it connects without
 * a password (NULL when none is set); @declined: its error when the
 * function gives nothing. */
MailsyncInteraction *_mailsync_config_dup_asker       (RepoContext   *ctx,
                                                      const char    *declined);
/* mailsync-config-asker.c: a MailsyncImapAskerSync: a repository of
 * @asker takes its answer when it changed since *@generation; @refused
 * (may be NULL): the password the server refused it, forgotten if it is
 * the kept answer (the next repository calls the function again);
 * @accepted (may be NULL): the password of its login the server just
 * accepted, kept for the account's other repositories unless the answer
 * changed since *@generation; @held (may be NULL): the accepted password
 * the repository holds, kept over a NULL answer unless refused since. */
gboolean _mailsync_config_asker_sync                 (MailsyncInteraction *asker,
                                                      const char          *refused,
                                                      const char          *accepted,
                                                      const char          *held,
                                                      guint               *generation,
                                                      char               **secret);
gboolean _mailsync_config_build_oauth2               (RepoContext     *ctx,
                                                      gint64           socktimeout,
                                                      MailsyncOAuth2 **oauth2,
                                                      GError         **error);

G_END_DECLS
