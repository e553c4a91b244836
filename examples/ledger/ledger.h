/* ledger: an example plugin written as a third party would, against the
 * installed SDK only. It serves its own gRPC service (ledger.v1.Ledger),
 * keeps entries in a table that `stratusctl migrate` creates from its sql/,
 * announces each entry on NATS, and hands its in-memory count to the next
 * generation on a reload or an upgrade. */
#ifndef LEDGER_H
#define LEDGER_H

#include <stratus/stratus.h>

typedef struct ledger_config {
  const char *pool;    /* [db.<pool>] holding stratus_ledger_entries */
  const char *subject; /* where recorded entries are announced */
  const char *label;   /* a name for this ledger, shown by Stats */
} ledger_config;

typedef struct ledger {
  const ledger_config *config; /* the host's; valid while the instance runs */
  uint64_t recorded;           /* entries recorded, across generations */
  stratus_metric *entries;
} ledger;

/* The host's API table, set once by stratus_plugin_entry. */
extern const stratus_host_api *ledger_host;

/* ledger_rpc.c: registers the Ledger service's methods. */
int ledger_register(stratus_ctx *ctx, ledger *lg);

#endif
