// Producer/consumer queue for the backup pipeline.
#include "sidecar/async_stage.h"

namespace immich_maint::sidecar {

AsyncStage::AsyncStage(Consumer consume, std::size_t max_queued_bytes)
    : consume_(std::move(consume)), max_bytes_(max_queued_bytes), worker_([this] { Work(); }) {}

AsyncStage::~AsyncStage() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void AsyncStage::RethrowFailure() {
  if (failure_) std::rethrow_exception(failure_);
}

void AsyncStage::Push(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> chunk(data, data + size);
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return failure_ || queued_bytes_ + size <= max_bytes_ || queue_.empty(); });
  RethrowFailure();
  queued_bytes_ += size;
  queue_.push_back(std::move(chunk));
  changed_.notify_all();
}

void AsyncStage::Finish() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return failure_ || (queue_.empty() && !busy_); });
  RethrowFailure();
}

void AsyncStage::Work() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return stop_ || (!queue_.empty() && !failure_); });
    if (stop_) return;
    std::vector<std::uint8_t> chunk = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    std::exception_ptr failure;
    try {
      consume_(chunk.data(), chunk.size());
    } catch (...) {
      failure = std::current_exception();
    }
    lock.lock();
    busy_ = false;
    queued_bytes_ -= chunk.size();
    if (failure) failure_ = failure;
    changed_.notify_all();
  }
}

}  // namespace immich_maint::sidecar
