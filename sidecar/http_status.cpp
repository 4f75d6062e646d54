// /healthz and /metrics over cpp-httplib.
#include "sidecar/http_status.h"

#include <httplib.h>

#include <ctime>

#include "core/error.h"
#include "sidecar/status_report.h"

namespace immich_maint::sidecar {

namespace {

std::pair<std::string, int> ParseAddress(const std::string& address) {
  const auto colon = address.rfind(':');
  const std::string port_text = colon == std::string::npos ? "" : address.substr(colon + 1);
  const bool numeric = !port_text.empty() && port_text.find_first_not_of("0123456789") == std::string::npos;
  const int port = numeric && port_text.size() <= 5 ? std::stoi(port_text) : 0;
  if (port < 1 || port > 65535 || colon == 0) {
    throw core::Failure(core::MakeError(core::ErrorCode::kInvalidArgument,
                                        "invalid --http address: " + address, {},
                                        "Use host:port, e.g. 127.0.0.1:9431 or 0.0.0.0:9431."));
  }
  return {address.substr(0, colon), port};
}

void Routes(httplib::Server& server, const DbSettings& db, std::int64_t max_age) {
  server.Get("/healthz", [db, max_age](const httplib::Request&, httplib::Response& response) {
    const std::int64_t now = std::time(nullptr);
    const StatusFacts facts = GatherStatus(db);
    const Health health = JudgeHealth(facts, now, max_age);
    response.status = health.healthy ? 200 : 503;
    response.set_content(HealthJson(health, facts, now), "application/json");
  });
  server.Get("/metrics", [db](const httplib::Request&, httplib::Response& response) {
    response.set_content(RenderMetrics(GatherStatus(db)), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace

HttpStatus::HttpStatus(const std::string& address, DbSettings db, std::int64_t max_backup_age_seconds)
    : server_(std::make_unique<httplib::Server>()) {
  const auto [host, port] = ParseAddress(address);
  Routes(*server_, db, max_backup_age_seconds);
  if (!server_->bind_to_port(host, port)) {
    throw core::Failure(core::MakeError(core::ErrorCode::kIoError, "cannot listen on " + address,
                                        "The port may be in use, or the address is not local."));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

HttpStatus::~HttpStatus() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace immich_maint::sidecar
