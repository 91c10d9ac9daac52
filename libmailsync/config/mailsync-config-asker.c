/* The config's password function (mailsync_config_set_password_func())
 * as the MailsyncInteraction an IMAP repository asks when it connects
 * without a password: offlineimap asks at connect time, after the
 * "Processing account" and "Establishing connection" lines, never for an
 * account that does not connect (a dry run that stops before, --info
 * without a server, a run that is interrupted first). Asked on the
 * client's context, as every question of the library (doc/design.md
 * "Asking the user"), so the function never runs on a library thread.
 *
 * One asker per account and repository of a config: its answer is kept
 * for the process, so the repositories built again for the same account
 * (the IDLE accounts of the mailsync command, a client that builds its
 * account for each sync) do not ask again, until the server refuses it.
 * offlineimap's IMAPServer does the same with its password and
 * passworderror: kept while nothing says it is wrong (a connection that
 * fails before the login asks nothing new), asked again after a refusal,
 * and the one of an accepted login kept (goodpassword).
 *
 * Why not keep it only once the server accepted it: the function is a
 * client's prompt; a server that cannot be reached says nothing of the
 * password, and the user would be asked again for every account built
 * while it is down. What must never happen is the refused one sent
 * again: the repository forgets it and tells the asker at once
 * (_mailsync_config_asker_sync(), before any other login), so every
 * account built after asks the function again (the client's chance to
 * give another), and a repository whose own interaction gave the
 * password that logged in leaves that one here for the next accounts
 * (told at that login, through the same call). Repositories of the same
 * account that connect at the same time, before the first login is
 * answered, may each send the same answer once, as offlineimap's
 * connections do.
 *
 * The repositories already built keep a copy (the command's IDLE
 * accounts hold theirs across syncs): a generation counts the changes of
 * the answer, and each repository takes the answer again at connect when
 * it moved since it last took it, so that after a password change one
 * repository's new accepted password serves the others, which neither
 * send the old one nor ask (review22 M3). For the same reason a refusal
 * forgets the answer only when the refused password is the one kept: a
 * repository refused an old password (it connected before the new one
 * came) must not drop the new one; it gets the new one instead. And an
 * accepted login's password is kept only if the repository's copy is
 * still current: a login answered after a password change (its copy
 * older than the new one another login left) must not put the old one
 * back (review23 H1: the "opened" that told it before came at every open,
 * also one that found a held connection still open, logged in hours
 * before with the password since refused).
 *
 * A function that gives nothing ends the login with the config's
 * one-line error (which options give a password), the error
 * create_account gave before session 20. */
#include "config.h"

#include "config/mailsync-config-private.h"
#include "backends/imap/mailsync-imap-private.h"
#include "mailsync-error.h"

#include <string.h>

struct _MailsyncPasswordBox
{
  MailsyncPasswordFunc func;
  gpointer             data;
  GDestroyNotify       destroy;
};

static void
password_box_clear (gpointer data)
{
  MailsyncPasswordBox *box = data;

  if (box->destroy != NULL)
    box->destroy (box->data);
}

MailsyncPasswordBox *
_mailsync_password_box_new (MailsyncPasswordFunc func, gpointer data, GDestroyNotify destroy)
{
  MailsyncPasswordBox *box = g_atomic_rc_box_new0 (MailsyncPasswordBox);

  box->func = func;
  box->data = data;
  box->destroy = destroy;
  return box;
}

void
_mailsync_password_box_unref (MailsyncPasswordBox *box)
{
  g_atomic_rc_box_release_full (box, password_box_clear);
}

#define MAILSYNC_TYPE_CONFIG_ASKER (mailsync_config_asker_get_type ())
G_DECLARE_FINAL_TYPE (MailsyncConfigAsker, mailsync_config_asker, MAILSYNC, CONFIG_ASKER, MailsyncInteraction)

struct _MailsyncConfigAsker
{
  MailsyncInteraction parent_instance;

  MailsyncPasswordBox *box;   /* the function set when the account was built */
  char *account;
  char *declined;             /* the error when the function gives nothing */
  GMutex lock;                /* answer: asked from the threads of the accounts' syncs */
  char *answer;               /* the function's answer or an accepted password, kept
                               * until the server refuses it */
  guint generation;           /* counts the changes of answer */
  GPtrArray *refused;         /* the passwords refused to a repository of the asker
                               * that no login accepted since, cleared when freed */
};

G_DEFINE_FINAL_TYPE (MailsyncConfigAsker, mailsync_config_asker, MAILSYNC_TYPE_INTERACTION)

static gboolean
refused_equal (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (a, b) == 0;
}

/* @password given again (the function's answer, a login's accepted one):
 * no longer one a repository must not keep. Under self->lock. */
static void
asker_unrefuse_locked (MailsyncConfigAsker *self, const char *password)
{
  guint index;

  if (g_ptr_array_find_with_equal_func (self->refused, password, refused_equal, &index))
    g_ptr_array_remove_index_fast (self->refused, index);
}

/* Replaces the kept answer with @answer (taken; may be NULL). Under
 * self->lock. */
static void
asker_keep_locked (MailsyncConfigAsker *self, char *answer)
{
  char *old = self->answer;

  if (g_strcmp0 (old, answer) != 0)
    self->generation++;
  self->answer = answer;
  _mailsync_credentials_free_secret (old);
  if (answer != NULL)
    asker_unrefuse_locked (self, answer);
}

/* Blocking, on the client's context (the base class's default async
 * method calls it in place there). A token is asked the same way: before
 * session 20 the function's answer was the password, which is the token
 * when auth_mechanisms lists only XOAUTH2 or OAUTHBEARER. */
static MailsyncInteractionResult
asker_ask (MailsyncInteraction *interaction, const char *repository, const char *user, const char *host,
           const GError *previous_error, GCancellable *cancellable, char **secret, GError **error)
{
  MailsyncConfigAsker *self = MAILSYNC_CONFIG_ASKER (interaction);
  char *answer;

  /* Told of a refusal: the kept answer is not given again; another
   * password is the repository's interaction's to ask. (The repository
   * tells which one was refused through _mailsync_config_asker_sync().) */
  if (previous_error != NULL)
    return MAILSYNC_INTERACTION_UNHANDLED;
  g_mutex_lock (&self->lock);
  *secret = g_strdup (self->answer);
  g_mutex_unlock (&self->lock);
  if (*secret != NULL)
    return MAILSYNC_INTERACTION_HANDLED;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return MAILSYNC_INTERACTION_FAILED;
  answer = self->box->func != NULL ? self->box->func (self->account, repository, user, host, self->box->data) : NULL;
  if (answer == NULL)
    {
      g_set_error_literal (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INTERACTION_REQUIRED, self->declined);
      return MAILSYNC_INTERACTION_FAILED;
    }
  g_mutex_lock (&self->lock);
  if (self->answer == NULL)
    asker_keep_locked (self, g_strdup (answer));
  g_mutex_unlock (&self->lock);
  *secret = answer;
  return MAILSYNC_INTERACTION_HANDLED;
}

/* A MailsyncImapAskerSync, on the repository's worker: @refused (may be
 * NULL) is what the server refused the repository; if it is the kept
 * answer, the next repository calls the function again. The answer goes
 * to a repository whose copy is older than the last change, or that was
 * just refused (never the refused one: a newer answer another login left,
 * or NULL). @accepted (may be NULL): the password of the repository's
 * login the server just accepted (maybe asked again by its interaction
 * after a refusal of the function's), the one the next repositories of
 * the account use, unless the answer changed since the repository's copy
 * (then the answer is newer than the login). @held (may be NULL): on a
 * take, the password a login accepted for the repository, which it still
 * holds: a NULL answer does not replace it (review26 L4), unless it is
 * one the server refused another repository of the account since
 * (review27 M1: A and B shared the answer, B's refusal emptied it, and A
 * would have sent it again). */
gboolean
_mailsync_config_asker_sync (MailsyncInteraction *asker, const char *refused, const char *accepted,
                             const char *held, guint *generation, char **secret)
{
  MailsyncConfigAsker *self = MAILSYNC_CONFIG_ASKER (asker);
  gboolean moved;

  g_mutex_lock (&self->lock);
  if (accepted != NULL)
    {
      asker_unrefuse_locked (self, accepted);
      /* equal: the answer this login's repository asked the function for
       * (its copy is the answer, though it did not take it at connect) */
      if (*generation == self->generation || g_strcmp0 (self->answer, accepted) == 0)
        {
          asker_keep_locked (self, g_strdup (accepted));
          *generation = self->generation;
        }
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  if (refused != NULL)
    {
      /* every refused one, not only the kept answer's: a repository may
       * hold an older answer another one was refused */
      if (!g_ptr_array_find_with_equal_func (self->refused, refused, refused_equal, NULL))
        g_ptr_array_add (self->refused, g_strdup (refused));
      if (g_strcmp0 (self->answer, refused) == 0)
        asker_keep_locked (self, NULL);
    }
  moved = refused != NULL || self->generation != *generation;
  if (moved)
    {
      *generation = self->generation;
      if (self->answer == NULL && held != NULL && refused == NULL &&
          !g_ptr_array_find_with_equal_func (self->refused, held, refused_equal, NULL))
        moved = FALSE;
      else
        *secret = g_strdup (self->answer);
    }
  g_mutex_unlock (&self->lock);
  return moved;
}

static void
mailsync_config_asker_finalize (GObject *object)
{
  MailsyncConfigAsker *self = MAILSYNC_CONFIG_ASKER (object);

  _mailsync_credentials_free_secret (self->answer);
  g_ptr_array_unref (self->refused);
  _mailsync_password_box_unref (self->box);
  g_free (self->account);
  g_free (self->declined);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (mailsync_config_asker_parent_class)->finalize (object);
}

static void
mailsync_config_asker_class_init (MailsyncConfigAskerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = mailsync_config_asker_finalize;
  MAILSYNC_INTERACTION_CLASS (klass)->ask_password = asker_ask;
  MAILSYNC_INTERACTION_CLASS (klass)->ask_oauth2_token = asker_ask;
}

static void
mailsync_config_asker_init (MailsyncConfigAsker *self)
{
  g_mutex_init (&self->lock);
  self->refused = g_ptr_array_new_with_free_func ((GDestroyNotify) _mailsync_credentials_free_secret);
}

/* The asker of @ctx's account and repository, made on first use; NULL
 * when no password function is set. @declined: the error when it gives
 * nothing (the first one made keeps its own). */
MailsyncInteraction *
_mailsync_config_dup_asker (RepoContext *ctx, const char *declined)
{
  MailsyncConfig *self = ctx->self;
  g_autofree char *key = g_strdup_printf ("%s%c%s", ctx->account, '\x1f', ctx->name);
  MailsyncConfigAsker *asker;

  g_mutex_lock (&self->askers_lock);
  if (self->password_box == NULL)
    {
      g_mutex_unlock (&self->askers_lock);
      return NULL;
    }
  asker = g_hash_table_lookup (self->askers, key);
  if (asker == NULL)
    {
      asker = g_object_new (MAILSYNC_TYPE_CONFIG_ASKER, NULL);
      asker->box = g_atomic_rc_box_acquire (self->password_box);
      asker->account = g_strdup (ctx->account);
      asker->declined = g_strdup (declined);
      g_hash_table_insert (self->askers, g_steal_pointer (&key), asker);
    }
  g_object_ref (asker);
  g_mutex_unlock (&self->askers_lock);
  return MAILSYNC_INTERACTION (asker);
}
