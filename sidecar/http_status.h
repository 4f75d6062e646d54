// The sidecar's HTTP endpoints (cpp-httplib): /healthz (200 or 503 with reasons as JSON) and
// /metrics (Prometheus text). Served from a thread of its own, independent of the job loop, so
// it answers even while the database is down or a long backup runs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "sidecar/db_settings.h"

namespace httplib {
class Server;
}

namespace immich_maint::sidecar {

class HttpStatus {
 public:
  // address "host:port". Throws core::Failure(kInvalidArgument) for a bad address and
  // kIoError when the port cannot be bound.
  HttpStatus(const std::string& address, DbSettings db, std::int64_t max_backup_age_seconds);
  ~HttpStatus();  // stops the server and joins its thread
  HttpStatus(const HttpStatus&) = delete;
  HttpStatus& operator=(const HttpStatus&) = delete;

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace immich_maint::sidecar
