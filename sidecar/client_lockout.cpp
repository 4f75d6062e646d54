// ALLOW_CONNECTIONS and pg_terminate_backend for a restore (see client_lockout.h).
#include "sidecar/client_lockout.h"

#include <thread>

#include "core/error.h"
#include "sidecar/restore_stream.h"

namespace immich_maint::sidecar {

namespace {

std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += i ? "," : "";
    out += "\"";
    for (char c : items[i])
      out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    out += "\"";
  }
  return out + "}";
}

}  // namespace

DbSettings WithDatabase(const DbSettings& db, const std::string& database) {
  DbSettings other = db;
  bool replaced = false;
  for (auto& [key, value] : other.params) {
    if (key == "dbname") {
      value = database;
      replaced = true;
    }
  }
  if (!replaced) other.params.emplace_back("dbname", database);
  return other;
}

std::unique_ptr<PgConnection> ConnectToMaintenanceDatabase(const DbSettings& db,
                                                           const std::string& application_name) {
  try {
    return std::make_unique<PgConnection>(WithDatabase(db, "postgres"), application_name);
  } catch (const core::Failure&) {
    try {
      return std::make_unique<PgConnection>(WithDatabase(db, "template1"), application_name);
    } catch (const core::Failure& failure) {
      throw core::Failure(core::MakeError(
          core::ErrorCode::kConnectionFailed,
          "cannot connect to the postgres or template1 database", failure.error().detail,
          "A restore keeps other clients out with ALTER DATABASE, which must run from another "
          "database of the same server."));
    }
  }
}

void SetAllowConnections(PgConnection& other_db, const std::string& database, bool allow) {
  other_db.Exec("ALTER DATABASE " + QuoteIdent(database) + " ALLOW_CONNECTIONS " +
                (allow ? "true" : "false"));
}

int TerminateOthers(PgConnection& conn, const std::string& database, const Spared& spared) {
  const auto rows = conn.Query(
      "SELECT count(*) FILTER (WHERE pg_catalog.pg_terminate_backend(pid, 10000::bigint)) FROM pg_stat_activity "
      "WHERE datname = $1 AND pid <> pg_backend_pid() AND NOT (pid::text = ANY ($2::text[])) "
      "AND NOT (coalesce(application_name, '') = ANY ($3::text[]))",
      {database, TextArray(spared.pids), TextArray(spared.application_names)});
  return rows.empty() || !rows[0][0] ? 0 : std::stoi(*rows[0][0]);
}

std::string WaitForSession(PgConnection& conn, const std::string& application_name,
                           const std::string& what, std::chrono::seconds timeout,
                           const std::function<bool()>& gave_up) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto pid = conn.Value(
        "SELECT pid::text FROM pg_stat_activity WHERE application_name = $1 AND backend_type = "
        "'client backend'",
        {application_name});
    if (pid) return *pid;
    if (gave_up()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw core::Failure(core::MakeError(
      core::ErrorCode::kTimeout,
      what + " did not connect to the database within " + std::to_string(timeout.count()) + " s"));
}

void EndSession(PgConnection& conn, const std::string& application_name) {
  conn.Query(
      "SELECT pg_catalog.pg_terminate_backend(pid, 60000::bigint) FROM pg_catalog.pg_stat_activity "
      "WHERE application_name = $1",
      {application_name});
}

}  // namespace immich_maint::sidecar
