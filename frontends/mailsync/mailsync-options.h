#pragma once

#include <glib.h>
#include <stdio.h>

G_BEGIN_DECLS

/* The command line of offlineimap 8.0, parsed the way Python's optparse
 * parses it (unique long-option prefixes, "--opt=value" or "--opt value",
 * clustered short flags "-1o", attached short values "-aACC", the last
 * value of a repeated option wins except for -k which accumulates). */
typedef struct
{
  gboolean help;
  gboolean version;          /* --version: bare version number */
  gboolean full_version;     /* -V */
  gboolean dry_run;
  gboolean info;
  gboolean single_thread;    /* -1 */
  gboolean syslog;           /* -s */
  gboolean run_once;         /* -o */
  gboolean quick;            /* -q */
  gboolean migrate_fmd5;
  gboolean mbnames_prune;
  gboolean ignore_keyring;
  gboolean update_keyring;
  char *profile_dir;         /* -P */
  char *accounts;            /* -a */
  char *config_file;         /* -c */
  char *debug;               /* -d */
  char *log_file;            /* -l */
  char *folders;             /* -f */
  char *ui;                  /* -u */
  char *delete_folder;
  GPtrArray *overrides;      /* -k, in order */
} MailsyncOptions;

MailsyncOptions *mailsync_options_new    (void);
void             mailsync_options_free   (MailsyncOptions *self);
gboolean         mailsync_options_parse  (MailsyncOptions  *self,
                                          int               argc,
                                          char            **argv,
                                          GError          **error);
void             mailsync_options_print_usage (FILE *stream);

/* -d's types: main.c accepts them (and "all"), the completions offer them */
#define MAILSYNC_OPTIONS_DEBUG_TYPES "imap", "maildir", "thread"

/* One option of the table --help prints, for the shell completions
 * (mailsync-completions.c) that must not drift from it. */
typedef struct
{
  char short_name;          /* 0: long only */
  const char *long_name;    /* NULL: short only */
  gboolean takes_value;
  const char *metavar;      /* NULL for a flag */
  const char *help;
} MailsyncOptionInfo;

/* Fills @info with the @index-th option; FALSE past the last one. */
gboolean         mailsync_options_get_info (gsize index, MailsyncOptionInfo *info);
void             mailsync_options_print_help  (FILE *stream);

/* One -k argument split the way offlineimap splits it: section (with
 * underscores turned into spaces, "general" when absent), key, value. */
gboolean         mailsync_options_split_override (const char  *arg,
                                                  char       **section,
                                                  char       **key,
                                                  char       **value,
                                                  GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailsyncOptions, mailsync_options_free)

G_END_DECLS
