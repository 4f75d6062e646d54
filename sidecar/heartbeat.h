// While a run works, a thread with its own connection updates job_run.heartbeat_at and
// progress every few seconds, so the launcher can tell a working sidecar from a dead one.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "sidecar/db_settings.h"

namespace immich_maint::sidecar {

class Heartbeat {
 public:
  Heartbeat(const DbSettings& db, std::int64_t run_id,
            std::chrono::milliseconds interval = std::chrono::seconds(5));
  ~Heartbeat();  // stops and joins the thread
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  void SetProgress(double fraction) { progress_.store(fraction); }

 private:
  void Loop(DbSettings db);

  std::int64_t run_id_;
  std::chrono::milliseconds interval_;
  std::atomic<double> progress_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace immich_maint::sidecar
