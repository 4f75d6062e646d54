// The body of a short-lived worker that a backend starts and waits for: attach the caller's
// shared-memory slot, connect to its database as the bootstrap superuser, run one step, and on
// a PostgreSQL error copy the message into the slot for the waiting caller before failing as
// any worker would. Shared by the enqueue and run-now workers.
#pragma once

extern "C" {
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/elog.h"
}

namespace immich_maint::pg {

// Slot: a struct with `Oid database` and `char error[N]`. Body: called with Slot*; it runs
// PostgreSQL code only (no C++ that can throw). die_on_sigterm: stop at the next interrupt check.
template <typename Slot, typename Body>
[[noreturn]] void RunSlotWorker(Datum arg, const char* activity, bool die_on_sigterm, Body body) {
  dsm_segment* segment = dsm_attach(DatumGetUInt32(arg));
  if (segment == nullptr) proc_exit(1);
  auto* slot = static_cast<Slot*>(dsm_segment_address(segment));
  if (die_on_sigterm) pqsignal(SIGTERM, die);
  BackgroundWorkerUnblockSignals();
  BackgroundWorkerInitializeConnectionByOid(slot->database, InvalidOid, 0);
  pgstat_report_activity(STATE_RUNNING, activity);
  PG_TRY();
  {
    body(slot);
  }
  PG_CATCH();
  {
    ErrorData* error = CopyErrorData();
    strlcpy(slot->error, error->message, sizeof(slot->error));
    PG_RE_THROW();
  }
  PG_END_TRY();
  dsm_detach(segment);
  proc_exit(0);
}

}  // namespace immich_maint::pg
