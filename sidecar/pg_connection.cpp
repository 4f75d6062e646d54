// libpq connection wrapper for the sidecar.
#include "sidecar/pg_connection.h"

#include <libpq-fe.h>

#include <thread>

#include "core/error.h"

namespace immich_maint::sidecar {

namespace {

std::string Trimmed(const char* message) {
  std::string text = message ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};

}  // namespace

PgConnection::PgConnection(const DbSettings& settings, const std::string& application_name) {
  std::vector<const char*> keys;
  std::vector<const char*> values;
  for (const auto& [key, value] : settings.params) {
    keys.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  const char* extra_keys[] = {"password", "application_name", "connect_timeout"};
  const char* extra_values[] = {settings.password.c_str(), application_name.c_str(), "10"};
  for (int i = 0; i < 3; ++i) {
    keys.push_back(extra_keys[i]);
    values.push_back(extra_values[i]);
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = PQconnectdbParams(keys.data(), values.data(), 0);
  if (PQstatus(conn_) != CONNECTION_OK) {
    const std::string reason = Trimmed(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    throw core::Failure(core::MakeError(
        core::ErrorCode::kConnectionFailed, "cannot connect to " + settings.Describe(),
        "libpq said: " + reason,
        "Check DB_URL or DB_HOSTNAME, DB_PORT, DB_USERNAME, DB_PASSWORD and DB_DATABASE_NAME."));
  }
  // The server's notices and warnings (e.g. "terminating connection due to immediate shutdown")
  // would go raw to stderr ahead of our own messages; what matters reaches us as errors.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  const char* version = PQparameterStatus(conn_, "server_version");
  server_version_ = version ? version : "";
}

[[noreturn]] void PgConnection::ThrowQueryError(const pg_result* result) const {
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const std::string sqlstate = state ? state : "";
  core::ErrorCode code = core::ErrorCode::kInternal;
  if (PQstatus(conn_) != CONNECTION_OK) code = core::ErrorCode::kConnectionFailed;
  if (sqlstate == "42501") code = core::ErrorCode::kPermissionDenied;
  if (sqlstate == "57014") code = core::ErrorCode::kTimeout;
  throw core::Failure(core::MakeError(code, "query failed: " + Trimmed(PQerrorMessage(conn_))));
}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

int PgConnection::socket() const { return PQsocket(conn_); }

std::vector<Row> PgConnection::Query(const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  std::unique_ptr<PGresult, ResultDeleter> result(PQexecParams(
      conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
      nullptr, 0));
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) ThrowQueryError(result.get());
  std::vector<Row> rows(static_cast<std::size_t>(PQntuples(result.get())));
  for (int r = 0; r < PQntuples(result.get()); ++r) {
    for (int c = 0; c < PQnfields(result.get()); ++c) {
      if (PQgetisnull(result.get(), r, c)) {
        rows[r].emplace_back(std::nullopt);
      } else {
        rows[r].emplace_back(PQgetvalue(result.get(), r, c));
      }
    }
  }
  return rows;
}

std::optional<std::string> PgConnection::Value(const std::string& sql,
                                               const std::vector<std::string>& params) {
  const auto rows = Query(sql, params);
  if (rows.empty() || rows[0].empty()) return std::nullopt;
  return rows[0][0];
}

void RetryWhileDisconnected(const std::function<void()>& attempt, std::chrono::milliseconds limit,
                            std::chrono::milliseconds pause) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (true) {
    try {
      return attempt();
    } catch (const core::Failure& failure) {
      if (failure.error().code != core::ErrorCode::kConnectionFailed ||
          std::chrono::steady_clock::now() > give_up) {
        throw;
      }
    }
    std::this_thread::sleep_for(pause);
  }
}

}  // namespace immich_maint::sidecar
