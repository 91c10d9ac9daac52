/* MailsyncConfigFile: Python configparser semantics, rule by rule.  The
 * expected values of the parse table were checked against Python 3's
 * configparser. */
#include "config.h"

#include "mailsync.h"
#include "mailsync-test.h"

#include <string.h>
#include <glib/gstdio.h>

typedef struct
{
  const char *data;
  const char *section;
  const char *key;
  const char *expected;
} ValueCase;

static const ValueCase values[] = {
  { "[s]\nkey = value\n", "s", "key", "value" },
  { "[s]\nkey: value\n", "s", "key", "value" },
  { "[s]\nKey = v\n", "s", "KEY", "v" },
  /* no inline comments */
  { "[s]\nui = basic  # c\n", "s", "ui", "basic  # c" },
  { "# c\n; c\n[s]\n  # indented\nk=v\n", "s", "k", "v" },
  /* continuation lines */
  { "[s]\nk = a\n  b\n\tc\n", "s", "k", "a\nb\nc" },
  { "[s]\nk = a\n\n  b\n", "s", "k", "a\n\nb" },
  { "[s]\nk = a\n\n\nj = b\n", "s", "k", "a" },
  { "[s]\nk = a\n  # c\n  b\n", "s", "k", "a\nb" },
  { "[s]\nk =\n  a\n", "s", "k", "\na" },
  { "[s]\nk = a\n [x]\n", "s", "k", "a\n[x]" },
  { "[s]\nk = a\n  \n  b\n", "s", "k", "a\n\nb" },
  { "[s]\n  k = v\n    more\n  j = w\n", "s", "k", "v\nmore" },
  { "[s]\n  k = v\n    more\n  j = w\n", "s", "j", "w" },
  { "[s]\nk = v\n[t]\n  k2 = w\n", "t", "k2", "w" },
  /* the first delimiter splits */
  { "[s]\na:b=c\n", "s", "a", "b=c" },
  { "[s]\na=b:c\n", "s", "a", "b:c" },
  { "[s]\nk   =   v  \n", "s", "k", "v" },
  { "[s]\nmy key = v\n", "s", "my key", "v" },
  /* [DEFAULT] */
  { "[DEFAULT]\nx = 1\n[s]\ny = 2\n", "s", "x", "1" },
  { "[DEFAULT]\nx = 1\n[s]\nx = 2\n", "s", "x", "2" },
  { "[DEFAULT]\na=1\n[DEFAULT]\nb=2\n[s]\n", "s", "b", "2" },
  { "[DEFAULT]\nx = 1\n", "DEFAULT", "x", "1" },
  /* interpolation */
  { "[s]\nh = host\nu = me@%(h)s\n", "s", "u", "me@host" },
  { "[DEFAULT]\nbase=/m\n[s]\np=%(base)s/x\n", "s", "p", "/m/x" },
  { "[DEFAULT]\np=%(n)s.d\n[s]\nn=abc\n", "s", "p", "abc.d" },
  { "[s]\npw = a%%b\n", "s", "pw", "a%b" },
  { "[s]\na=1\nb=%(a)s2\nc=%(b)s3\n", "s", "c", "123" },
  { "[s]\nHost=h\nu=%(HOST)s\n", "s", "u", "h" },
  { "[s]\na=x%%y\nb=%(a)s\n", "s", "b", "x%y" },
  { "[s]\nk=%(j)s\nj=a\n  b\n", "s", "k", "a\nb" },
  /* section headers */
  { "[s] x\nk=v\n", "s", "k", "v" },
  { "[a]b]\nk=v\n", "a]b", "k", "v" },
  { "[ s ]\nk=v\n", " s ", "k", "v" },
  /* line endings */
  { "[s]\r\nk = v\r\n", "s", "k", "v" },
  { "[s]\rk = v\r", "s", "k", "v" },
  { "[s]\nk = v", "s", "k", "v" },
  /* unset */
  { "[s]\nk = v\n", "s", "nope", NULL },
  { "[s]\nk = v\n", "t", "k", NULL },
};

static MailsyncConfigFile *
load (const char *data,
      GError    **error)
{
  MailsyncConfigFile *file = mailsync_config_file_new ();

  if (!mailsync_config_file_load_from_data (file, data, -1, "t", error))
    g_clear_object (&file);
  return file;
}

START_TEST (test_values)
{
  const ValueCase *c = &values[_i];
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfigFile) file = load (c->data, &error);
  g_autofree char *value = NULL;

  ck_assert_msg (file != NULL, "case %d: %s", _i, error ? error->message : "?");
  value = mailsync_config_file_get_string (file, c->section, c->key, &error);
  ck_assert_msg (error == NULL, "case %d: %s", _i, error ? error->message : "?");
  ck_assert_msg (g_strcmp0 (value, c->expected) == 0, "case %d: got '%s', want '%s'",
                 _i, value ? value : "(null)", c->expected ? c->expected : "(null)");
  ck_assert_int_eq (mailsync_config_file_has_key (file, c->section, c->key), c->expected != NULL);
}
END_TEST

typedef struct
{
  const char *data;
  const char *message;
} ErrorCase;

static const ErrorCase load_errors[] = {
  { "[Repository R]\nremotehost = a\n\nremotehost = b\n",
    "t:4: duplicate option 'remotehost' in section 'Repository R' (first at line 2)" },
  { "[s]\nKey=1\nkey=2\n", "t:3: duplicate option 'key' in section 's' (first at line 2)" },
  { "[s]\n  k = v\n  k = w\n", "t:3: duplicate option 'k' in section 's' (first at line 2)" },
  { "[s]\n[t]\n[s]\n", "t:3: duplicate section 's' (first at line 1)" },
  { "[DEFAULT]\na=1\n[DEFAULT]\na=2\n",
    "t:4: duplicate option 'a' in section 'DEFAULT' (first at line 2)" },
  { "k = v\n", "t:1: 'k = v' before any [section] header" },
  { "# c\n\n  key: v\n", "t:3: 'key: v' before any [section] header" },
  { "[s]\njunk\n", "t:2: not 'key = value', a [section] header or a comment: 'junk'" },
  { "[s]\n[]\n", "t:2: not 'key = value', a [section] header or a comment: '[]'" },
  { "[s]\n= v\n", "t:2: option name missing before '='" },
  { "[s]\n  : v\n", "t:2: option name missing before ':'" },
  { "[s]\nk = \xff\n", "t:2: not valid UTF-8" },
};

START_TEST (test_load_errors)
{
  const ErrorCase *c = &load_errors[_i];
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfigFile) file = load (c->data, &error);

  ck_assert_msg (file == NULL, "case %d loaded", _i);
  ck_assert (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG));
  ck_assert_str_eq (error->message, c->message);
}
END_TEST

typedef struct
{
  const char *data;
  const char *key;
  const char *message;
} GetErrorCase;

static const GetErrorCase get_errors[] = {
  { "[s]\npw = 50%\n", "pw",
    "t:2: option 'pw' in section 's': '%' must be followed by '%' or '(' (write '%%' for a literal '%')" },
  { "[s]\npw = %x\n", "pw",
    "t:2: option 'pw' in section 's': '%' must be followed by '%' or '(' (write '%%' for a literal '%')" },
  { "[s]\nu = %(nope)s\n", "u",
    "t:2: option 'u' in section 's': %(nope)s refers to 'nope', which is set neither in [s] nor in [DEFAULT]" },
  { "[s]\nu = %(x\n", "u",
    "t:2: option 'u' in section 's': bad %(name)s reference (write '%%' for a literal '%')" },
  { "[s]\nu = %()s\n", "u",
    "t:2: option 'u' in section 's': bad %(name)s reference (write '%%' for a literal '%')" },
  { "[s]\nu = %(x)d\nx = 1\n", "u",
    "t:2: option 'u' in section 's': bad %(name)s reference (write '%%' for a literal '%')" },
  { "[s]\na = %(b)s\nb = %(a)s\n", "a",
    "t:2: option 'a' in section 's': %(...)s references nested deeper than 10 levels (a reference loop?)" },
  /* the error names the option read, not the one that holds the bad % */
  { "[DEFAULT]\nbad = 1%\n[s]\nu = x%(bad)s\n", "u",
    "t:4: option 'u' in section 's': '%' must be followed by '%' or '(' (write '%%' for a literal '%')" },
};

START_TEST (test_get_errors)
{
  const GetErrorCase *c = &get_errors[_i];
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfigFile) file = load (c->data, &error);
  g_autofree char *value = NULL;

  ck_assert_msg (file != NULL, "case %d: %s", _i, error ? error->message : "?");
  value = mailsync_config_file_get_string (file, "s", c->key, &error);
  ck_assert_ptr_null (value);
  ck_assert (g_error_matches (error, MAILSYNC_ERROR, MAILSYNC_ERROR_INVALID_CONFIG));
  ck_assert_str_eq (error->message, c->message);
}
END_TEST

/* A password with a stray % is refused without being echoed. */
START_TEST (test_error_hides_value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MailsyncConfigFile) file = load ("[s]\nremotepass = s3cr%t\n", NULL);
  g_autofree char *value = mailsync_config_file_get_string (file, "s", "remotepass", &error);

  ck_assert_ptr_null (value);
  ck_assert_ptr_null (strstr (error->message, "s3cr"));
}
END_TEST

typedef struct
{
  const char *value;
  gboolean    ok;
  gboolean    expected;
} BoolCase;

static const BoolCase booleans[] = {
  { "1", TRUE, TRUE }, { "yes", TRUE, TRUE }, { "true", TRUE, TRUE }, { "on", TRUE, TRUE },
  { "YES", TRUE, TRUE }, { "True", TRUE, TRUE }, { "On", TRUE, TRUE },
  { "0", TRUE, FALSE }, { "no", TRUE, FALSE }, { "false", TRUE, FALSE }, { "off", TRUE, FALSE },
  { "NO", TRUE, FALSE }, { "False", TRUE, FALSE }, { "OFF", TRUE, FALSE },
  { "maybe", FALSE, FALSE }, { "2", FALSE, FALSE }, { "y", FALSE, FALSE }, { "", FALSE, FALSE },
};

START_TEST (test_booleans)
{
  const BoolCase *c = &booleans[_i];
  g_autofree char *data = g_strdup_printf ("[s]\nb = %s\n", c->value);
  g_autoptr(MailsyncConfigFile) file = load (data, NULL);
  g_autoptr(GError) error = NULL;
  gboolean value = 42;

  ck_assert_int_eq (mailsync_config_file_get_boolean (file, "s", "b", TRUE, &value, &error), c->ok);
  if (c->ok)
    ck_assert_int_eq (value, c->expected);
  else
    {
      g_autofree char *message =
        g_strdup_printf ("t:2: option 'b' in section 's': '%s' is not a boolean (use yes/no, true/false, on/off or 1/0)",
                         c->value);
      ck_assert_str_eq (error->message, message);
      ck_assert_int_eq (value, TRUE);   /* the default */
    }
}
END_TEST

START_TEST (test_typed_defaults)
{
  g_autoptr(MailsyncConfigFile) file = load ("[s]\nk = v\n", NULL);
  gboolean b = FALSE;
  gint64 n = 0;
  double d = 0;
  g_auto(GStrv) list = NULL;
  g_autoptr(GError) error = NULL;

  ck_assert (mailsync_config_file_get_boolean (file, "s", "b", TRUE, &b, NULL));
  ck_assert (b);
  ck_assert (mailsync_config_file_get_int64 (file, "s", "n", 7, &n, NULL));
  ck_assert_int_eq (n, 7);
  ck_assert (mailsync_config_file_get_double (file, "s", "d", 2.5, &d, NULL));
  ck_assert_double_eq (d, 2.5);
  list = mailsync_config_file_get_list (file, "s", "l", &error);
  ck_assert_ptr_null (list);
  ck_assert_ptr_null (error);
}
END_TEST

typedef struct
{
  const char *value;
  gboolean    ok;
  gint64      expected;
} IntCase;

static const IntCase ints[] = {
  { "42", TRUE, 42 }, { " -7 ", TRUE, -7 }, { "+3", TRUE, 3 }, { "0", TRUE, 0 },
  { "9223372036854775807", TRUE, G_MAXINT64 },
  { "4x", FALSE, 0 }, { "--1", FALSE, 0 }, { "+-1", FALSE, 0 }, { "1.5", FALSE, 0 },
  { "", FALSE, 0 }, { "9223372036854775808", FALSE, 0 }, { "0x10", FALSE, 0 },
};

START_TEST (test_ints)
{
  const IntCase *c = &ints[_i];
  g_autofree char *data = g_strdup_printf ("[s]\nn = %s\n", c->value);
  g_autoptr(MailsyncConfigFile) file = load (data, NULL);
  g_autoptr(GError) error = NULL;
  gint64 value = -1;

  ck_assert_int_eq (mailsync_config_file_get_int64 (file, "s", "n", 5, &value, &error), c->ok);
  if (c->ok)
    ck_assert_int_eq (value, c->expected);
  else
    {
      g_autofree char *stripped = g_strstrip (g_strdup (c->value));
      g_autofree char *message =
        g_strdup_printf ("t:2: option 'n' in section 's': '%s' is not an integer", stripped);
      ck_assert_str_eq (error->message, message);
      ck_assert_int_eq (value, 5);
    }
}
END_TEST

typedef struct
{
  const char *value;
  gboolean    ok;
  double      expected;
} DoubleCase;

static const DoubleCase doubles[] = {
  { "0.5", TRUE, 0.5 }, { "5", TRUE, 5 }, { "1e3", TRUE, 1000 }, { " -2.25 ", TRUE, -2.25 },
  { "abc", FALSE, 0 }, { "nan", FALSE, 0 }, { "inf", FALSE, 0 }, { "1,5", FALSE, 0 },
  { "0x10", FALSE, 0 }, { "", FALSE, 0 },
};

START_TEST (test_doubles)
{
  const DoubleCase *c = &doubles[_i];
  g_autofree char *data = g_strdup_printf ("[s]\nd = %s\n", c->value);
  g_autoptr(MailsyncConfigFile) file = load (data, NULL);
  g_autoptr(GError) error = NULL;
  double value = -1;

  ck_assert_int_eq (mailsync_config_file_get_double (file, "s", "d", 9, &value, &error), c->ok);
  if (c->ok)
    ck_assert_double_eq (value, c->expected);
  else
    {
      g_autofree char *stripped = g_strstrip (g_strdup (c->value));
      g_autofree char *message =
        g_strdup_printf ("t:2: option 'd' in section 's': '%s' is not a number", stripped);
      ck_assert_str_eq (error->message, message);
    }
}
END_TEST

typedef struct
{
  const char *value;
  const char *joined;   /* items joined with '|' */
} ListCase;

static const ListCase lists[] = {
  { "a, b ,c", "a|b|c" },
  { "a,,b,", "a|b" },
  { "a,\n  b", "a|b" },
  { "single", "single" },
  { " , ", "" },
  { "Test, Other Account", "Test|Other Account" },
};

START_TEST (test_lists)
{
  const ListCase *c = &lists[_i];
  g_autofree char *data = g_strdup_printf ("[s]\nl = %s\n", c->value);
  g_autoptr(MailsyncConfigFile) file = load (data, NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) list = mailsync_config_file_get_list (file, "s", "l", &error);
  g_autofree char *joined = NULL;

  ck_assert_ptr_nonnull (list);
  joined = g_strjoinv ("|", list);
  ck_assert_str_eq (joined, c->joined);
}
END_TEST

START_TEST (test_structure)
{
  g_autoptr(MailsyncConfigFile) file =
    load ("[DEFAULT]\nx = 1\n[general]\naccounts = A\n[Account A]\nb = 2\nx = 3\nc = 4\n", NULL);
  g_auto(GStrv) sections = mailsync_config_file_get_sections (file);
  g_auto(GStrv) keys = mailsync_config_file_get_keys (file, "Account A");
  g_auto(GStrv) general = mailsync_config_file_get_keys (file, "general");
  g_auto(GStrv) none = mailsync_config_file_get_keys (file, "nope");
  g_autofree char *s1 = g_strjoinv ("|", sections);
  g_autofree char *k1 = g_strjoinv ("|", keys);
  g_autofree char *k2 = g_strjoinv ("|", general);

  ck_assert_str_eq (s1, "general|Account A");
  ck_assert_str_eq (k1, "b|x|c");
  ck_assert_str_eq (k2, "accounts|x");
  ck_assert_ptr_null (none);
  ck_assert (mailsync_config_file_has_section (file, "general"));
  ck_assert (!mailsync_config_file_has_section (file, "General"));
  ck_assert (!mailsync_config_file_has_section (file, "DEFAULT"));
  ck_assert (mailsync_config_file_has_key (file, "general", "X"));
  ck_assert (!mailsync_config_file_has_key (file, "nope", "x"));
  ck_assert_str_eq (mailsync_config_file_get_path (file), "t");
}
END_TEST

START_TEST (test_raw_and_locations)
{
  g_autoptr(MailsyncConfigFile) file =
    load ("[DEFAULT]\nx = %(y)s\n\n[s]\n# c\ny = 2\n", NULL);
  g_autofree char *raw = mailsync_config_file_get_raw (file, "s", "x");
  g_autofree char *lx = mailsync_config_file_get_location (file, "s", "x");
  g_autofree char *ly = mailsync_config_file_get_location (file, "s", "Y");
  g_autofree char *lz = mailsync_config_file_get_location (file, "s", "z");
  g_autofree char *lk = NULL;
  g_autofree char *v = NULL;
  g_autoptr(GError) error = NULL;

  ck_assert_str_eq (raw, "%(y)s");
  ck_assert_str_eq (lx, "t:2");
  ck_assert_str_eq (ly, "t:6");
  ck_assert_ptr_null (lz);

  /* -k overrides: origin kept, interpolation applies, errors name it */
  mailsync_config_file_set_string (file, "s", "Y", "7%%", "-k");
  lk = mailsync_config_file_get_location (file, "s", "y");
  ck_assert_str_eq (lk, "-k");
  v = mailsync_config_file_get_string (file, "s", "x", NULL);
  ck_assert_str_eq (v, "7%");
  mailsync_config_file_set_string (file, "s", "pw", "50%", "-k");
  g_clear_pointer (&v, g_free);
  v = mailsync_config_file_get_string (file, "s", "pw", &error);
  ck_assert_ptr_null (v);
  ck_assert_str_eq (error->message,
                    "-k: option 'pw' in section 's': '%' must be followed by '%' or '(' (write '%%' for a literal '%')");
  /* an origin that quotes the value (mailsync's -k) never shows it */
  mailsync_config_file_set_string (file, "s", "pw2", "Hunter2=x%", "-k s:pw2=Hunter2=x%");
  g_clear_error (&error);
  v = mailsync_config_file_get_string (file, "s", "pw2", &error);
  ck_assert_ptr_null (v);
  ck_assert_str_eq (error->message, "-k s:pw2: option 'pw2' in section 's': '%' must be followed by '%' or '(' "
                    "(write '%%' for a literal '%')");

  /* set_string creates sections; remove_key leaves DEFAULT's value */
  mailsync_config_file_set_string (file, "new", "k", "v", NULL);
  ck_assert (mailsync_config_file_has_section (file, "new"));
  mailsync_config_file_set_string (file, "s", "x", "own", "-k");
  ck_assert (mailsync_config_file_remove_key (file, "s", "X"));
  ck_assert (!mailsync_config_file_remove_key (file, "s", "X"));
  g_clear_pointer (&raw, g_free);
  raw = mailsync_config_file_get_raw (file, "s", "x");
  ck_assert_str_eq (raw, "%(y)s");
  ck_assert (mailsync_config_file_remove_key (file, "DEFAULT", "x"));
  ck_assert (!mailsync_config_file_has_key (file, "s", "x"));
}
END_TEST

/* configparser's strictness is per read: a second file may redefine. */
START_TEST (test_two_loads)
{
  g_autoptr(MailsyncConfigFile) file = load ("[s]\nk = 1\n", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *v = NULL;
  g_autofree char *loc = NULL;

  ck_assert (mailsync_config_file_load_from_data (file, "[s]\nk = 2\n", -1, "u", &error));
  v = mailsync_config_file_get_string (file, "s", "k", NULL);
  loc = mailsync_config_file_get_location (file, "s", "k");
  ck_assert_str_eq (v, "2");
  ck_assert_str_eq (loc, "u:2");
}
END_TEST

START_TEST (test_load_file)
{
  g_autofree char *dir = mailsync_test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "rc", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing", NULL);
  g_autofree char *message = NULL;
  g_autofree char *loc = NULL;
  g_autoptr(MailsyncConfigFile) file = mailsync_config_file_new ();
  g_autoptr(MailsyncConfigFile) bad = mailsync_config_file_new ();
  g_autoptr(GError) error = NULL;

  mailsync_test_write_file (path, "[general]\n\naccounts = A\n");
  ck_assert (mailsync_config_file_load_from_file (file, path, &error));
  ck_assert_str_eq (mailsync_config_file_get_path (file), path);
  loc = mailsync_config_file_get_location (file, "general", "accounts");
  g_free (message);
  message = g_strdup_printf ("%s:3", path);
  ck_assert_str_eq (loc, message);

  ck_assert (!mailsync_config_file_load_from_file (bad, missing, &error));
  g_free (message);
  message = g_strdup_printf ("%s: cannot read the configuration: No such file or directory", missing);
  ck_assert_str_eq (error->message, message);
  mailsync_test_rm_rf (dir);
}
END_TEST

/* DESIGN.md §1: mailsync's own paths first, then offlineimap's. */
START_TEST (test_default_path)
{
  g_autofree char *home = mailsync_test_mkdtemp ();
  g_autofree char *xdg = g_build_filename (home, "xdg", NULL);
  g_autofree char *dotconfig = g_build_filename (home, ".config", NULL);
  const char *files[4];
  g_autofree char *f0 = g_build_filename (xdg, "mailsync", "config", NULL);
  g_autofree char *f1 = g_build_filename (home, ".mailsyncrc", NULL);
  g_autofree char *f2 = g_build_filename (xdg, "offlineimap", "config", NULL);
  g_autofree char *f3 = g_build_filename (home, ".offlineimaprc", NULL);
  g_autofree char *dot_oi = g_build_filename (dotconfig, "offlineimap", "config", NULL);
  g_autofree char *old_home = g_strdup (g_getenv ("HOME"));
  g_autofree char *old_xdg = g_strdup (g_getenv ("XDG_CONFIG_HOME"));
  char *found;

  files[0] = f0; files[1] = f1; files[2] = f2; files[3] = f3;
  g_setenv ("HOME", home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", xdg, TRUE);

  found = mailsync_config_file_find_default_path ();
  ck_assert_ptr_null (found);

  /* create from the last to the first: each new one wins */
  for (int i = 3; i >= 0; i--)
    {
      mailsync_test_write_file (files[i], "[general]\n");
      found = mailsync_config_file_find_default_path ();
      ck_assert_str_eq (found, files[i]);
      g_free (found);
    }

  /* XDG_CONFIG_HOME empty or unset means ~/.config */
  for (int i = 0; i < 3; i++)
    g_unlink (files[i]);
  mailsync_test_write_file (dot_oi, "[general]\n");
  g_setenv ("XDG_CONFIG_HOME", "", TRUE);
  found = mailsync_config_file_find_default_path ();
  ck_assert_str_eq (found, dot_oi);
  g_free (found);
  g_unsetenv ("XDG_CONFIG_HOME");
  found = mailsync_config_file_find_default_path ();
  ck_assert_str_eq (found, dot_oi);
  g_free (found);

  if (old_home)
    g_setenv ("HOME", old_home, TRUE);
  if (old_xdg)
    g_setenv ("XDG_CONFIG_HOME", old_xdg, TRUE);
  mailsync_test_rm_rf (home);
}
END_TEST

/* The sample minimal config of offlineimap parses as offlineimap reads it. */
START_TEST (test_minimal_fixture)
{
  const char *srcdir = g_getenv ("TEST_SRCDIR") ? g_getenv ("TEST_SRCDIR") : TEST_SRCDIR;
  g_autofree char *path = g_build_filename (srcdir, "data", "config", "minimal.conf", NULL);
  g_autoptr(MailsyncConfigFile) file = mailsync_config_file_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) accounts = NULL;
  g_autofree char *cafile = NULL;
  g_autofree char *folders = NULL;

  ck_assert_msg (mailsync_config_file_load_from_file (file, path, &error), "%s",
                 error ? error->message : "");
  accounts = mailsync_config_file_get_list (file, "general", "accounts", &error);
  ck_assert_int_eq (g_strv_length (accounts), 1);
  ck_assert_str_eq (accounts[0], "Test");
  cafile = mailsync_config_file_get_string (file, "Repository Remote", "sslcacertfile", &error);
  ck_assert_str_eq (cafile, "OS-DEFAULT");
  folders = mailsync_config_file_get_string (file, "Repository Local", "localfolders", &error);
  ck_assert_str_eq (folders, "~/Test");
}
END_TEST

/* Random lines built from the grammar's pieces never crash the reader or
 * the getters (this runs under ASan/UBSan and valgrind in CI), and every
 * error is one line starting with the name. */
START_TEST (test_random_input)
{
  static const char *const pieces[] = {
    "[", "]", "[s]", "[DEFAULT]", "k", "K2", " = ", ":", "=", "%", "%%", "%(k)s", "%(K2)s", "%(", ")s",
    "#", ";", " ", "\t", "\n", "\r\n", "\r", "v", "\xc3\xa9", "\xff", "yes", "1,2, 3",
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (4242);

  for (guint round = 0; round < 3000; round++)
    {
      g_autoptr(GString) data = g_string_new (NULL);
      g_autoptr(MailsyncConfigFile) file = mailsync_config_file_new ();
      g_autoptr(GError) error = NULL;
      guint n = g_rand_int_range (rand, 0, 40);

      for (guint i = 0; i < n; i++)
        g_string_append (data, pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))]);
      if (!mailsync_config_file_load_from_data (file, data->str, data->len, "r", &error))
        {
          ck_assert (g_str_has_prefix (error->message, "r:"));
          ck_assert_ptr_null (strchr (error->message, '\n'));
          continue;
        }
      {
        g_auto(GStrv) sections = mailsync_config_file_get_sections (file);

        for (guint i = 0; sections[i] != NULL; i++)
          {
            g_auto(GStrv) keys = mailsync_config_file_get_keys (file, sections[i]);

            for (guint j = 0; keys[j] != NULL; j++)
              {
                g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
                g_autofree char *value = mailsync_config_file_get_string (file, sections[i], keys[j], &e1);
                g_auto(GStrv) list = mailsync_config_file_get_list (file, sections[i], keys[j], NULL);
                g_autofree char *location = mailsync_config_file_get_location (file, sections[i], keys[j]);
                gboolean b;
                gint64 v;

                ck_assert ((value == NULL) == (e1 != NULL));
                ck_assert_ptr_nonnull (location);
                mailsync_config_file_get_boolean (file, sections[i], keys[j], FALSE, &b, &e2);
                mailsync_config_file_get_int64 (file, sections[i], keys[j], 0, &v, &e3);
              }
          }
      }
    }
}
END_TEST

static Suite *
config_file_suite (void)
{
  Suite *s = suite_create ("config-file");
  TCase *tc = tcase_create ("config-file");

  tcase_add_loop_test (tc, test_values, 0, G_N_ELEMENTS (values));
  tcase_add_loop_test (tc, test_load_errors, 0, G_N_ELEMENTS (load_errors));
  tcase_add_loop_test (tc, test_get_errors, 0, G_N_ELEMENTS (get_errors));
  tcase_add_test (tc, test_error_hides_value);
  tcase_add_loop_test (tc, test_booleans, 0, G_N_ELEMENTS (booleans));
  tcase_add_test (tc, test_typed_defaults);
  tcase_add_loop_test (tc, test_ints, 0, G_N_ELEMENTS (ints));
  tcase_add_loop_test (tc, test_doubles, 0, G_N_ELEMENTS (doubles));
  tcase_add_loop_test (tc, test_lists, 0, G_N_ELEMENTS (lists));
  tcase_add_test (tc, test_structure);
  tcase_add_test (tc, test_raw_and_locations);
  tcase_add_test (tc, test_two_loads);
  tcase_add_test (tc, test_load_file);
  tcase_add_test (tc, test_default_path);
  tcase_add_test (tc, test_minimal_fixture);
  tcase_add_test (tc, test_random_input);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return mailsync_test_run (config_file_suite ());
}
