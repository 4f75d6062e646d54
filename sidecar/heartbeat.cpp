// The heartbeat thread. Connection failures are retried quietly at the next beat: a missed
// beat is harmless, and the run itself reports its own errors.
#include "sidecar/heartbeat.h"

#include <memory>

#include "core/error.h"
#include "sidecar/pg_connection.h"
#include "sidecar/run_queue.h"

namespace immich_maint::sidecar {

Heartbeat::Heartbeat(const DbSettings& db, std::int64_t run_id, std::chrono::milliseconds interval)
    : run_id_(run_id), interval_(interval), thread_([this, db] { Loop(db); }) {}

Heartbeat::~Heartbeat() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Heartbeat::Loop(DbSettings db) {
  std::unique_ptr<PgConnection> conn;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stop_; })) {
    lock.unlock();
    try {
      if (!conn) conn = std::make_unique<PgConnection>(db, "immich-maintd-heartbeat");
      BeatRun(*conn, run_id_, progress_.load());
    } catch (const std::exception&) {
      conn.reset();
    }
    lock.lock();
  }
}

}  // namespace immich_maint::sidecar
