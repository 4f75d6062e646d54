// Verifies a gzip stream while it is being written: the compressed bytes a backup writes are
// also fed, through a bounded queue, to VerifyGzip on a thread of its own, so decompressing every
// member (CRC32, length, dump completion line) overlaps with pg_dump instead of following it.
// A checksum of the fed bytes then proves that the file on disk holds exactly what was verified
// (see FileMatches), which costs a read of the compressed file instead of a second inflate.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sidecar/gzip_verify.h"

namespace immich_maint::sidecar {

class StreamVerifier {
 public:
  explicit StreamVerifier(VerifyOptions options = {}, std::size_t max_queued_bytes = 8 << 20);
  ~StreamVerifier();  // ends the stream and joins the thread; a pending result is dropped
  StreamVerifier(const StreamVerifier&) = delete;
  StreamVerifier& operator=(const StreamVerifier&) = delete;

  // Copies the bytes into the queue; blocks while it is full. Once the verifier has stopped
  // (a corrupt stream), bytes are dropped: Finish reports why.
  void Feed(const std::uint8_t* data, std::size_t size);
  // Ends the stream and returns the verdict on everything fed (VerifyGzip's errors).
  core::Result<GzipReport> Finish();

  // Checksum (CRC32) and count of every byte fed so far.
  std::uint32_t crc() const { return crc_; }
  std::uint64_t bytes() const { return bytes_; }

 private:
  class QueueBuffer;
  void Run(VerifyOptions options);
  bool NextChunk(std::vector<std::uint8_t>& chunk);  // false at the end of the stream
  void Close();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<std::uint8_t>> queue_;
  std::size_t queued_bytes_ = 0;
  std::size_t max_bytes_;
  bool closed_ = false;   // no more Feed
  bool stopped_ = false;  // the verifier thread is done reading
  std::uint32_t crc_ = 0;
  std::uint64_t bytes_ = 0;
  core::Result<GzipReport> result_;
  std::thread thread_;
};

// True when the file at path has exactly `size` bytes with CRC32 `crc`; kIoError if unreadable.
core::Result<bool> FileMatches(const std::string& path, std::uint64_t size, std::uint32_t crc);

}  // namespace immich_maint::sidecar
