#include "config.h"

#include "mailsync-version.h"
#include "mailsync-runtime-version.h"

/**
 * mailsync_get_major_version:
 *
 * Gets the major version of the libmailsync library loaded at run time
 * (the 0 of 0.1.0), which can be newer than %MAILSYNC_MAJOR_VERSION, the
 * version of the headers the program was built with.
 *
 * Returns: the major version of the loaded library
 *
 * Since: 0.1
 */
guint
mailsync_get_major_version (void)
{
  return MAILSYNC_MAJOR_VERSION;
}

/**
 * mailsync_get_minor_version:
 *
 * Gets the minor version of the libmailsync library loaded at run time
 * (the 1 of 0.1.0). See mailsync_get_major_version().
 *
 * Returns: the minor version of the loaded library
 *
 * Since: 0.1
 */
guint
mailsync_get_minor_version (void)
{
  return MAILSYNC_MINOR_VERSION;
}

/**
 * mailsync_get_micro_version:
 *
 * Gets the micro version of the libmailsync library loaded at run time
 * (the last 0 of 0.1.0). See mailsync_get_major_version().
 *
 * Returns: the micro version of the loaded library
 *
 * Since: 0.1
 */
guint
mailsync_get_micro_version (void)
{
  return MAILSYNC_MICRO_VERSION;
}

/**
 * mailsync_check_version:
 * @required_major: the major version required
 * @required_minor: the minor version required
 * @required_micro: the micro version required
 *
 * Checks that the libmailsync library loaded at run time can serve a
 * program that needs version @required_major.@required_minor.@required_micro:
 * the same major version (a new major version may break the API) and the
 * same or a newer minor.micro version. A binding or a plug-in loaded into
 * someone else's process calls this, since the %MAILSYNC_CHECK_VERSION
 * macro only knows the headers it was compiled against.
 *
 * Returns: (nullable): %NULL if the loaded library is compatible, or a
 *   sentence saying why not, owned by libmailsync (do not free it)
 *
 * Since: 0.1
 */
const char *
mailsync_check_version (guint required_major,
                        guint required_minor,
                        guint required_micro)
{
  /* A new major version may break the API: only the same one serves. */
  if (required_major != MAILSYNC_MAJOR_VERSION)
    return required_major > MAILSYNC_MAJOR_VERSION ? "libmailsync version too old (major mismatch)"
                                                   : "libmailsync version too new (major mismatch)";
  /* Compared part by part, so that 0.2.0 satisfies a need for 0.1.9. */
  if (required_minor > MAILSYNC_MINOR_VERSION ||
      (required_minor == MAILSYNC_MINOR_VERSION && required_micro > MAILSYNC_MICRO_VERSION))
    return "libmailsync version too old (minor or micro mismatch)";
  return NULL;
}
