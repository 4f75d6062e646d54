// Where a restore's own state lives while it runs: not in the database it replaces (the restore
// drops and recreates immich_maint's tables, job_run included), but in a small file next to the
// backups, <media>/backups/.immich-maintd-restore.json, written durably before each change the
// restore makes outside its transaction (maintenance mode on, new connections refused). If the
// sidecar dies, the next `restore` or `serve` start reads it and undoes those changes.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "sidecar/db_settings.h"
#include "sidecar/pg_connection.h"

namespace immich_maint::sidecar {

struct RestoreJournal {
  std::string database;
  std::string backup;       // the backup's name
  std::int64_t run_id = 0;  // job_run id, 0 for a command-line restore
  std::int64_t pid = 0;     // of the sidecar
  std::string host;
  std::string started;                            // UTC, ISO 8601
  std::string phase;                              // last phase entered
  bool connections_blocked = false;               // ALLOW_CONNECTIONS false was (about to be) set
  bool maintenance_set = false;                   // maintenance-mode was (about to be) written
  std::optional<std::string> maintenance_before;  // the row before; nullopt: there was none
  // The row the restore wrote: still there after a crash means the restore did not commit
  // (its postlude replaces it in the restore transaction).
  std::optional<std::string> maintenance_marker;
  // The OID of schema public before the restore ("" if there was none; nullopt in older
  // journals). The restore always recreates public, so another OID afterwards means it committed:
  // the sign for a database without Immich's maintenance-mode row.
  std::optional<std::string> public_schema_oid;
};

nlohmann::json RestoreJournalJson(const RestoreJournal& journal);
// Throws core::Failure(kInvalidArgument) `unreadable restore journal <path>: <why>`.
RestoreJournal RestoreJournalFromJson(const nlohmann::json& json, const std::string& path);

std::string RestoreJournalPath(const std::string& backups_folder);
void WriteRestoreJournal(const std::string& backups_folder,
                         const RestoreJournal& journal);  // durable
std::optional<RestoreJournal> ReadRestoreJournal(const std::string& backups_folder);
void RemoveRestoreJournal(const std::string& backups_folder);

// Connections to the journal's database allowed again (from the postgres or template1
// database), if the restore blocked them.
void AllowConnectionsAgain(const DbSettings& db, const RestoreJournal& journal);
void AllowConnectionsAgain(PgConnection& admin, const RestoreJournal& journal);

// Once the restore's session has ended: connections allowed again, then, unless the restore's
// transaction committed, the maintenance-mode row put back as it was. Returns whether it had
// committed: its own maintenance-mode row (the journal's marker) is gone, replaced by the
// postlude just before its COMMIT; without that row, schema public has another OID than before.
bool UndoRestoreChanges(const DbSettings& db, const RestoreJournal& journal);

// The OID of schema public in conn's database, as text; "" when there is none.
std::string PublicSchemaOid(PgConnection& conn);

// At the start of `restore` and `serve`: if a journal is left, its restore died. Refuses
// (kBusy) while a restore's session is still connected; otherwise undoes its changes, marks its
// run failed, removes the journal and returns what it did, for the log. nullopt: nothing to do.
std::optional<std::string> RecoverInterruptedRestore(const DbSettings& db,
                                                     const std::string& media);

}  // namespace immich_maint::sidecar
