// In-process gzip for backups: a streaming encoder (ISA-L, fast; zlib, portable) that resets its
// compressor at content-defined points, like Immich's `gzip --rsyncable`, so successive dumps of
// a slowly changing database share most compressed bytes. Output is one plain gzip member.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "sidecar/aligned_bytes.h"
#include "sidecar/content_resets.h"

namespace immich_maint::sidecar {

enum class Compressor { kIsal, kZlib };

// "isal" or "zlib"; anything else: kInvalidArgument `unknown compressor: <name>`.
core::Result<Compressor> ParseCompressor(std::string_view name);
const char* CompressorName(Compressor kind);

struct LevelRange {
  int min = 0;
  int max = 0;
  int default_level = 0;
};
// isal: 0-3, default 2. zlib: 1-9, default 6 (GNU gzip's default, which Immich uses).
LevelRange CompressorLevels(Compressor kind);

// Where compressed bytes go (a file, a pipe, memory). Put may throw core::Failure (e.g. kIoError
// on a full disk); the encoder passes it on and is unusable afterwards.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void Put(const std::uint8_t* data, std::size_t size) = 0;
};

// A ByteSink around a callable, for callers that need no class of their own.
class FunctionSink : public ByteSink {
 public:
  explicit FunctionSink(std::function<void(const std::uint8_t*, std::size_t)> put)
      : put_(std::move(put)) {}
  void Put(const std::uint8_t* data, std::size_t size) override { put_(data, size); }

 private:
  std::function<void(const std::uint8_t*, std::size_t)> put_;
};

struct GzipStats {
  std::uint64_t bytes_in = 0;   // uncompressed bytes written
  std::uint64_t bytes_out = 0;  // compressed bytes handed to the sink
  std::uint64_t resets = 0;     // content-defined full flushes
};

struct GzipSettings {
  Compressor compressor = Compressor::kIsal;
  int level = -1;         // -1: the compressor's default
  bool rsyncable = true;  // false: no resets (smallest file, no dedupe across backups)
  ResetOptions resets;
};

// Streams one gzip member into a sink with bounded memory (two fixed buffers plus the
// compressor's state), whatever the input size. The compressed bytes depend only on the input
// bytes and the settings, never on how the input was split into Write calls.
class GzipEncoder {
 public:
  virtual ~GzipEncoder() = default;
  GzipEncoder(const GzipEncoder&) = delete;
  GzipEncoder& operator=(const GzipEncoder&) = delete;

  // Throws core::Failure: from the sink, or kInternal if called after Finish or after a failure.
  void Write(const void* data, std::size_t size);
  void Write(std::string_view text) { Write(text.data(), text.size()); }
  // Writes the gzip trailer. A second call does nothing.
  void Finish();

  const GzipStats& stats() const { return stats_; }

 protected:
  enum class Flush { kNone, kFull, kFinish };
  GzipEncoder(ByteSink& sink, const GzipSettings& settings);

  // Compresses data (possibly empty) and, for kFull/kFinish, everything buffered before it.
  virtual void Deflate(const std::uint8_t* data, std::size_t size, Flush flush) = 0;
  // Called right after each full flush. A compressor that can, restarts from the input's last
  // 32 KiB as its dictionary: what follows a reset then depends only on those bytes and the
  // input after it, so it still resynchronises, and compresses almost as well as with no reset
  // at all. The default does nothing (a plain full flush).
  virtual void Restart() {}
  // Implementations compress into this buffer and hand each filled part to Emit.
  std::vector<std::uint8_t>& out_buffer() { return out_; }
  void Emit(std::size_t size);

 private:
  enum class State { kOpen, kFinished, kBroken };
  void Stage(const std::uint8_t* data, std::size_t size, bool reset_after);
  void DeflateStaged(Flush flush);

  ByteSink& sink_;
  bool rsyncable_;
  ContentResets resets_;
  AlignedBytes staged_;  // input is fed to the compressor in fixed-size pieces, at a fixed alignment
  std::vector<std::uint8_t> out_;
  GzipStats stats_;
  State state_ = State::kOpen;
};

// Errors: kInvalidArgument for a level outside CompressorLevels(kind).
core::Result<std::unique_ptr<GzipEncoder>> MakeGzipEncoder(const GzipSettings& settings,
                                                           ByteSink& sink);
core::Result<std::unique_ptr<GzipEncoder>> MakeGzipEncoder(Compressor kind, int level,
                                                           ByteSink& sink);

}  // namespace immich_maint::sidecar
