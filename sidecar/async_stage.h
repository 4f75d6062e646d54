// Hands byte chunks to a worker thread through a bounded queue, so the producer (the pipe from
// pg_dump) keeps reading while the consumer (compressor and file) works: pg_dump never waits
// for compression, and memory stays bounded by the queue's byte limit.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace immich_maint::sidecar {

class AsyncStage {
 public:
  using Consumer = std::function<void(const std::uint8_t* data, std::size_t size)>;

  explicit AsyncStage(Consumer consume, std::size_t max_queued_bytes = 16 << 20);
  ~AsyncStage();  // stops the worker; chunks not yet consumed are dropped
  AsyncStage(const AsyncStage&) = delete;
  AsyncStage& operator=(const AsyncStage&) = delete;

  // Copies the chunk into the queue; blocks while the queue is full. Rethrows, in the caller's
  // thread, the first exception the consumer threw.
  void Push(const std::uint8_t* data, std::size_t size);
  // Waits until every pushed chunk was consumed; rethrows the consumer's exception.
  void Finish();

 private:
  void Work();
  void RethrowFailure();

  Consumer consume_;
  std::size_t max_bytes_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<std::uint8_t>> queue_;
  std::size_t queued_bytes_ = 0;
  bool busy_ = false;  // the worker holds a chunk
  bool stop_ = false;
  std::exception_ptr failure_;
  std::thread worker_;
};

}  // namespace immich_maint::sidecar
