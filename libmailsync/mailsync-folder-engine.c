/* The engine's private questions to a folder, about offlineimap's status
 * format and one backend's files (mailsync-folder-engine-private.h): the
 * table a backend registers and the wrappers libmailsync/sync/ calls,
 * with their answers for a folder that has no table. The message-level
 * capabilities are public: mailsync-folder-capabilities.c. */
#include "config.h"

#include "mailsync-folder-engine-private.h"

#include <string.h>

/* Asked for every table lookup, which the engine makes per status row of a
 * changed folder: the quark is made once (g_quark_from_static_string takes
 * a global lock and a hash lookup each time). */
static GQuark
engine_quark (void)
{
  static gsize quark = 0;

  if (g_once_init_enter (&quark))
    g_once_init_leave (&quark, g_quark_from_static_string ("mailsync-folder-engine-vtable"));
  return (GQuark) quark;
}

void
_mailsync_folder_class_set_engine (gpointer klass, const _MailsyncFolderEngineVTable *vtable)
{
  g_type_set_qdata (G_TYPE_FROM_CLASS (klass), engine_quark (), (gpointer) vtable);
}

/* The table of @self's class or its nearest ancestor's, or NULL. */
static const _MailsyncFolderEngineVTable *
lookup (MailsyncFolder *self)
{
  for (GType type = G_OBJECT_TYPE (self); type != MAILSYNC_TYPE_FOLDER; type = g_type_parent (type))
    {
      const _MailsyncFolderEngineVTable *vtable = g_type_get_qdata (type, engine_quark ());

      if (vtable != NULL)
        return vtable;
    }
  return NULL;
}

/* ---- keywords in the status ---------------------------------------------- */

gboolean
_mailsync_folder_has_keyword_letters (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  return vtable != NULL && vtable->keywords_from_letters != NULL;
}

char *
_mailsync_folder_keywords_from_letters (MailsyncFolder *self, const char *letters)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (vtable == NULL || vtable->keywords_from_letters == NULL)
    return NULL;
  return vtable->keywords_from_letters (self, letters);
}

char *
_mailsync_folder_keywords_to_letters (MailsyncFolder *self, const char * const *keywords)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (vtable == NULL || vtable->keywords_to_letters == NULL)
    return NULL;
  return vtable->keywords_to_letters (self, keywords);
}

gboolean
_mailsync_folder_reserve_keywords (MailsyncFolder *self, const char * const *keywords, GError **error)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (vtable == NULL || vtable->reserve_keywords == NULL)
    return TRUE;
  return vtable->reserve_keywords (self, keywords, error);
}

gboolean
_mailsync_folder_keywords_in_labels (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  return vtable != NULL && vtable->keywords_in_labels != NULL && vtable->keywords_in_labels (self);
}

/* ---- a folder's files ----------------------------------------------------- */

const char *
_mailsync_folder_get_directory (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (vtable == NULL || vtable->get_directory == NULL)
    return NULL;
  return vtable->get_directory (self);
}

gboolean
_mailsync_folder_get_fsync (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  return vtable == NULL || vtable->get_fsync == NULL || vtable->get_fsync (self);
}

/* ---- the unchanged-folder record's stamps --------------------------------- */

void
_mailsync_folder_stamp_clear (_MailsyncFolderStamp *stamp)
{
  g_clear_pointer (&stamp->text, g_free);
  stamp->newest_ns = 0;
  stamp->granularity_ns = 0;
}

gboolean
_mailsync_folder_stamp_equal (const _MailsyncFolderStamp *a, const _MailsyncFolderStamp *b)
{
  return a->text != NULL && b->text != NULL && strcmp (a->text, b->text) == 0;
}

gboolean
_mailsync_folder_can_take_stamp (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  return vtable != NULL && vtable->take_stamp != NULL && vtable->scan_names != NULL;
}

gboolean
_mailsync_folder_take_stamp (MailsyncFolder *self, _MailsyncFolderStamp *stamp)
{
  _mailsync_folder_stamp_clear (stamp);
  if (!_mailsync_folder_can_take_stamp (self))
    return FALSE;
  return lookup (self)->take_stamp (self, stamp);
}

gboolean
_mailsync_folder_scan_names (MailsyncFolder *self, _MailsyncFolderNameFunc func, gpointer user_data)
{
  if (!_mailsync_folder_can_take_stamp (self))
    return FALSE;
  return lookup (self)->scan_names (self, func, user_data);
}

gboolean
_mailsync_folder_stamp_kept_all (MailsyncFolder *self, const char *then, const char *now)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  return then != NULL && now != NULL && vtable != NULL && vtable->stamp_kept_all != NULL &&
         vtable->stamp_kept_all (self, then, now);
}

char *
_mailsync_folder_dup_own_stamp (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  return vtable != NULL && vtable->dup_own_stamp != NULL ? vtable->dup_own_stamp (self) : NULL;
}

/* ---- startdate ------------------------------------------------------------ */

gint64
_mailsync_folder_get_start_date (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (vtable == NULL || vtable->get_start_date == NULL)
    return 0;
  return vtable->get_start_date (self);
}

/* ---- maxsize and maxage ---------------------------------------------------- */

gboolean
_mailsync_folder_size_search (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  return vtable != NULL && vtable->size_search != NULL && vtable->size_search (self);
}

gboolean
_mailsync_folder_no_max_age (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  return vtable != NULL && vtable->no_max_age != NULL && vtable->no_max_age (self);
}

/* ---- memory between syncs ------------------------------------------------- */

void
_mailsync_folder_release_listing (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (vtable != NULL && vtable->release_listing != NULL)
    vtable->release_listing (self);
}

/* ---- a burst of fetches --------------------------------------------------- */

void
_mailsync_folder_hold_fetches (MailsyncFolder *self, gboolean hold)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (vtable != NULL && vtable->hold_fetches != NULL)
    vtable->hold_fetches (self, hold);
}

/* ---- a burst of uploads ---------------------------------------------------- */

void
_mailsync_folder_hold_appends (MailsyncFolder *self, gboolean hold)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (vtable != NULL && vtable->hold_appends != NULL)
    vtable->hold_appends (self, hold);
}

gboolean
_mailsync_folder_appends_in_bursts (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  return vtable != NULL && vtable->hold_appends != NULL && vtable->appends_in_bursts != NULL &&
         vtable->appends_in_bursts (self);
}

/* ---- a burst of deliveries ------------------------------------------------- */

void
_mailsync_folder_hold_deliveries (MailsyncFolder *self, gboolean hold)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (vtable != NULL && vtable->hold_deliveries != NULL)
    vtable->hold_deliveries (self, hold);
}

/* ---- downloads on the engine-internal path -------------------------------- */

void
_mailsync_folder_delivery_free (_MailsyncFolderDelivery *delivery)
{
  if (delivery == NULL)
    return;
  g_clear_object (&delivery->info);
  g_clear_pointer (&delivery->bytes, g_bytes_unref);
  g_clear_object (&delivery->stream);
  g_clear_object (&delivery->cancellable);
  g_clear_pointer (&delivery->context, g_main_context_unref);
  g_free (delivery->key);
  g_strfreev (delivery->keywords);
  g_clear_error (&delivery->error);
  g_free (delivery);
}

gboolean
_mailsync_folder_can_deliver (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  return vtable != NULL && vtable->deliver != NULL;
}

void
_mailsync_folder_deliver (MailsyncFolder *self, _MailsyncFolderDelivery *delivery)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  g_return_if_fail (vtable != NULL && vtable->deliver != NULL);
  vtable->deliver (self, delivery);
}

GBytes *
_mailsync_folder_fetch_finish_bytes (MailsyncFolder *self, GAsyncResult *result, GInputStream **stream,
                                     GError **error)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  *stream = NULL;
  if (vtable != NULL && vtable->fetch_finish_bytes != NULL)
    return vtable->fetch_finish_bytes (self, result, stream, error);
  *stream = mailsync_folder_fetch_message_finish (self, result, error);
  return NULL;
}

/* ---- a burst of listings -------------------------------------------------- */

gboolean
_mailsync_folder_can_hold_listings (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  return vtable != NULL && vtable->hold_listings != NULL;
}

void
_mailsync_folder_hold_listings (MailsyncFolder *self, gboolean hold)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (vtable != NULL && vtable->hold_listings != NULL)
    vtable->hold_listings (self, hold);
}

/* ---- a listing of what changed only -------------------------------------- */

static void
listed_clear (gpointer data)
{
  g_clear_pointer (&((_MailsyncFolderListed *) data)->key, g_ref_string_release);
}

GArray *
_mailsync_folder_listed_new (guint reserve)
{
  GArray *rows = g_array_sized_new (FALSE, FALSE, sizeof (_MailsyncFolderListed), reserve);

  g_array_set_clear_func (rows, listed_clear);
  return rows;
}

/* FALSE when the folder cannot: its next listing is whole. */
gboolean
_mailsync_folder_list_changes_only (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (vtable == NULL || vtable->list_changes_only == NULL)
    return FALSE;
  return vtable->list_changes_only (self);
}

static GQuark
listing_rows_quark (void)
{
  return g_quark_from_static_string ("mailsync-listing-rows");
}

void
_mailsync_folder_listing_give_rows (GTask *task, GArray *rows)
{
  g_object_set_qdata_full (G_OBJECT (task), listing_rows_quark (), rows, (GDestroyNotify) g_array_unref);
}

GArray *
_mailsync_folder_take_unchanged (MailsyncFolder *self, GAsyncResult *result)
{
  /* a folder outside the library may finish with any GAsyncResult: it
   * gave no rows */
  if (!G_IS_TASK (result))
    return NULL;
  return g_object_steal_qdata (G_OBJECT (result), listing_rows_quark ());
}

/* ---- the repository's side ------------------------------------------------ */

static GQuark
repository_engine_quark (void)
{
  return g_quark_from_static_string ("mailsync-repository-engine-vtable");
}

void
_mailsync_repository_class_set_engine (gpointer klass, const _MailsyncRepositoryEngineVTable *vtable)
{
  g_type_set_qdata (G_TYPE_FROM_CLASS (klass), repository_engine_quark (), (gpointer) vtable);
}

char *
_mailsync_repository_encode_folder_name (MailsyncRepository *self, const char *name)
{
  for (GType type = G_OBJECT_TYPE (self); type != MAILSYNC_TYPE_REPOSITORY; type = g_type_parent (type))
    {
      const _MailsyncRepositoryEngineVTable *vtable = g_type_get_qdata (type, repository_engine_quark ());

      if (vtable != NULL)
        return vtable->encode_folder_name != NULL ? vtable->encode_folder_name (self, name) : NULL;
    }
  return NULL;
}

/* ---- a message renamed by the mail program -------------------------------- */

char *
_mailsync_folder_key_identity (MailsyncFolder *self, const char *key)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (vtable == NULL || vtable->key_identity == NULL)
    return g_strdup (key);
  return vtable->key_identity (self, key);
}

/* ---- a killed run's downloads --------------------------------------------- */

char *
_mailsync_folder_dup_name_stem (MailsyncFolder *self)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (vtable == NULL || vtable->dup_name_stem == NULL)
    return NULL;
  return vtable->dup_name_stem (self);
}

gboolean
_mailsync_folder_key_has_stem (MailsyncFolder *self, const char *key, const char *stem)
{
  const _MailsyncFolderEngineVTable *vtable = lookup (self);

  if (key == NULL || stem == NULL || vtable == NULL || vtable->key_has_stem == NULL)
    return FALSE;
  return vtable->key_has_stem (self, key, stem);
}
