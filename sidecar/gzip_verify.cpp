// gzip verification: parses each member's header and trailer itself and inflates the deflate
// data with zlib (or ISA-L, for our own fresh backups), so every failure can name the compressed
// offset where it was found. Memory is two fixed buffers and the inflater's window, whatever the
// file size.
#include "sidecar/gzip_verify.h"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "core/text_affix.h"

namespace immich_maint::sidecar {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::StartsWith;

constexpr std::size_t kReadBufferSize = std::size_t{256} * 1024;
constexpr std::size_t kOutBufferSize = std::size_t{256} * 1024;

// gzip header flag bits (RFC 1952).
constexpr int kFlagHeaderCrc = 0x02;
constexpr int kFlagExtra = 0x04;
constexpr int kFlagName = 0x08;
constexpr int kFlagComment = 0x10;
constexpr int kFlagReserved = 0xE0;

[[noreturn]] void Corrupt(const std::string& message, const std::string& detail = {}) {
  throw core::Failure(MakeError(ErrorCode::kCorruptBackup, message, detail,
                                "Do not restore this file; use another backup."));
}

[[noreturn]] void Truncated(std::uint64_t offset) {
  Corrupt("truncated gzip data at offset " + std::to_string(offset),
          "The file ends before its last gzip member is complete.");
}

std::string Hex32(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "%08x", value);
  return text;
}

// Buffered reader that knows the compressed offset of its next byte. The last kKeep bytes
// read stay in front of the buffer, so up to kKeep consumed bytes can be given back.
class Input {
 public:
  static constexpr std::size_t kKeep = 8;

  Input(std::istream& in, const std::function<void(std::uint64_t)>& progress)
      : in_(in), progress_(progress), buffer_(kKeep + kReadBufferSize) {}

  // True if a byte is available, reading more when the buffer is empty; false at end of data.
  bool Available() {
    if (pos_ < end_) return true;
    const std::size_t keep = std::min(kKeep, end_);
    std::copy(buffer_.begin() + static_cast<std::ptrdiff_t>(end_ - keep),
              buffer_.begin() + static_cast<std::ptrdiff_t>(end_), buffer_.begin());
    in_.read(reinterpret_cast<char*>(buffer_.data() + keep),
             static_cast<std::streamsize>(kReadBufferSize));
    if (in_.bad()) {
      throw core::Failure(MakeError(ErrorCode::kIoError, "could not read backup data",
                                    std::string(std::strerror(errno)) + "."));
    }
    const auto got = static_cast<std::size_t>(in_.gcount());
    pos_ = keep;
    end_ = keep + got;
    read_ += got;
    if (got > 0 && progress_) progress_(read_);
    return got > 0;
  }

  std::uint8_t Byte() {
    if (!Available()) Truncated(offset());
    return buffer_[pos_++];
  }
  void Skip(std::size_t count) {
    for (; count > 0; --count) Byte();
  }

  const std::uint8_t* data() const { return buffer_.data() + pos_; }
  std::size_t size() const { return end_ - pos_; }
  void Consume(std::size_t count) { pos_ += count; }
  void Unconsume(std::size_t count) { pos_ -= std::min(count, pos_); }  // count <= kKeep
  std::uint64_t offset() const { return read_ - (end_ - pos_); }

 private:
  std::istream& in_;
  const std::function<void(std::uint64_t)>& progress_;
  std::vector<std::uint8_t> buffer_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  std::uint64_t read_ = 0;
};

// Keeps the first and the last few KB of the decompressed stream.
class TextWindows {
 public:
  TextWindows(std::size_t head_limit, std::size_t tail_limit,
              const std::function<void(const std::uint8_t*, std::size_t)>& on_data)
      : head_limit_(head_limit), tail_limit_(tail_limit), on_data_(on_data) {}

  void Add(const std::uint8_t* data, std::size_t size) {
    if (on_data_ && size > 0) on_data_(data, size);
    const char* text = reinterpret_cast<const char*>(data);
    if (head.size() < head_limit_) head.append(text, std::min(size, head_limit_ - head.size()));
    if (size >= tail_limit_) {
      tail.assign(text + size - tail_limit_, tail_limit_);
      return;
    }
    tail.append(text, size);
    if (tail.size() > tail_limit_) tail.erase(0, tail.size() - tail_limit_);
  }

  std::string head;
  std::string tail;

 private:
  std::size_t head_limit_;
  std::size_t tail_limit_;
  const std::function<void(const std::uint8_t*, std::size_t)>& on_data_;
};

[[noreturn]] void BadMemberStart(bool first, std::uint64_t offset) {
  if (first) Corrupt("not a gzip file", "It does not start with the gzip magic bytes 1f 8b.");
  Corrupt("trailing garbage at offset " + std::to_string(offset),
          "The data after the last complete gzip member is not another gzip member.");
}

void SkipZeroTerminated(Input& input) {
  while (input.Byte() != 0) {
  }
}

// Reads one member header (RFC 1952 section 2.3). The optional header CRC is skipped, not
// checked: the data CRC in the trailer is what protects the dump.
void ReadMemberHeader(Input& input, bool first) {
  const std::uint64_t start = input.offset();
  if (input.Byte() != 0x1f) BadMemberStart(first, start);
  if (input.Byte() != 0x8b) BadMemberStart(first, start);
  const int method = input.Byte();
  if (method != 8) {
    Corrupt("unsupported gzip compression method " + std::to_string(method) + " at offset " +
            std::to_string(start + 2));
  }
  const int flags = input.Byte();
  if (flags & kFlagReserved) {
    Corrupt("invalid gzip header flags at offset " + std::to_string(start + 3));
  }
  input.Skip(6);  // modification time, extra flags, operating system
  if (flags & kFlagExtra) {
    const std::size_t length = input.Byte();
    input.Skip(length | static_cast<std::size_t>(input.Byte()) << 8);
  }
  if (flags & kFlagName) SkipZeroTerminated(input);
  if (flags & kFlagComment) SkipZeroTerminated(input);
  if (flags & kFlagHeaderCrc) input.Skip(2);
}

struct MemberSums {
  std::uint32_t crc = 0;
  std::uint64_t length = 0;
};

// Counts what an inflater produced into the member's sums and the text windows.
void Account(const std::uint8_t* out, std::size_t produced, MemberSums& sums, TextWindows& text) {
  sums.crc = crc32_gzip_refl(sums.crc, out, produced);
  sums.length += produced;
  text.Add(out, produced);
}

// Inflates one member's raw deflate data, summing its CRC32 and length.
class Inflater {
 public:
  virtual ~Inflater() = default;
  virtual MemberSums Member(Input& input, TextWindows& text) = 0;
};

// zlib's inflate: the reference, for any file.
class ZlibInflater : public Inflater {
 public:
  ZlibInflater() : out_(kOutBufferSize) {
    if (inflateInit2(&stream_, -15) != Z_OK) {
      throw core::Failure(MakeError(ErrorCode::kInternal, "inflateInit2 failed"));
    }
  }
  ~ZlibInflater() override { inflateEnd(&stream_); }
  ZlibInflater(const ZlibInflater&) = delete;
  ZlibInflater& operator=(const ZlibInflater&) = delete;

  MemberSums Member(Input& input, TextWindows& text) override {
    inflateReset(&stream_);
    MemberSums sums;
    while (!Step(input, text, sums)) {
    }
    return sums;
  }

 private:
  // One inflate call on what the input buffer holds; true at the end of the deflate data.
  bool Step(Input& input, TextWindows& text, MemberSums& sums) {
    if (!input.Available()) Truncated(input.offset());
    stream_.next_in = const_cast<Bytef*>(input.data());  // zlib does not write through next_in
    stream_.avail_in = static_cast<uInt>(input.size());
    stream_.next_out = out_.data();
    stream_.avail_out = static_cast<uInt>(out_.size());
    const int rc = inflate(&stream_, Z_NO_FLUSH);
    input.Consume(input.size() - stream_.avail_in);
    Account(out_.data(), out_.size() - stream_.avail_out, sums, text);
    if (rc == Z_STREAM_END) return true;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      Corrupt("invalid deflate data at offset " + std::to_string(input.offset()),
              std::string("zlib says: ") +
                  (stream_.msg ? stream_.msg : "error " + std::to_string(rc)) + ".");
    }
    return false;
  }

  z_stream stream_{};
  std::vector<std::uint8_t> out_;
};

const char* IsalError(int rc) {
  switch (rc) {
    case ISAL_INVALID_BLOCK: return "invalid block";
    case ISAL_INVALID_SYMBOL: return "invalid symbol";
    case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
    default: return "error";
  }
}

// ISA-L's inflate, about twice as fast as zlib's: for streams our own encoder just wrote.
class IsalInflater : public Inflater {
 public:
  IsalInflater() : state_(std::make_unique<inflate_state>()), out_(kOutBufferSize) {}

  MemberSums Member(Input& input, TextWindows& text) override {
    isal_inflate_init(state_.get());
    state_->crc_flag = ISAL_DEFLATE;
    MemberSums sums;
    while (!Step(input, text, sums)) {
    }
    return sums;
  }

 private:
  // One isal_inflate call; true at the end of the deflate data. ISA-L may read up to 8 bytes
  // past that end into its bit buffer: those are given back to the input (the trailer).
  bool Step(Input& input, TextWindows& text, MemberSums& sums) {
    const bool more = input.Available();
    const std::size_t size = more ? input.size() : 0;
    state_->next_in = const_cast<std::uint8_t*>(input.data());  // ISA-L only reads it
    state_->avail_in = static_cast<std::uint32_t>(size);
    state_->next_out = out_.data();
    state_->avail_out = static_cast<std::uint32_t>(out_.size());
    const int rc = isal_inflate(state_.get());
    input.Consume(size - state_->avail_in);
    const std::size_t produced = out_.size() - state_->avail_out;
    Account(out_.data(), produced, sums, text);
    if (rc < 0) {
      Corrupt("invalid deflate data at offset " + std::to_string(input.offset()),
              std::string("ISA-L says: ") + IsalError(rc) + ".");
    }
    if (state_->block_state == ISAL_BLOCK_FINISH) {
      input.Unconsume(static_cast<std::size_t>(state_->read_in_length) / 8);
      return true;
    }
    if (!more && produced == 0) Truncated(input.offset());
    return false;
  }

  std::unique_ptr<inflate_state> state_;
  std::vector<std::uint8_t> out_;
};

std::uint32_t ReadLittleEndian32(Input& input) {
  std::uint32_t value = 0;
  for (int shift = 0; shift < 32; shift += 8) value |= std::uint32_t{input.Byte()} << shift;
  return value;
}

void CheckTrailer(Input& input, const MemberSums& sums) {
  const std::uint32_t stored_crc = ReadLittleEndian32(input);
  const std::uint32_t stored_length = ReadLittleEndian32(input);
  const std::string end = std::to_string(input.offset());
  if (stored_crc != sums.crc) {
    Corrupt("CRC mismatch in member ending at offset " + end,
            "The trailer stores CRC32 " + Hex32(stored_crc) + "; the data has " + Hex32(sums.crc) +
                ".");
  }
  if (stored_length != static_cast<std::uint32_t>(sums.length)) {
    Corrupt("length mismatch in member ending at offset " + end,
            "The trailer stores " + std::to_string(stored_length) +
                " bytes (modulo 2^32); the data has " + std::to_string(sums.length) + ".");
  }
}

GzipReport VerifyStream(std::istream& in, const VerifyOptions& options) {
  Input input(in, options.progress);
  std::unique_ptr<Inflater> inflater;
  if (options.fast_inflate) {
    inflater = std::make_unique<IsalInflater>();
  } else {
    inflater = std::make_unique<ZlibInflater>();
  }
  TextWindows text(options.head_bytes, options.tail_bytes, options.on_data);
  GzipReport report;
  if (!input.Available()) Corrupt("not a gzip file", "The file is empty.");
  do {
    ReadMemberHeader(input, report.members == 0);
    const MemberSums sums = inflater->Member(input, text);
    CheckTrailer(input, sums);
    ++report.members;
    report.uncompressed_bytes += sums.length;
  } while (input.Available());
  report.compressed_bytes = input.offset();
  report.head = std::move(text.head);
  report.tail = std::move(text.tail);
  return report;
}

// Lines of a dump excerpt, without "\n" or a trailing "\r". The head's last line is dropped
// when unterminated: it was cut at head_bytes and could hold half a version number.
std::vector<std::string_view> SplitLines(std::string_view text, bool keep_unterminated) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    if (end == std::string_view::npos && !keep_unterminated) break;
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }
  return lines;
}

std::string FirstWordAfter(const std::vector<std::string_view>& lines, std::string_view prefix) {
  for (std::string_view line : lines) {
    if (!StartsWith(line, prefix)) continue;
    line.remove_prefix(prefix.size());
    return std::string(line.substr(0, line.find(' ')));
  }
  return {};
}

constexpr std::string_view kDatabaseTitle = "-- PostgreSQL database dump";
constexpr std::string_view kClusterTitle = "-- PostgreSQL database cluster dump";
constexpr std::string_view kDatabaseComplete = "-- PostgreSQL database dump complete";
constexpr std::string_view kClusterComplete = "-- PostgreSQL database cluster dump complete";

// A cluster dump holds pg_dump sections too, so its own title is looked for first.
DumpKind KindFromHead(const std::vector<std::string_view>& lines) {
  for (std::string_view line : lines) {
    if (line == kClusterTitle) return DumpKind::kCluster;
  }
  for (std::string_view line : lines) {
    if (line == kDatabaseTitle) return DumpKind::kDatabase;
  }
  return DumpKind::kUnknown;
}

// pg_dump and pg_dumpall end with the completion line, then "--", blank lines and (since the
// 2025 minor releases) psql's "\unrestrict <key>". Anything else after it means the text
// merely mentions the line, for example inside a table's data.
bool EndsComplete(const std::vector<std::string_view>& lines, DumpKind kind) {
  for (auto line = lines.rbegin(); line != lines.rend(); ++line) {
    if (line->empty() || *line == "--" || StartsWith(*line, "\\unrestrict ")) continue;
    if (kind == DumpKind::kDatabase) return *line == kDatabaseComplete;
    if (kind == DumpKind::kCluster) return *line == kClusterComplete;
    return *line == kDatabaseComplete || *line == kClusterComplete;
  }
  return false;
}

}  // namespace

core::Result<GzipReport> VerifyGzip(std::istream& in, const VerifyOptions& options) {
  try {
    return VerifyStream(in, options);
  } catch (const core::Failure& failure) {
    return failure.error();
  }
}

core::Result<GzipReport> VerifyGzipFile(const std::string& path, const VerifyOptions& options) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return MakeError(ErrorCode::kNotFound, "backup file not found: " + path);
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return MakeError(ErrorCode::kIoError, "could not open " + path,
                     std::string(std::strerror(errno)) + ".");
  }
  return VerifyGzip(file, options);
}

const char* DumpKindName(DumpKind kind) {
  switch (kind) {
    case DumpKind::kDatabase:
      return "database";
    case DumpKind::kCluster:
      return "cluster";
    default:
      return "unknown";
  }
}

DumpInfo InspectDumpText(std::string_view head, std::string_view tail) {
  const std::vector<std::string_view> head_lines = SplitLines(head, false);
  DumpInfo info;
  info.kind = KindFromHead(head_lines);
  info.server_version = FirstWordAfter(head_lines, "-- Dumped from database version ");
  info.pg_dump_version = FirstWordAfter(head_lines, "-- Dumped by pg_dump version ");
  info.complete = EndsComplete(SplitLines(tail, true), info.kind);
  return info;
}

}  // namespace immich_maint::sidecar
