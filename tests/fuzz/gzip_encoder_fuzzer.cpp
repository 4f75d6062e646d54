// libFuzzer target for the backup's gzip encoder (GzipEncoder with content-defined resets).
// The input, repeated with small edits into up to 256 KB of text, is compressed with a
// compressor, level and reset spacing picked by the input's hash (resets every few hundred
// bytes, so ISA-L restarts from its dictionary many times per input). Invariants:
//   - zlib's gunzip gives back exactly the text, from exactly one gzip member;
//   - VerifyGzip (zlib and ISA-L inflate) accepts it, with the text's length;
//   - the same holds when the text arrives in pieces of random sizes;
//   - the stats count what went in and out, and one reset per point FindResetOffsets finds.
// Not checked here: that pieces give the very same bytes as one Write (the unit test
// OutputDoesNotDependOnWriteChunking does). Under AddressSanitizer, whose allocations land at
// ever new addresses, ISA-L's output for the same input sometimes differs (README.md).
#include <zlib.h>

#include <sstream>
#include <string>
#include <string_view>

#include "sidecar/content_resets.h"
#include "sidecar/gzip_verify.h"
#include "sidecar/gzip_writer.h"
#include "tests/fuzz/fuzz_check.h"

namespace sidecar = immich_maint::sidecar;
using immich_maint::fuzz::InputHash;

namespace {

struct Output {
  std::string bytes;
  sidecar::GzipStats stats;
};

// The input repeated, each copy with one byte changed: long enough for many resets, and
// repetitive, so matches reach back across reset points into the dictionary.
std::string Text(std::string_view data, InputHash& hash) {
  std::string text;
  if (data.empty()) return text;
  const auto copies = static_cast<std::size_t>(hash.Between(1, 256 * 1024 / data.size() + 1));
  for (std::size_t i = 0; i < copies && text.size() < 256 * 1024; ++i) {
    std::string copy(data);
    copy[hash.Next() % copy.size()] = static_cast<char>(hash.Next());
    text += copy;
  }
  return text;
}

sidecar::GzipSettings Settings(InputHash& hash) {
  sidecar::GzipSettings settings;
  settings.compressor = hash.Between(0, 3) == 0 ? sidecar::Compressor::kZlib
                                                : sidecar::Compressor::kIsal;
  const sidecar::LevelRange range = sidecar::CompressorLevels(settings.compressor);
  settings.level = static_cast<int>(hash.Between(range.min, range.max));
  settings.rsyncable = hash.Between(0, 7) != 0;
  settings.resets.min_distance = static_cast<std::uint64_t>(hash.Between(64, 4096));
  settings.resets.mask_bits = static_cast<unsigned>(hash.Between(1, 12));
  return settings;
}

// max_chunk 0: one Write.
Output Compress(const std::string& text, const sidecar::GzipSettings& settings,
                std::size_t max_chunk, InputHash& hash) {
  Output out;
  sidecar::FunctionSink sink([&](const std::uint8_t* data, std::size_t size) {
    out.bytes.append(reinterpret_cast<const char*>(data), size);
  });
  auto encoder = sidecar::MakeGzipEncoder(settings, sink);
  FUZZ_CHECK(encoder.ok(), "%s", encoder.error().message.c_str());
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t chunk = max_chunk == 0 ? text.size() : 1 + hash.Next() % max_chunk;
    const std::size_t take = std::min(chunk, text.size() - pos);
    encoder.value()->Write(text.data() + pos, take);
    pos += take;
  }
  encoder.value()->Finish();
  out.stats = encoder.value()->stats();
  return out;
}

// zlib's gunzip of exactly one member; false if it fails or leaves bytes over.
bool Gunzip(const std::string& gz, std::string& text) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return false;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  int rc = Z_OK;
  char buffer[1 << 16];
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    rc = inflate(&z, Z_NO_FLUSH);
    text.append(buffer, sizeof buffer - z.avail_out);
  }
  const bool whole = rc == Z_STREAM_END && z.avail_in == 0;
  inflateEnd(&z);
  return whole;
}

void CheckVerifies(const Output& out, std::size_t text_size, bool fast_inflate) {
  std::istringstream in(out.bytes);
  sidecar::VerifyOptions options;
  options.fast_inflate = fast_inflate;
  const auto report = sidecar::VerifyGzip(in, options);
  FUZZ_CHECK(report.ok(), "%s: %s", fast_inflate ? "ISA-L" : "zlib",
             report.error().message.c_str());
  FUZZ_CHECK(report.value().uncompressed_bytes == text_size && report.value().members == 1,
             "%llu bytes in %u members, expected %zu in 1",
             (unsigned long long)report.value().uncompressed_bytes, report.value().members,
             text_size);
}

void CheckStats(const Output& out, const std::string& text, const sidecar::GzipSettings& s) {
  FUZZ_CHECK(out.stats.bytes_in == text.size() && out.stats.bytes_out == out.bytes.size(),
             "stats in %llu out %llu; actual %zu, %zu", (unsigned long long)out.stats.bytes_in,
             (unsigned long long)out.stats.bytes_out, text.size(), out.bytes.size());
  const std::size_t points =
      s.rsyncable ? sidecar::FindResetOffsets(reinterpret_cast<const std::uint8_t*>(text.data()),
                                              text.size(), s.resets)
                        .size()
                  : 0;
  FUZZ_CHECK(out.stats.resets == points, "%llu resets, %zu points",
             (unsigned long long)out.stats.resets, points);
}

void CheckOutput(const Output& out, const std::string& text, const sidecar::GzipSettings& s) {
  std::string back;
  FUZZ_CHECK(Gunzip(out.bytes, back), "zlib cannot gunzip the output (%zu bytes)",
             out.bytes.size());
  FUZZ_CHECK(back == text, "gunzip gave %zu bytes that differ from the %zu written", back.size(),
             text.size());
  CheckVerifies(out, text.size(), false);
  CheckVerifies(out, text.size(), true);
  CheckStats(out, text, s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  InputHash hash(input);
  const std::string text = Text(input, hash);
  const sidecar::GzipSettings settings = Settings(hash);
  CheckOutput(Compress(text, settings, 0, hash), text, settings);
  const auto max_chunk = static_cast<std::size_t>(hash.Between(1, 9000));
  CheckOutput(Compress(text, settings, max_chunk, hash), text, settings);
  return 0;
}
