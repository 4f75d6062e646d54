// A ByteSink that gathers small writes into large ones before passing them on. The backup's
// encoder emits ~40 KB at a time; each hand-over to the file and to the verifier thread costs a
// system call and a thread wakeup, so batches of a megabyte save CPU on the backup's critical
// path. Flush passes on what is left; bytes not flushed are never passed on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sidecar/gzip_writer.h"

namespace immich_maint::sidecar {

class BatchingSink : public ByteSink {
 public:
  BatchingSink(ByteSink& next, std::size_t batch_size) : next_(next), batch_size_(batch_size) {
    buffer_.reserve(batch_size);
  }

  void Put(const std::uint8_t* data, std::size_t size) override {
    if (buffer_.empty() && size >= batch_size_) return next_.Put(data, size);
    buffer_.insert(buffer_.end(), data, data + size);
    if (buffer_.size() >= batch_size_) Flush();
  }

  void Flush() {
    if (buffer_.empty()) return;
    next_.Put(buffer_.data(), buffer_.size());
    buffer_.clear();
  }

 private:
  ByteSink& next_;
  std::size_t batch_size_;
  std::vector<std::uint8_t> buffer_;
};

}  // namespace immich_maint::sidecar
