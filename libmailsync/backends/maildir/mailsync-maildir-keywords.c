/* Maildir keywords (issue 10 item 3): the letter a keyword has in a file
 * name's info part.
 *
 * A customflag_<letter> option of the repository wins for its keyword
 * (offlineimap's mapping, so that both programs read those letters
 * alike). Every other keyword gets its letter as Dovecot's Maildir does:
 * from the folder's `dovecot-keywords` file, lines "<index> <name>",
 * index 0-25 standing for the letters a-z. New entries are appended to a
 * copy written to a temporary file, fsynced and renamed over the file, so
 * that a crash leaves the old file or the new one; existing entries are
 * never renumbered (the letters in file names depend on them). An index
 * whose letter a customflag option claims is never given out, as the
 * option would read it as its own keyword. */
#include "config.h"

#include "mailsync-maildir-keywords.h"
#include "mailsync-maildir-private.h"
#include "mailsync-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#define KEYWORDS_FILE "dovecot-keywords"
#define N_LETTERS 26

/* One lock for every folder's file: allocations are rare, and a lock per
 * path would need a table of its own. */
static GMutex keywords_lock;

/* Reads the file's entries into @names (index -> name; NULL where none).
 * A missing file has none; lines that are not "<0-25> <name>" are skipped
 * as Dovecot skips them. */
/* The last file read, kept while its inode, size and mtime stay: a
 * listing asks for a letter once per file name that has one. */
static char *cached_path;
static struct stat cached_stat;
static char *cached_names[N_LETTERS];

static void
read_names (const char *folder_path, char *names[N_LETTERS])
{
  g_autofree char *path = g_build_filename (folder_path, KEYWORDS_FILE, NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  struct stat st;

  for (guint i = 0; i < N_LETTERS; i++)
    g_clear_pointer (&names[i], g_free);
  if (g_stat (path, &st) != 0)
    return;
  if (cached_path != NULL && strcmp (cached_path, path) == 0 && st.st_ino == cached_stat.st_ino &&
      st.st_size == cached_stat.st_size && st.st_mtim.tv_sec == cached_stat.st_mtim.tv_sec &&
      st.st_mtim.tv_nsec == cached_stat.st_mtim.tv_nsec)
    {
      for (guint i = 0; i < N_LETTERS; i++)
        names[i] = g_strdup (cached_names[i]);
      return;
    }
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return;
  lines = g_strsplit (text, "\n", -1);
  for (char **line = lines; *line; line++)
    {
      char *end = NULL;
      guint64 index;

      if (!g_ascii_isdigit (**line))
        continue;
      index = g_ascii_strtoull (*line, &end, 10);
      if (index >= N_LETTERS || *end != ' ' || end[1] == '\0' || names[index] != NULL)
        continue;
      names[index] = g_strdup (end + 1);
    }
  g_free (cached_path);
  cached_path = g_steal_pointer (&path);
  cached_stat = st;
  for (guint i = 0; i < N_LETTERS; i++)
    {
      g_free (cached_names[i]);
      cached_names[i] = g_strdup (names[i]);
    }
}

static void
clear_names (char *names[N_LETTERS])
{
  for (guint i = 0; i < N_LETTERS; i++)
    g_clear_pointer (&names[i], g_free);
}

static gboolean
write_names (const char *folder_path, char *names[N_LETTERS], GError **error)
{
  g_autofree char *path = g_build_filename (folder_path, KEYWORDS_FILE, NULL);
  g_autofree char *tmp = g_strdup_printf ("%s.%d.tmp", path, (int) getpid ());
  g_autoptr(GString) text = g_string_new (NULL);
  int fd;
  gssize done = 0;

  for (guint i = 0; i < N_LETTERS; i++)
    if (names[i] != NULL)
      g_string_append_printf (text, "%u %s\n", i, names[i]);
  fd = g_open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot write %s: %s", tmp,
                   g_strerror (saved));
      return FALSE;
    }
  while (done < (gssize) text->len)
    {
      gssize n = write (fd, text->str + done, text->len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        break;
      done += n;
    }
  if (done < (gssize) text->len || fsync (fd) != 0)
    {
      int saved = errno;
      close (fd);
      g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot write %s: %s", tmp,
                   g_strerror (saved));
      return FALSE;
    }
  close (fd);
  if (g_rename (tmp, path) != 0)
    {
      int saved = errno;
      g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot rename %s to %s: %s", tmp,
                   path, g_strerror (saved));
      return FALSE;
    }
  /* the rename is durable once the directory is */
  return _mailsync_fsync_dir (folder_path, error);
}

char *
_mailsync_maildir_keywords_dup_keyword (MailsyncMaildirRepository *repo,
                                        const char                *folder_path,
                                        char                       letter)
{
  char *names[N_LETTERS] = { NULL };
  char *keyword;

  if (letter < 'a' || letter > 'z')
    return NULL;
  keyword = _mailsync_maildir_repository_dup_keyword (repo, letter);
  if (keyword != NULL)
    return keyword;
  g_mutex_lock (&keywords_lock);
  read_names (folder_path, names);
  keyword = g_steal_pointer (&names[letter - 'a']);
  clear_names (names);
  g_mutex_unlock (&keywords_lock);
  return keyword;
}

char *
_mailsync_maildir_keywords_letters_to_keywords (MailsyncMaildirRepository *repo,
                                                const char                *folder_path,
                                                const char                *letters)
{
  char *names[N_LETTERS] = { NULL };
  gboolean read = FALSE;
  GString *out = g_string_new (NULL);

  g_mutex_lock (&keywords_lock);
  for (const char *p = letters; p && *p; p++)
    {
      g_autofree char *keyword = NULL;

      if (*p < 'a' || *p > 'z')
        continue;
      keyword = _mailsync_maildir_repository_dup_keyword (repo, *p);
      if (keyword == NULL)
        {
          if (!read)
            read_names (folder_path, names);
          read = TRUE;
          keyword = g_strdup (names[*p - 'a']);
        }
      if (keyword != NULL)
        g_string_append_printf (out, "%s%s", out->len ? " " : "", keyword);
    }
  clear_names (names);
  g_mutex_unlock (&keywords_lock);
  return g_string_free (out, FALSE);
}

static gboolean
letter_claimed (MailsyncMaildirRepository *repo, guint index)
{
  g_autofree char *mapped = _mailsync_maildir_repository_dup_keyword (repo, (char) ('a' + index));

  return mapped != NULL;
}

char *
_mailsync_maildir_keywords_to_letters (MailsyncMaildirRepository  *repo,
                                       const char                 *folder_path,
                                       const char * const         *keywords,
                                       gboolean                    allocate,
                                       GStrv                      *not_stored,
                                       GError                    **error)
{
  char *names[N_LETTERS] = { NULL };
  g_autoptr(GStrvBuilder) missing = g_strv_builder_new ();
  GString *letters = g_string_new (NULL);
  gboolean changed = FALSE;
  gboolean ok = TRUE;

  g_mutex_lock (&keywords_lock);
  read_names (folder_path, names);
  for (guint k = 0; keywords != NULL && keywords[k] != NULL; k++)
    {
      char letter = _mailsync_maildir_repository_letter_for (repo, keywords[k]);

      for (guint i = 0; letter == 0 && i < N_LETTERS; i++)
        if (names[i] != NULL && strcmp (names[i], keywords[k]) == 0 && !letter_claimed (repo, i))
          letter = (char) ('a' + i);
      /* IMAP keywords are case-insensitive (RFC 3501 2.3.2): $junk on the
       * server is the $Junk a letter already stands for, not a new one.
       * The exact spelling wins above, so a folder that has both keeps
       * both letters. */
      for (guint i = 0; letter == 0 && i < N_LETTERS; i++)
        {
          g_autofree char *mapped = _mailsync_maildir_repository_dup_keyword (repo, (char) ('a' + i));

          if (mapped != NULL && g_ascii_strcasecmp (mapped, keywords[k]) == 0)
            letter = (char) ('a' + i);
        }
      for (guint i = 0; letter == 0 && i < N_LETTERS; i++)
        if (names[i] != NULL && g_ascii_strcasecmp (names[i], keywords[k]) == 0 && !letter_claimed (repo, i))
          letter = (char) ('a' + i);
      for (guint i = 0; letter == 0 && allocate && i < N_LETTERS; i++)
        if (names[i] == NULL && !letter_claimed (repo, i))
          {
            names[i] = g_strdup (keywords[k]);
            letter = (char) ('a' + i);
            changed = TRUE;
          }
      if (letter != 0)
        {
          if (strchr (letters->str, letter) == NULL)
            g_string_append_c (letters, letter);
        }
      else
        g_strv_builder_add (missing, keywords[k]);
    }
  if (changed)
    ok = write_names (folder_path, names, error);
  clear_names (names);
  g_mutex_unlock (&keywords_lock);
  if (!ok)
    {
      g_string_free (letters, TRUE);
      return NULL;
    }
  if (not_stored != NULL)
    *not_stored = g_strv_builder_end (missing);
  return g_string_free (letters, FALSE);
}
