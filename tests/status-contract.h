/* The status-store contract suite (issue 14 item 4): the cases every
 * MailsyncStatusStore must pass, whatever its format. status-contract.c
 * holds the cases; check-status-contract.c runs them against the plain and
 * the SQLite store.
 *
 * To run them against another store (a third-party one included): write
 * a MailsyncStatusContractStore for it, whose new_store() is the store's
 * constructor over a directory, and a main() that passes it to
 * mailsync_status_contract_suite() and mailsync_test_run(); link
 * status-contract.c and mailsync-test.c (libmailsync-test.la) with it.
 * check-status-contract.c is the model (HACKING.md, "Status stores").
 * What a store does beyond the contract (its files, its format's own
 * damage) stays in its own suite (check-status-plain.c, -sqlite.c). */
#pragma once

#include "mailsync-test.h"

G_BEGIN_DECLS

/* The damage a store's status file can come to. */
typedef enum
{
  MAILSYNC_STATUS_CONTRACT_GARBAGE,   /* bytes that are no status at all */
  MAILSYNC_STATUS_CONTRACT_TRUNCATED, /* a status cut short (a torn write) */
  MAILSYNC_STATUS_CONTRACT_FUTURE,    /* a status of a newer format version */
} MailsyncStatusContractDamage;

typedef struct
{
  /* The name of the store's TCase in the TAP lines, e.g. "plain". */
  const char *name;
  /* The constructor hook: a new store over @directory, which does not
   * exist yet (the store must create it, mode 0700, on its first commit,
   * and not before). */
  MailsyncStatusStore *(*new_store) (const char *directory);
  /* Leaves the status of @folder in @store (a fresh one: nothing was
   * loaded or committed) damaged as @damage says. Returns the text the
   * error of the next load must contain (transfer full): the file's path,
   * or more precisely where in it (say "path:3"). NULL: not given (the
   * damage cases then SKIP). */
  char *(*damage) (MailsyncStatusStore          *store,
                   const char                   *folder,
                   MailsyncStatusContractDamage  damage);
  /* A crash point (MAILSYNC_CRASH_AT, without ":n") that the store passes
   * inside every commit, before the commit point. NULL: the atomicity
   * case SKIPs, as it does in a library built without its crash points. */
  const char *crash_in_commit;
} MailsyncStatusContractStore;

/* Assertions the per-store suites share with the contract: a load or
 * commit that must succeed (the failure's message in the test's), and one
 * row of a loaded array. */
void   status_load_ok       (MailsyncStatusStore  *store,
                             const char           *folder,
                             GPtrArray           **records,
                             GHashTable          **meta);
void   status_commit_ok     (MailsyncStatusStore  *store,
                             const char           *folder,
                             MailsyncStatusBatch  *batch);
void   status_assert_record (GPtrArray            *records,
                             guint                 index,
                             guint32               uid,
                             const char           *flags,
                             gint64                mtime,
                             const char           *labels);

/* The contract cases, one TCase per store of @stores (NULL-terminated;
 * the array must outlive the run). */
Suite *mailsync_status_contract_suite (const MailsyncStatusContractStore * const *stores);

G_END_DECLS
