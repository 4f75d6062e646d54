// The gzip encoder: content-defined resets and fixed-size staging in the base class, and two
// compressors behind it (ISA-L for speed; zlib, portable and with levels up to 9). Both write
// one standard gzip member with no name and a zero time stamp: identical input, identical bytes.
#include "sidecar/gzip_writer.h"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include <algorithm>
#include <new>
#include <string>

namespace immich_maint::sidecar {
namespace {

using core::ErrorCode;
using core::MakeError;

// Input reaches the compressor in pieces of this size, cut at fixed offsets from the last reset.
// Without this, the bytes ISA-L emits would depend on how pg_dump's pipe happened to split its
// output, and two identical dumps could compress differently.
constexpr std::size_t kPieceSize = std::size_t{128} * 1024;
constexpr std::size_t kOutBufferSize = std::size_t{256} * 1024;
constexpr std::size_t kHistorySize = std::size_t{32} * 1024;  // deflate's window

[[noreturn]] void ThrowInternal(const std::string& message) {
  throw core::Failure(MakeError(ErrorCode::kInternal, message));
}

std::uint32_t IsalLevelBufferSize(int level) {
  switch (level) {
    case 1:
      return ISAL_DEF_LVL1_DEFAULT;
    case 2:
      return ISAL_DEF_LVL2_DEFAULT;
    case 3:
      return ISAL_DEF_LVL3_DEFAULT;
    default:
      return 0;
  }
}

// ISA-L writes raw deflate; the gzip header and trailer are ours, because every reset
// restarts ISA-L's stream (Restart), and its own trailer would cover only the last piece.
class IsalEncoder final : public GzipEncoder {
 public:
  IsalEncoder(ByteSink& sink, const GzipSettings& settings, int level)
      : GzipEncoder(sink, settings),
        stream_storage_(sizeof(isal_zstream) + kStreamSlack),
        level_(static_cast<std::uint32_t>(level)),
        level_buf_(IsalLevelBufferSize(level)) {
    stream_storage_.FillZero();
    stream_ = new (stream_storage_.data()) isal_zstream();
    isal_deflate_init(stream_);
    Configure();
  }

 protected:
  void Deflate(const std::uint8_t* data, std::size_t size, Flush flush) override {
    if (!header_written_) EmitHeader();
    crc_ = crc32_gzip_refl(crc_, data, size);
    length_ += size;
    KeepHistory(data, size);
    isal_zstream& s = *stream_;
    s.next_in = const_cast<std::uint8_t*>(data);  // ISA-L's API is not const-correct
    s.avail_in = static_cast<std::uint32_t>(size);
    s.flush = flush == Flush::kFull ? FULL_FLUSH : NO_FLUSH;
    s.end_of_stream = flush == Flush::kFinish ? 1 : 0;
    while (!Step(flush)) {
    }
    if (flush == Flush::kFinish) EmitTrailer();
  }

  // A fresh stream, so that ISA-L's state (its positions count from the stream's start) is
  // the same at every reset point whatever came before, with the history as its dictionary.
  void Restart() override {
    isal_deflate_reset(stream_);
    Configure();
    const int rc = isal_deflate_set_dict(stream_, history_.data(),
                                         static_cast<std::uint32_t>(history_.size()));
    if (rc != COMP_OK) ThrowInternal("isal_deflate_set_dict failed with code " + std::to_string(rc));
  }

 private:
  void Configure() {
    stream_->level = level_;
    stream_->gzip_flag = IGZIP_DEFLATE;
    if (!level_buf_.empty()) {
      stream_->level_buf = level_buf_.data();
      stream_->level_buf_size = static_cast<std::uint32_t>(level_buf_.size());
    }
  }

  // The input's last kHistorySize bytes (deflate's window), the dictionary for Restart.
  void KeepHistory(const std::uint8_t* data, std::size_t size) {
    if (size >= kHistorySize) {
      history_.assign(data + size - kHistorySize, data + size);
      return;
    }
    const std::size_t keep = std::min(history_.size(), kHistorySize - size);
    history_.erase(history_.begin(), history_.end() - static_cast<std::ptrdiff_t>(keep));
    history_.insert(history_.end(), data, data + size);
  }

  // RFC 1952: deflate, no flags, no time stamp, no extra flags, OS "unknown" (as ISA-L writes).
  void EmitHeader() {
    static constexpr std::uint8_t kHeader[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
    std::copy(std::begin(kHeader), std::end(kHeader), out_buffer().begin());
    Emit(sizeof kHeader);
    header_written_ = true;
  }

  // CRC32 and length modulo 2^32, little-endian.
  void EmitTrailer() {
    std::vector<std::uint8_t>& out = out_buffer();
    const std::uint32_t length = static_cast<std::uint32_t>(length_);
    for (int i = 0; i < 4; ++i) {
      out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(crc_ >> (8 * i));
      out[static_cast<std::size_t>(4 + i)] = static_cast<std::uint8_t>(length >> (8 * i));
    }
    Emit(8);
  }

  // One isal_deflate call into a fresh output buffer; true once the requested flush is done.
  bool Step(Flush flush) {
    isal_zstream& s = *stream_;
    std::vector<std::uint8_t>& out = out_buffer();
    const std::uint32_t avail_in_before = s.avail_in;
    s.next_out = out.data();
    s.avail_out = static_cast<std::uint32_t>(out.size());
    const int rc = isal_deflate(&s);
    if (rc != COMP_OK) ThrowInternal("isal_deflate failed with code " + std::to_string(rc));
    const std::size_t produced = out.size() - s.avail_out;
    Emit(produced);
    const bool done = flush == Flush::kFinish ? s.internal_state.state == ZSTATE_END
                                              : s.avail_in == 0 && s.avail_out > 0;
    // A stalled library must fail loudly, not spin: a backup would hang holding pg_dump's locks.
    if (!done && produced == 0 && s.avail_in == avail_in_before) {
      ThrowInternal("isal_deflate made no progress");
    }
    return done;
  }

  // ISA-L's state (~100 KB) at a fixed alignment with zeroed bytes after it: under
  // AddressSanitizer, where allocations land at ever new addresses, the compressed bytes of the
  // same input differed in 1 of 300 runs until it was so placed (tests/fuzz/README.md).
  static constexpr std::size_t kStreamSlack = 4096;
  AlignedBytes stream_storage_;
  isal_zstream* stream_ = nullptr;  // in stream_storage_; trivially destructible
  std::uint32_t level_;
  std::vector<std::uint8_t> level_buf_;
  std::vector<std::uint8_t> history_;
  bool header_written_ = false;
  std::uint32_t crc_ = 0;
  std::uint64_t length_ = 0;
};

class ZlibEncoder final : public GzipEncoder {
 public:
  ZlibEncoder(ByteSink& sink, const GzipSettings& settings, int level)
      : GzipEncoder(sink, settings) {
    // windowBits 15 + 16 asks zlib for a gzip wrapper instead of a zlib one.
    if (deflateInit2(&stream_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      ThrowInternal("deflateInit2 failed");
    }
  }
  ~ZlibEncoder() override { deflateEnd(&stream_); }

 protected:
  void Deflate(const std::uint8_t* data, std::size_t size, Flush flush) override {
    stream_.next_in = const_cast<Bytef*>(data);  // zlib does not write through next_in
    stream_.avail_in = static_cast<uInt>(size);
    const int mode = flush == Flush::kFinish ? Z_FINISH
                     : flush == Flush::kFull ? Z_FULL_FLUSH
                                             : Z_NO_FLUSH;
    while (!Step(mode)) {
    }
  }

 private:
  bool Step(int mode) {
    std::vector<std::uint8_t>& out = out_buffer();
    stream_.next_out = out.data();
    stream_.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&stream_, mode);
    // Z_BUF_ERROR only means "nothing to do this call"; it is not a failure.
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      ThrowInternal("zlib deflate failed with code " + std::to_string(rc));
    }
    Emit(out.size() - stream_.avail_out);
    if (mode == Z_FINISH) return rc == Z_STREAM_END;
    return stream_.avail_in == 0 && stream_.avail_out > 0;
  }

  z_stream stream_{};
};

std::unique_ptr<GzipEncoder> NewEncoder(const GzipSettings& settings, int level, ByteSink& sink) {
  if (settings.compressor == Compressor::kIsal) {
    return std::make_unique<IsalEncoder>(sink, settings, level);
  }
  return std::make_unique<ZlibEncoder>(sink, settings, level);
}

}  // namespace

core::Result<Compressor> ParseCompressor(std::string_view name) {
  if (name == "isal") return Compressor::kIsal;
  if (name == "zlib") return Compressor::kZlib;
  return MakeError(ErrorCode::kInvalidArgument, "unknown compressor: " + std::string(name), "",
                   "Valid compressors are isal and zlib.");
}

const char* CompressorName(Compressor kind) { return kind == Compressor::kIsal ? "isal" : "zlib"; }

LevelRange CompressorLevels(Compressor kind) {
  // ISA-L level 2 (bench/backup, 506 MB dump, 2 cores): a file 0.2% smaller than Immich's
  // `gzip --rsyncable` in 1.06x the time of pg_dump alone. Level 3 is 1.1% smaller still but
  // costs ~0.5 s more CPU, which on 2 cores is wall time (1.13x); level 1 is 0.7% larger than
  // gzip's.
  if (kind == Compressor::kIsal) return {0, ISAL_DEF_MAX_LEVEL, 2};
  return {1, 9, 6};
}

GzipEncoder::GzipEncoder(ByteSink& sink, const GzipSettings& settings)
    : sink_(sink),
      rsyncable_(settings.rsyncable),
      resets_(settings.resets),
      staged_(kPieceSize),
      out_(kOutBufferSize) {}

void GzipEncoder::Write(const void* data, std::size_t size) {
  if (state_ != State::kOpen) ThrowInternal("gzip encoder written after finish or failure");
  state_ = State::kBroken;  // until this call completes: a throw below leaves it broken
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  stats_.bytes_in += size;
  while (size > 0) {
    const ResetStep step = rsyncable_ ? resets_.Next(bytes, size) : ResetStep{size, false};
    Stage(bytes, step.length, step.reset_after);
    bytes += step.length;
    size -= step.length;
  }
  state_ = State::kOpen;
}

void GzipEncoder::Finish() {
  if (state_ == State::kFinished) return;
  if (state_ != State::kOpen) ThrowInternal("gzip encoder finished after a failure");
  state_ = State::kBroken;
  DeflateStaged(Flush::kFinish);
  state_ = State::kFinished;
}

// Appends to the staging buffer, compressing each full piece; a reset flushes whatever is
// staged (never empty: a reset always follows at least one byte of this step).
void GzipEncoder::Stage(const std::uint8_t* data, std::size_t size, bool reset_after) {
  while (size > 0) {
    if (staged_.room() == 0) DeflateStaged(Flush::kNone);
    const std::size_t taken = staged_.Append(data, size);
    data += taken;
    size -= taken;
  }
  if (reset_after) {
    DeflateStaged(Flush::kFull);
    Restart();
    ++stats_.resets;
  }
}

void GzipEncoder::DeflateStaged(Flush flush) {
  Deflate(staged_.data(), staged_.size(), flush);
  staged_.Clear();
}

void GzipEncoder::Emit(std::size_t size) {
  if (size == 0) return;
  sink_.Put(out_.data(), size);
  stats_.bytes_out += size;
}

core::Result<std::unique_ptr<GzipEncoder>> MakeGzipEncoder(const GzipSettings& settings,
                                                           ByteSink& sink) {
  const LevelRange range = CompressorLevels(settings.compressor);
  const int level = settings.level == -1 ? range.default_level : settings.level;
  const std::string name = CompressorName(settings.compressor);
  if (level < range.min || level > range.max) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "invalid compression level " + std::to_string(level) + " for " + name, "",
                     "Use a level from " + std::to_string(range.min) + " to " +
                         std::to_string(range.max) + " for " + name + " (default " +
                         std::to_string(range.default_level) + ").");
  }
  try {
    return NewEncoder(settings, level, sink);
  } catch (const core::Failure& failure) {
    return failure.error();
  }
}

core::Result<std::unique_ptr<GzipEncoder>> MakeGzipEncoder(Compressor kind, int level,
                                                           ByteSink& sink) {
  GzipSettings settings;
  settings.compressor = kind;
  settings.level = level;
  return MakeGzipEncoder(settings, sink);
}

}  // namespace immich_maint::sidecar
