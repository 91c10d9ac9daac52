/* offlineimap's folder selection on a repository: `folderincludes` names
 * folders that are synced whatever `folderfilter` (or folder_include and
 * folder_exclude) says, as offlineimap's should_sync_folder() does
 * (`fname in self.folderincludes or self.folderfilter(fname)`). */
#include "config.h"

#include "config/mailsync-config-private.h"

#include <string.h>

typedef struct
{
  char **includes;
  MailsyncFolderFilterFunc func;  /* NULL: every folder */
  gpointer data;
  GDestroyNotify destroy;
} IncludeFilter;

static void
include_filter_free (gpointer user_data)
{
  IncludeFilter *filter = user_data;

  if (filter->destroy != NULL)
    filter->destroy (filter->data);
  g_strfreev (filter->includes);
  g_free (filter);
}

static gboolean
include_filter (const char *name,
                gpointer    user_data)
{
  IncludeFilter *filter = user_data;

  /* An included folder never asks the filter: a filter that raises on it
   * must not refuse a folder the user named explicitly. */
  if (g_strv_contains ((const char * const *) filter->includes, name))
    return TRUE;
  return filter->func == NULL || filter->func (name, filter->data);
}

void
_mailsync_config_set_folder_filter (MailsyncRepository       *repo,
                                    const char * const       *includes,
                                    MailsyncFolderFilterFunc  func,
                                    gpointer                  data,
                                    GDestroyNotify            destroy)
{
  IncludeFilter *filter;

  if (includes == NULL || includes[0] == NULL)
    {
      if (func != NULL)
        mailsync_repository_set_folder_filter (repo, func, data, destroy);
      return;
    }
  /* Without a filter every folder is synced already. */
  if (func == NULL)
    return;
  filter = g_new0 (IncludeFilter, 1);
  filter->includes = g_strdupv ((char **) includes);
  filter->func = func;
  filter->data = data;
  filter->destroy = destroy;
  mailsync_repository_set_folder_filter (repo, include_filter, filter, include_filter_free);
}
