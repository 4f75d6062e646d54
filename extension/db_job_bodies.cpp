// Runs a database job's body from C. The CALL goes through a portal as a top-level statement,
// the way psql's CALL does: a procedure may COMMIT only in a non-atomic context, and after a
// COMMIT it takes its next snapshot from the active portal, which plain SPI would not provide.
#include "extension/db_job_bodies.h"

extern "C" {
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "tcop/dest.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
}

namespace immich_maint::pg {

namespace {

// Parses, plans and runs one statement as top level (what exec_simple_query does for one).
void RunTopLevel(const char* sql) {
  List* parsed = pg_parse_query(sql);
  RawStmt* raw = linitial_node(RawStmt, parsed);
  List* queries = pg_analyze_and_rewrite_fixedparams(raw, sql, nullptr, 0, nullptr);
  List* plans = pg_plan_queries(queries, sql, CURSOR_OPT_PARALLEL_OK, nullptr);
  Portal portal = CreatePortal("", true, true);
  portal->visible = false;
  PortalDefineQuery(portal, nullptr, sql, CreateCommandTag(raw->stmt), plans, nullptr);
  PortalStart(portal, nullptr, 0, InvalidSnapshot);
  DestReceiver* receiver = CreateDestReceiver(DestNone);
  QueryCompletion completion;
  PortalRun(portal, FETCH_ALL, true, true, receiver, receiver, &completion);
  receiver->rDestroy(receiver);
  PortalDrop(portal, false);
}

// The parse tree and plan live in call_context: the procedure's COMMITs free the memory of
// the transaction the CALL started in.
void CallProcedure(int64 run_id, MemoryContext call_context) {
  char sql[96];
  snprintf(sql, sizeof(sql), "CALL immich_maint.run_database_job(" INT64_FORMAT ")", run_id);
  SetCurrentStatementStartTimestamp();
  StartTransactionCommand();
  MemoryContextSwitchTo(call_context);
  RunTopLevel(sql);
  CommitTransactionCommand();
}

void MarkFailed(int64 run_id, const char* message, const char* sqlstate) {
  SetCurrentStatementStartTimestamp();
  StartTransactionCommand();
  SPI_connect();
  PushActiveSnapshot(GetTransactionSnapshot());
  Oid types[3] = {INT8OID, TEXTOID, TEXTOID};
  Datum values[3] = {Int64GetDatum(run_id), CStringGetTextDatum(message),
                     CStringGetTextDatum(sqlstate)};
  SPI_execute_with_args(
      "UPDATE immich_maint.job_run SET status = 'failed', finished_at = now(), error = $2,"
      " result = coalesce(result, '{}') || jsonb_build_object('sqlstate', $3)"
      " WHERE id = $1 AND status IN ('queued', 'running')",
      3, types, values, nullptr, false, 0);
  SPI_finish();
  PopActiveSnapshot();
  CommitTransactionCommand();
}

}  // namespace

void RunDatabaseJob(std::int64_t run_id) {
  MemoryContext caller = CurrentMemoryContext;
  MemoryContext call_context =
      AllocSetContextCreate(TopMemoryContext, "immich_maint job call", ALLOCSET_DEFAULT_SIZES);
  char message[1024] = "";
  char sqlstate[6] = "";
  PG_TRY();
  {
    CallProcedure(run_id, call_context);
  }
  PG_CATCH();
  {
    MemoryContextSwitchTo(call_context);
    ErrorData* error = CopyErrorData();
    FlushErrorState();
    strlcpy(message, error->message, sizeof(message));
    strlcpy(sqlstate, unpack_sql_state(error->sqlerrcode), sizeof(sqlstate));
    AbortCurrentTransaction();
  }
  PG_END_TRY();
  MemoryContextSwitchTo(caller);
  MemoryContextDelete(call_context);
  if (message[0] != '\0') {
    ereport(LOG, (errmsg("immich_maint: run " INT64_FORMAT " failed: %s", run_id, message)));
    MarkFailed(run_id, message, sqlstate);
  }
}

}  // namespace immich_maint::pg
