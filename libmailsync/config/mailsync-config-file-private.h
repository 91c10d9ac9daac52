#pragma once

#include "config/mailsync-config-file.h"

G_BEGIN_DECLS

/* ---- shared by mailsync-config-file.c (the store and reads) and
 * mailsync-config-file-reader.c (the parser that fills it) ------------- */

#define DEFAULT_SECTION "DEFAULT"

typedef struct
{
  char *key;
  char *value;
  char *origin;      /* "FILE:LINE" or a caller's origin string */
  guint line;        /* 0 when not from a file */
} Entry;

typedef struct
{
  char       *name;
  char       *origin;    /* where the header is: "FILE:LINE", or NULL */
  GHashTable *entries;   /* key -> Entry* (owned) */
  GPtrArray  *order;     /* Entry*, in file order (borrowed from entries) */
} Section;

struct _MailsyncConfigFile
{
  GObject     parent_instance;

  char       *path;
  Section    *defaults;
  GHashTable *sections;      /* name -> Section* */
  GPtrArray  *section_order; /* Section*, in file order */
};

/* A new, empty section named @name. */
Section *_mailsync_config_file_section_new (const char *name);
/* Replaces any previous value of @key (the caller has checked strictness). */
Entry   *_mailsync_config_file_section_set (Section    *section,
                                            const char *key,
                                            const char *value,
                                            const char *origin,
                                            guint       line);
/* Python's str.lower() for keys (optionxform). */
char    *_mailsync_config_file_key_fold    (const char *key);

/* ---- for the rest of the config subsystem ------------------------------ */

/* The keys written in @section itself, without those inherited from
 * [DEFAULT]; %NULL if there is no such section. */
char **_mailsync_config_file_get_own_keys (MailsyncConfigFile *self,
                                           const char         *section);

/* Where the section's header is ("FILE:LINE"); NULL for DEFAULT or an
 * unknown section. */
const char *_mailsync_config_file_get_section_location (MailsyncConfigFile *self,
                                                        const char         *section);

G_END_DECLS
