// The restore journal and crash recovery (see restore_journal.h).
#include "sidecar/restore_journal.h"

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "sidecar/client_lockout.h"
#include "sidecar/durable_file.h"
#include "sidecar/maintenance_mode.h"
#include "sidecar/media_location.h"

namespace immich_maint::sidecar {

namespace {

constexpr const char* kJournalName = ".immich-maintd-restore.json";

// A restore's own session (it ends with the sidecar's process) and those of its children.
constexpr const char* kRestoreSession = "immich-maintd-restore";
constexpr const char* kRestoreChildren = "immich-maintd-restore-%";

void MarkRunFailed(PgConnection& conn, const RestoreJournal& journal) {
  if (journal.run_id == 0) return;
  if (conn.Value("SELECT to_regclass('immich_maint.job_run') IS NOT NULL") !=
      std::optional<std::string>("t"))
    return;
  conn.Query(
      "UPDATE immich_maint.job_run SET status = 'failed', finished_at = now(), error = "
      "'the sidecar stopped during the restore (phase ' || $2 || '); ' || CASE WHEN "
      "result->>'restored' = 'true' THEN 'the restored database had been committed' ELSE "
      "'the restore was rolled back and the database is as it was' END "
      "WHERE id = $1::bigint AND status = 'running'",
      {std::to_string(journal.run_id), journal.phase});
}

// A restore is alive while its own session is connected (given a few seconds to go after its
// process died). Without it, its psql or pg_dump may still run (psql finishes its statement
// before it reads end of input): end them, so their transaction is rolled back before
// anything is undone.
void RefuseWhileRunning(PgConnection& admin, const RestoreJournal& journal) {
  for (int attempt = 0;; ++attempt) {
    const auto live = admin.Value(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
        {journal.database, kRestoreSession});
    if (!live || *live == "0") break;
    if (attempt == 30) {
      throw core::Failure(core::MakeError(
          core::ErrorCode::kBusy, "a restore of " + journal.database + " is running",
          "Started " + journal.started + " by pid " + std::to_string(journal.pid) + " on " +
              journal.host + ".",
          "Wait for it to finish."));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  admin.Query(
      "SELECT pg_catalog.pg_terminate_backend(pid, 60000::bigint) FROM pg_catalog.pg_stat_activity "
      "WHERE datname = $1 "
      "AND application_name LIKE $2",
      {journal.database, kRestoreChildren});
}

}  // namespace

nlohmann::json RestoreJournalJson(const RestoreJournal& j) {
  return {{"database", j.database},
          {"backup", j.backup},
          {"run_id", j.run_id},
          {"pid", j.pid},
          {"host", j.host},
          {"started", j.started},
          {"phase", j.phase},
          {"connections_blocked", j.connections_blocked},
          {"maintenance_set", j.maintenance_set},
          {"maintenance_before",
           j.maintenance_before ? nlohmann::json(*j.maintenance_before) : nlohmann::json()},
          {"maintenance_marker",
           j.maintenance_marker ? nlohmann::json(*j.maintenance_marker) : nlohmann::json()},
          {"public_schema_oid",
           j.public_schema_oid ? nlohmann::json(*j.public_schema_oid) : nlohmann::json()}};
}

RestoreJournal RestoreJournalFromJson(const nlohmann::json& json, const std::string& path) {
  try {
    RestoreJournal j;
    j.database = json.at("database").get<std::string>();
    j.backup = json.at("backup").get<std::string>();
    j.run_id = json.at("run_id").get<std::int64_t>();
    j.pid = json.at("pid").get<std::int64_t>();
    j.host = json.at("host").get<std::string>();
    j.started = json.at("started").get<std::string>();
    j.phase = json.at("phase").get<std::string>();
    j.connections_blocked = json.at("connections_blocked").get<bool>();
    j.maintenance_set = json.at("maintenance_set").get<bool>();
    const auto& before = json.at("maintenance_before");
    if (!before.is_null()) j.maintenance_before = before.get<std::string>();
    const auto marker = json.find("maintenance_marker");  // absent in older journals
    if (marker != json.end() && !marker->is_null()) j.maintenance_marker = marker->get<std::string>();
    const auto oid = json.find("public_schema_oid");  // absent in older journals
    if (oid != json.end() && !oid->is_null()) j.public_schema_oid = oid->get<std::string>();
    return j;
  } catch (const nlohmann::json::exception& e) {
    throw core::Failure(
        core::MakeError(core::ErrorCode::kInvalidArgument,
                        "unreadable restore journal " + path + ": " + e.what(), {},
                        "Undo by hand what it lists (ALTER DATABASE .. ALLOW_CONNECTIONS true, "
                        "the maintenance-mode row), then delete it."));
  }
}

std::string RestoreJournalPath(const std::string& backups_folder) {
  return backups_folder + "/" + kJournalName;
}

void WriteRestoreJournal(const std::string& backups_folder, const RestoreJournal& journal) {
  DurableFile file(backups_folder, kJournalName);
  const std::string text = RestoreJournalJson(journal).dump(2) + "\n";
  file.Write(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  file.Commit();
}

std::optional<RestoreJournal> ReadRestoreJournal(const std::string& backups_folder) {
  const std::string path = RestoreJournalPath(backups_folder);
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json json = nlohmann::json::parse(text.str(), nullptr, false);
  if (json.is_discarded()) json = nlohmann::json::object();
  return RestoreJournalFromJson(json, path);
}

void RemoveRestoreJournal(const std::string& backups_folder) {
  const std::string path = RestoreJournalPath(backups_folder);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) ThrowIoError("cannot delete", path, errno);
  SyncFolder(backups_folder);
}

void AllowConnectionsAgain(PgConnection& admin, const RestoreJournal& journal) {
  if (journal.connections_blocked) SetAllowConnections(admin, journal.database, true);
}

void AllowConnectionsAgain(const DbSettings& db, const RestoreJournal& journal) {
  if (!journal.connections_blocked) return;
  auto admin = ConnectToMaintenanceDatabase(db, "immich-maintd-undo");
  AllowConnectionsAgain(*admin, journal);
}

std::string PublicSchemaOid(PgConnection& conn) {
  return conn.Value("SELECT oid::text FROM pg_catalog.pg_namespace WHERE nspname = 'public'")
      .value_or("");
}

namespace {

// The restore's own maintenance-mode row is gone (its postlude replaced it just before COMMIT);
// without that row, public has another OID (the restore always recreates it).
bool RestoreCommitted(PgConnection& conn, const RestoreJournal& journal) {
  if (journal.phase != "restore") return false;
  if (journal.maintenance_set && journal.maintenance_marker) {
    return !MaintenanceModeIs(conn, *journal.maintenance_marker);
  }
  return journal.public_schema_oid && PublicSchemaOid(conn) != *journal.public_schema_oid;
}

// On the restored database, once the restore's session has ended (connections allowed again).
bool PutBackUnlessCommitted(PgConnection& conn, const RestoreJournal& journal) {
  const bool committed = RestoreCommitted(conn, journal);
  if (journal.maintenance_set && !committed) WriteMaintenanceMode(conn, journal.maintenance_before);
  return committed;
}

}  // namespace

bool UndoRestoreChanges(const DbSettings& db, const RestoreJournal& journal) {
  AllowConnectionsAgain(db, journal);
  PgConnection conn(WithDatabase(db, journal.database), "immich-maintd-undo");
  return PutBackUnlessCommitted(conn, journal);
}

std::optional<std::string> RecoverInterruptedRestore(const DbSettings& db,
                                                     const std::string& media) {
  const std::string folder = BackupsFolder(media);
  const auto journal = ReadRestoreJournal(folder);
  if (!journal) return std::nullopt;
  {
    auto admin = ConnectToMaintenanceDatabase(db, "immich-maintd-undo");
    RefuseWhileRunning(*admin, *journal);
    AllowConnectionsAgain(*admin, *journal);
  }
  PgConnection conn(WithDatabase(db, journal->database), "immich-maintd-undo");
  const bool committed = PutBackUnlessCommitted(conn, *journal);
  MarkRunFailed(conn, *journal);
  RemoveRestoreJournal(folder);
  const std::string maintenance =
      committed ? ", the restore had committed (the database holds the backup's data)"
                : journal->maintenance_set ? ", maintenance mode put back as it was" : "";
  return "recovered from an interrupted restore of " + journal->backup + " into " +
         journal->database + " (started " + journal->started + " by pid " +
         std::to_string(journal->pid) + " on " + journal->host + ", phase " + journal->phase +
         "): new connections allowed again" + maintenance +
         (journal->run_id ? ", run " + std::to_string(journal->run_id) + " marked failed" : "");
}

}  // namespace immich_maint::sidecar
