// A small RAII wrapper over a libpq connection: connect with Immich's settings, run a query,
// read single values. libpq errors become core::Failure with the server's message.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sidecar/db_settings.h"

struct pg_conn;
struct pg_result;

namespace immich_maint::sidecar {

// Rows of text values (NULL as nullopt).
using Row = std::vector<std::optional<std::string>>;

class PgConnection {
 public:
  // Throws core::Failure(kConnectionFailed) naming user@host:port/db and libpq's reason.
  PgConnection(const DbSettings& settings, const std::string& application_name);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs a statement with text parameters; returns all rows. Throws core::Failure.
  std::vector<Row> Query(const std::string& sql, const std::vector<std::string>& params = {});
  // First column of the first row; nullopt when no row or NULL.
  std::optional<std::string> Value(const std::string& sql,
                                   const std::vector<std::string>& params = {});
  void Exec(const std::string& sql) { Query(sql); }

  pg_conn* raw() { return conn_; }
  int socket() const;
  // The server's answer to SHOW server_version, read once at connect.
  const std::string& server_version() const { return server_version_; }

 private:
  [[noreturn]] void ThrowQueryError(const pg_result* result) const;
  pg_conn* conn_ = nullptr;
  std::string server_version_;
};

// Runs `attempt`; while it fails with kConnectionFailed (a restarting server, an ended session),
// tries again every `pause` until `limit` has passed, then throws that failure. Any other
// failure is thrown at once.
void RetryWhileDisconnected(const std::function<void()>& attempt, std::chrono::milliseconds limit,
                            std::chrono::milliseconds pause);

}  // namespace immich_maint::sidecar
