/* Visibility and versioning of the public API.
 *
 * The library is built with -fvisibility=hidden: only the symbols marked
 * with one of the MAILSYNC_AVAILABLE_IN_* or MAILSYNC_DEPRECATED_IN_*
 * macros below are exported (tests/check-consumer.sh checks that the
 * installed headers declare exactly libmailsync/libmailsync.symbols,
 * tests/check-exports.sh that the library exports exactly that list).
 *
 * A consumer may define MAILSYNC_VERSION_MIN_REQUIRED and
 * MAILSYNC_VERSION_MAX_ALLOWED before including <libmailsync/mailsync.h>,
 * exactly as GLIB_VERSION_MIN_REQUIRED / GLIB_VERSION_MAX_ALLOWED: using a
 * symbol deprecated in MIN_REQUIRED or earlier, or added after
 * MAX_ALLOWED, is a compiler warning (-Wdeprecated-declarations).
 *
 * Each new minor version adds a MAILSYNC_VERSION_X_Y macro and a block of
 * MAILSYNC_DEPRECATED_IN_X_Y / MAILSYNC_AVAILABLE_IN_X_Y macros below
 * (doc/abi.md, "Adding API"). */
#pragma once

#if !defined(__MAILSYNC_INSIDE__) && !defined(MAILSYNC_COMPILATION)
#error "Only <libmailsync/mailsync.h> can be included directly."
#endif

#include <glib.h>
#include "mailsync-version.h"

/* What every exported declaration expands to.  Overridable so that
 * tests/check-consumer.sh can find the exported declarations in the
 * preprocessed headers; not for consumers. */
#ifndef _MAILSYNC_EXTERN
#define _MAILSYNC_EXTERN __attribute__((visibility ("default"))) extern
#endif

/**
 * MAILSYNC_ENCODE_VERSION:
 * @major: a major version
 * @minor: a minor version
 *
 * Encodes a libmailsync version in a form the preprocessor can compare,
 * as the MAILSYNC_VERSION_X_Y macros do.
 *
 * Since: 0.1
 */
#define MAILSYNC_ENCODE_VERSION(major, minor) ((major) << 16 | (minor) << 8)

/**
 * MAILSYNC_VERSION_0_1:
 *
 * The 0.1 version of libmailsync, for MAILSYNC_VERSION_MIN_REQUIRED and
 * MAILSYNC_VERSION_MAX_ALLOWED.
 *
 * Since: 0.1
 */
#define MAILSYNC_VERSION_0_1 (MAILSYNC_ENCODE_VERSION (0, 1))

/**
 * MAILSYNC_VERSION_0_2:
 *
 * The 0.2 version of libmailsync (the next one: no symbol is in it yet),
 * for MAILSYNC_VERSION_MIN_REQUIRED and MAILSYNC_VERSION_MAX_ALLOWED.
 *
 * Since: 0.1
 */
#define MAILSYNC_VERSION_0_2 (MAILSYNC_ENCODE_VERSION (0, 2))

/**
 * MAILSYNC_VERSION_CUR_STABLE:
 *
 * The version of the headers in use, without its micro version, encoded
 * as the MAILSYNC_VERSION_X_Y macros are.
 *
 * Since: 0.1
 */
#define MAILSYNC_VERSION_CUR_STABLE \
  (MAILSYNC_ENCODE_VERSION (MAILSYNC_MAJOR_VERSION, MAILSYNC_MINOR_VERSION))

/**
 * MAILSYNC_VERSION_MIN_REQUIRED:
 *
 * Defined by a consumer before including <libmailsync/mailsync.h>: the
 * oldest libmailsync it supports, one of the MAILSYNC_VERSION_X_Y macros.
 * Using a symbol deprecated in that version or earlier is a compiler
 * warning.  Default: MAILSYNC_VERSION_CUR_STABLE.
 *
 * Since: 0.1
 */
#ifndef MAILSYNC_VERSION_MIN_REQUIRED
#define MAILSYNC_VERSION_MIN_REQUIRED (MAILSYNC_VERSION_CUR_STABLE)
#endif

/**
 * MAILSYNC_VERSION_MAX_ALLOWED:
 *
 * Defined by a consumer before including <libmailsync/mailsync.h>: the
 * newest libmailsync API it may use, one of the MAILSYNC_VERSION_X_Y
 * macros.  Using a symbol added after that version is a compiler warning
 * ("Not available before X.Y").  Unless the consumer tests
 * MAILSYNC_CHECK_VERSION() to use newer API, this is the same as
 * MAILSYNC_VERSION_MIN_REQUIRED.  Default: MAILSYNC_VERSION_CUR_STABLE, or
 * MAILSYNC_VERSION_MIN_REQUIRED if that is newer.
 *
 * Since: 0.1
 */
#ifndef MAILSYNC_VERSION_MAX_ALLOWED
#if MAILSYNC_VERSION_MIN_REQUIRED > MAILSYNC_VERSION_CUR_STABLE
#define MAILSYNC_VERSION_MAX_ALLOWED (MAILSYNC_VERSION_MIN_REQUIRED)
#else
#define MAILSYNC_VERSION_MAX_ALLOWED (MAILSYNC_VERSION_CUR_STABLE)
#endif
#endif

#if MAILSYNC_VERSION_MIN_REQUIRED > MAILSYNC_VERSION_CUR_STABLE
#error "MAILSYNC_VERSION_MIN_REQUIRED must be <= MAILSYNC_VERSION_CUR_STABLE (the headers are older)"
#endif
#if MAILSYNC_VERSION_MAX_ALLOWED < MAILSYNC_VERSION_MIN_REQUIRED
#error "MAILSYNC_VERSION_MAX_ALLOWED must be >= MAILSYNC_VERSION_MIN_REQUIRED"
#endif
#if MAILSYNC_VERSION_MIN_REQUIRED < MAILSYNC_VERSION_0_1
#error "MAILSYNC_VERSION_MIN_REQUIRED must be >= MAILSYNC_VERSION_0_1"
#endif

/**
 * MAILSYNC_DEPRECATED:
 *
 * Marks a deprecated function: using it is a compiler warning
 * (-Wdeprecated-declarations) unless MAILSYNC_DISABLE_DEPRECATION_WARNINGS
 * is defined; exported like the others.  The MAILSYNC_DEPRECATED_IN_X_Y
 * macros use it, so that the warning follows
 * MAILSYNC_VERSION_MIN_REQUIRED.
 *
 * Since: 0.1
 */
/**
 * MAILSYNC_DEPRECATED_FOR:
 * @f: the replacement to name in the warning
 *
 * Marks a deprecated function and names its replacement, @f, in the
 * compiler's warning; exported like the others.
 *
 * Since: 0.1
 */
/**
 * MAILSYNC_UNAVAILABLE:
 * @maj: the major version that adds the symbol
 * @min: the minor version that adds the symbol
 *
 * Marks a function newer than MAILSYNC_VERSION_MAX_ALLOWED: using it is a
 * compiler warning ("Not available before maj.min").
 *
 * Since: 0.1
 */
/**
 * MAILSYNC_DEPRECATED_IN_0_1_FOR:
 * @f: the replacement to name in the warning
 *
 * Marks a function deprecated in 0.1, naming its replacement @f; a warning
 * when MAILSYNC_VERSION_MIN_REQUIRED is 0.1 or newer.
 *
 * Since: 0.1
 */
/**
 * MAILSYNC_DEPRECATED_TYPE_IN_0_1_FOR:
 * @f: the replacement to name in the warning
 *
 * Marks a type deprecated in 0.1 (after its typedef's name), naming its
 * replacement @f.
 *
 * Since: 0.1
 */
/**
 * MAILSYNC_DEPRECATED_ENUMERATOR_IN_0_1_FOR:
 * @f: the replacement to name in the warning
 *
 * Marks an enumerator deprecated in 0.1 (after its name), naming its
 * replacement @f.
 *
 * Since: 0.1
 */
/**
 * MAILSYNC_DEPRECATED_IN_0_2_FOR:
 * @f: the replacement to name in the warning
 *
 * Marks a function deprecated in 0.2, naming its replacement @f; a warning
 * when MAILSYNC_VERSION_MIN_REQUIRED is 0.2 or newer.
 *
 * Since: 0.1
 */
/**
 * MAILSYNC_DEPRECATED_TYPE_IN_0_2_FOR:
 * @f: the replacement to name in the warning
 *
 * Marks a type deprecated in 0.2 (after its typedef's name), naming its
 * replacement @f.
 *
 * Since: 0.1
 */
/**
 * MAILSYNC_DEPRECATED_ENUMERATOR_IN_0_2_FOR:
 * @f: the replacement to name in the warning
 *
 * Marks an enumerator deprecated in 0.2 (after its name), naming its
 * replacement @f.
 *
 * Since: 0.1
 */

/* The attributes.  MAILSYNC_DISABLE_DEPRECATION_WARNINGS turns every
 * deprecation and availability warning off; the library itself never
 * warns about its own API. */
#if defined(MAILSYNC_DISABLE_DEPRECATION_WARNINGS) || defined(MAILSYNC_COMPILATION)
#define MAILSYNC_DEPRECATED _MAILSYNC_EXTERN
#define MAILSYNC_DEPRECATED_FOR(f) _MAILSYNC_EXTERN
#define MAILSYNC_UNAVAILABLE(maj, min) _MAILSYNC_EXTERN
#define _MAILSYNC_DEPRECATED_ATTR
#define _MAILSYNC_DEPRECATED_ATTR_FOR(f)
#define _MAILSYNC_UNAVAILABLE_ATTR(maj, min)
#else
#define MAILSYNC_DEPRECATED G_DEPRECATED _MAILSYNC_EXTERN
#define MAILSYNC_DEPRECATED_FOR(f) G_DEPRECATED_FOR (f) _MAILSYNC_EXTERN
#define MAILSYNC_UNAVAILABLE(maj, min) G_UNAVAILABLE (maj, min) _MAILSYNC_EXTERN
#define _MAILSYNC_DEPRECATED_ATTR G_DEPRECATED
#define _MAILSYNC_DEPRECATED_ATTR_FOR(f) G_DEPRECATED_FOR (f)
#define _MAILSYNC_UNAVAILABLE_ATTR(maj, min) G_UNAVAILABLE (maj, min)
#endif

/**
 * MAILSYNC_AVAILABLE_IN_ALL:
 *
 * Marks a function that is in every version of libmailsync (0.1 and
 * later): it is exported, and never warns.
 *
 * Since: 0.1
 */
#define MAILSYNC_AVAILABLE_IN_ALL _MAILSYNC_EXTERN

/* One block per minor version.  MAILSYNC_AVAILABLE_IN_X_Y marks a function
 * added in X.Y, MAILSYNC_DEPRECATED_IN_X_Y(_FOR) one deprecated in X.Y;
 * the _TYPE_ variants go before a typedef'd type's name
 * (typedef struct _Foo Foo MAILSYNC_AVAILABLE_TYPE_IN_X_Y;), the
 * _ENUMERATOR_ variants after an enumerator's name. */

/**
 * MAILSYNC_AVAILABLE_IN_0_1:
 *
 * Marks a function added in 0.1, the first version: like
 * MAILSYNC_AVAILABLE_IN_ALL, it is exported and never warns (no
 * MAILSYNC_VERSION_MAX_ALLOWED can be older).
 *
 * Since: 0.1
 */
/**
 * MAILSYNC_AVAILABLE_TYPE_IN_0_1:
 *
 * Marks a type added in 0.1 (after its typedef's name); never warns.
 *
 * Since: 0.1
 */
/**
 * MAILSYNC_AVAILABLE_ENUMERATOR_IN_0_1:
 *
 * Marks an enumerator added in 0.1 (after its name); never warns.
 *
 * Since: 0.1
 */
/**
 * MAILSYNC_DEPRECATED_IN_0_1:
 *
 * Marks a function deprecated in 0.1: it stays exported, and using it is a
 * compiler warning when MAILSYNC_VERSION_MIN_REQUIRED is 0.1 or newer.
 *
 * Since: 0.1
 */
/**
 * MAILSYNC_DEPRECATED_TYPE_IN_0_1:
 *
 * Marks a type deprecated in 0.1 (after its typedef's name), with the same
 * warning as MAILSYNC_DEPRECATED_IN_0_1.
 *
 * Since: 0.1
 */
/**
 * MAILSYNC_DEPRECATED_ENUMERATOR_IN_0_1:
 *
 * Marks an enumerator deprecated in 0.1 (after its name), with the same
 * warning as MAILSYNC_DEPRECATED_IN_0_1.
 *
 * Since: 0.1
 */
/* 0.1: the first version. */
#if MAILSYNC_VERSION_MIN_REQUIRED >= MAILSYNC_VERSION_0_1
#define MAILSYNC_DEPRECATED_IN_0_1 MAILSYNC_DEPRECATED
#define MAILSYNC_DEPRECATED_IN_0_1_FOR(f) MAILSYNC_DEPRECATED_FOR (f)
#define MAILSYNC_DEPRECATED_TYPE_IN_0_1 _MAILSYNC_DEPRECATED_ATTR
#define MAILSYNC_DEPRECATED_TYPE_IN_0_1_FOR(f) _MAILSYNC_DEPRECATED_ATTR_FOR (f)
#define MAILSYNC_DEPRECATED_ENUMERATOR_IN_0_1 _MAILSYNC_DEPRECATED_ATTR
#define MAILSYNC_DEPRECATED_ENUMERATOR_IN_0_1_FOR(f) _MAILSYNC_DEPRECATED_ATTR_FOR (f)
#else
#define MAILSYNC_DEPRECATED_IN_0_1 _MAILSYNC_EXTERN
#define MAILSYNC_DEPRECATED_IN_0_1_FOR(f) _MAILSYNC_EXTERN
#define MAILSYNC_DEPRECATED_TYPE_IN_0_1
#define MAILSYNC_DEPRECATED_TYPE_IN_0_1_FOR(f)
#define MAILSYNC_DEPRECATED_ENUMERATOR_IN_0_1
#define MAILSYNC_DEPRECATED_ENUMERATOR_IN_0_1_FOR(f)
#endif
#define MAILSYNC_AVAILABLE_IN_0_1 _MAILSYNC_EXTERN
#define MAILSYNC_AVAILABLE_TYPE_IN_0_1
#define MAILSYNC_AVAILABLE_ENUMERATOR_IN_0_1

/**
 * MAILSYNC_AVAILABLE_IN_0_2:
 *
 * Marks a function added in 0.2: it is exported, and using it is a
 * compiler warning when MAILSYNC_VERSION_MAX_ALLOWED is older than 0.2.
 *
 * Since: 0.1
 */
/**
 * MAILSYNC_AVAILABLE_TYPE_IN_0_2:
 *
 * Marks a type added in 0.2 (after its typedef's name), with the same
 * warning as MAILSYNC_AVAILABLE_IN_0_2.
 *
 * Since: 0.1
 */
/**
 * MAILSYNC_AVAILABLE_ENUMERATOR_IN_0_2:
 *
 * Marks an enumerator added in 0.2 (after its name), with the same warning
 * as MAILSYNC_AVAILABLE_IN_0_2.
 *
 * Since: 0.1
 */
/**
 * MAILSYNC_DEPRECATED_IN_0_2:
 *
 * Marks a function deprecated in 0.2: it stays exported, and using it is a
 * compiler warning when MAILSYNC_VERSION_MIN_REQUIRED is 0.2 or newer.
 *
 * Since: 0.1
 */
/**
 * MAILSYNC_DEPRECATED_TYPE_IN_0_2:
 *
 * Marks a type deprecated in 0.2 (after its typedef's name), with the same
 * warning as MAILSYNC_DEPRECATED_IN_0_2.
 *
 * Since: 0.1
 */
/**
 * MAILSYNC_DEPRECATED_ENUMERATOR_IN_0_2:
 *
 * Marks an enumerator deprecated in 0.2 (after its name), with the same
 * warning as MAILSYNC_DEPRECATED_IN_0_2.
 *
 * Since: 0.1
 */
/* 0.2: the next version. */
#if MAILSYNC_VERSION_MIN_REQUIRED >= MAILSYNC_VERSION_0_2
#define MAILSYNC_DEPRECATED_IN_0_2 MAILSYNC_DEPRECATED
#define MAILSYNC_DEPRECATED_IN_0_2_FOR(f) MAILSYNC_DEPRECATED_FOR (f)
#define MAILSYNC_DEPRECATED_TYPE_IN_0_2 _MAILSYNC_DEPRECATED_ATTR
#define MAILSYNC_DEPRECATED_TYPE_IN_0_2_FOR(f) _MAILSYNC_DEPRECATED_ATTR_FOR (f)
#define MAILSYNC_DEPRECATED_ENUMERATOR_IN_0_2 _MAILSYNC_DEPRECATED_ATTR
#define MAILSYNC_DEPRECATED_ENUMERATOR_IN_0_2_FOR(f) _MAILSYNC_DEPRECATED_ATTR_FOR (f)
#else
#define MAILSYNC_DEPRECATED_IN_0_2 _MAILSYNC_EXTERN
#define MAILSYNC_DEPRECATED_IN_0_2_FOR(f) _MAILSYNC_EXTERN
#define MAILSYNC_DEPRECATED_TYPE_IN_0_2
#define MAILSYNC_DEPRECATED_TYPE_IN_0_2_FOR(f)
#define MAILSYNC_DEPRECATED_ENUMERATOR_IN_0_2
#define MAILSYNC_DEPRECATED_ENUMERATOR_IN_0_2_FOR(f)
#endif
#if MAILSYNC_VERSION_MAX_ALLOWED < MAILSYNC_VERSION_0_2
#define MAILSYNC_AVAILABLE_IN_0_2 MAILSYNC_UNAVAILABLE (0, 2)
#define MAILSYNC_AVAILABLE_TYPE_IN_0_2 _MAILSYNC_UNAVAILABLE_ATTR (0, 2)
#define MAILSYNC_AVAILABLE_ENUMERATOR_IN_0_2 _MAILSYNC_UNAVAILABLE_ATTR (0, 2)
#else
#define MAILSYNC_AVAILABLE_IN_0_2 _MAILSYNC_EXTERN
#define MAILSYNC_AVAILABLE_TYPE_IN_0_2
#define MAILSYNC_AVAILABLE_ENUMERATOR_IN_0_2
#endif
