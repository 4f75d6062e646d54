// Verification of a gzip stream while it is written (see stream_verify.h).
#include "sidecar/stream_verify.h"

#include <isa-l/crc.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <istream>
#include <streambuf>

namespace immich_maint::sidecar {

// An input stream buffer that takes its bytes from the verifier's queue, chunk by chunk.
class StreamVerifier::QueueBuffer : public std::streambuf {
 public:
  explicit QueueBuffer(StreamVerifier& owner) : owner_(owner) {}

 protected:
  int_type underflow() override {
    if (!owner_.NextChunk(chunk_)) return traits_type::eof();
    char* begin = reinterpret_cast<char*>(chunk_.data());
    setg(begin, begin, begin + chunk_.size());
    return traits_type::to_int_type(*begin);
  }

 private:
  StreamVerifier& owner_;
  std::vector<std::uint8_t> chunk_;
};

StreamVerifier::StreamVerifier(VerifyOptions options, std::size_t max_queued_bytes)
    : max_bytes_(max_queued_bytes),
      result_(core::MakeError(core::ErrorCode::kInternal, "verification did not finish")),
      thread_([this, options = std::move(options)] { Run(options); }) {}

StreamVerifier::~StreamVerifier() {
  Close();
  thread_.join();
}

void StreamVerifier::Run(VerifyOptions options) {
  QueueBuffer buffer(*this);
  std::istream in(&buffer);
  core::Result<GzipReport> result = core::MakeError(core::ErrorCode::kInternal, "verification failed");
  try {
    result = VerifyGzip(in, options);
  } catch (const std::exception& e) {  // e.g. out of memory: a thread must not throw
    result = core::MakeError(core::ErrorCode::kInternal, std::string("verification failed: ") + e.what());
  }
  std::lock_guard<std::mutex> lock(mutex_);
  result_ = std::move(result);
  stopped_ = true;
  queue_.clear();
  queued_bytes_ = 0;
  changed_.notify_all();
}

bool StreamVerifier::NextChunk(std::vector<std::uint8_t>& chunk) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return closed_ || !queue_.empty(); });
  if (queue_.empty()) return false;
  chunk = std::move(queue_.front());
  queue_.pop_front();
  queued_bytes_ -= chunk.size();
  changed_.notify_all();
  return true;
}

void StreamVerifier::Feed(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return;
  crc_ = crc32_gzip_refl(crc_, data, size);
  bytes_ += size;
  std::vector<std::uint8_t> chunk(data, data + size);
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return stopped_ || queue_.empty() || queued_bytes_ + size <= max_bytes_; });
  if (stopped_) return;  // the verdict is already in; Finish reports it
  queued_bytes_ += size;
  queue_.push_back(std::move(chunk));
  changed_.notify_all();
}

void StreamVerifier::Close() {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
  changed_.notify_all();
}

core::Result<GzipReport> StreamVerifier::Finish() {
  Close();
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return stopped_; });
  return result_;
}

core::Result<bool> FileMatches(const std::string& path, std::uint64_t size, std::uint32_t crc) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buffer(std::size_t{1} << 20);
  std::uint32_t file_crc = 0;
  std::uint64_t file_size = 0;
  while (in && (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0)) {
    const auto n = static_cast<std::size_t>(in.gcount());
    file_crc = crc32_gzip_refl(file_crc, reinterpret_cast<const unsigned char*>(buffer.data()), n);
    file_size += n;
  }
  if (!in.eof() || in.bad()) {
    return core::MakeError(core::ErrorCode::kIoError,
                           "cannot read " + path + ": " + std::strerror(errno));
  }
  return file_size == size && file_crc == crc;
}

}  // namespace immich_maint::sidecar
