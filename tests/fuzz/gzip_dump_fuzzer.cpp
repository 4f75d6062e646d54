// libFuzzer target for the gzip verifier and the dump-header reader. The input is read three
// ways: as a gzip file (a verdict zlib's own gunzip must agree with), gzipped in memory (which
// must verify and give back its exact head and tail), and as dump text for InspectDumpText.
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include "sidecar/gzip_verify.h"
#include "tests/fuzz/fuzz_check.h"

namespace core = immich_maint::core;
namespace sidecar = immich_maint::sidecar;

namespace {

constexpr std::size_t kHead = 8 * 1024;  // VerifyOptions' defaults
constexpr std::size_t kTail = 4 * 1024;
constexpr std::size_t kSmallHead = 7;
constexpr std::size_t kSmallTail = 5;
// Deflate's best ratio is 1032:1; the ten-byte header and eight-byte trailer only lower it.
constexpr std::uint64_t kMaxRatio = 1032;

// The first `head` and last `tail` bytes of a stream fed in pieces.
struct Windows {
  std::size_t head_limit, tail_limit;
  std::string head, tail;
  void Add(std::string_view piece) {
    head.append(piece.substr(0, head_limit - std::min(head_limit, head.size())));
    tail.append(piece);
    if (tail.size() > tail_limit) tail.erase(0, tail.size() - tail_limit);
  }
};

struct Verdict {
  bool ok = false;
  std::uint64_t bytes = 0;
  std::uint32_t members = 0;
  Windows text{kHead, kTail, {}, {}};
};

// zlib's gunzip, member after member, as the reference for a stream it fully accepts.
Verdict ZlibGunzip(std::string_view data) {
  Verdict verdict;
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return verdict;
  char out[65536];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (z.avail_in > 0 || verdict.members == 0) {
    z.next_out = reinterpret_cast<Bytef*>(out);
    z.avail_out = sizeof out;
    rc = inflate(&z, Z_NO_FLUSH);
    verdict.bytes += sizeof out - z.avail_out;
    verdict.text.Add(std::string_view(out, sizeof out - z.avail_out));
    if (rc == Z_STREAM_END) {
      ++verdict.members;
      inflateReset(&z);
    } else if (rc != Z_OK) {
      break;
    }
  }
  inflateEnd(&z);
  verdict.ok = rc == Z_STREAM_END && z.avail_in == 0;
  return verdict;
}

struct Checked {
  core::Result<sidecar::GzipReport> report;
  std::uint64_t progress;  // the last progress report
};

// VerifyGzip with the given windows; `seen`, when given, collects what on_data is shown.
Checked Verify(std::string_view data, std::size_t head, std::size_t tail,
               std::string* seen = nullptr, bool fast = false) {
  std::istringstream in{std::string(data)};
  sidecar::VerifyOptions options;
  options.fast_inflate = fast;
  options.head_bytes = head;
  options.tail_bytes = tail;
  std::uint64_t last = 0;
  options.progress = [&last](std::uint64_t read) {
    FUZZ_CHECK(read > last, "progress went from %llu to %llu", (unsigned long long)last,
               (unsigned long long)read);
    last = read;
  };
  if (seen) {
    options.on_data = [seen](const std::uint8_t* piece, std::size_t size) {
      seen->append(reinterpret_cast<const char*>(piece), size);
    };
  }
  core::Result<sidecar::GzipReport> report = sidecar::VerifyGzip(in, options);
  return {std::move(report), last};
}

void CheckReport(std::string_view data, const Checked& checked, std::size_t head,
                 std::size_t tail) {
  const sidecar::GzipReport& r = checked.report.value();
  FUZZ_CHECK(r.compressed_bytes == data.size() && checked.progress == data.size(),
             "compressed %llu, progress %llu, input %zu", (unsigned long long)r.compressed_bytes,
             (unsigned long long)checked.progress, data.size());
  FUZZ_CHECK(r.members >= 1, "a verified file without members");
  FUZZ_CHECK(r.uncompressed_bytes <= kMaxRatio * r.compressed_bytes, "%llu bytes out of %llu",
             (unsigned long long)r.uncompressed_bytes, (unsigned long long)r.compressed_bytes);
  FUZZ_CHECK(r.head.size() == std::min<std::uint64_t>(r.uncompressed_bytes, head), "head size");
  FUZZ_CHECK(r.tail.size() == std::min<std::uint64_t>(r.uncompressed_bytes, tail), "tail size");
}

void CheckErrorText(const core::Error& error) {
  FUZZ_CHECK(error.code == core::ErrorCode::kCorruptBackup, "code %d for %s", int(error.code),
             error.message.c_str());
  FUZZ_CHECK(!error.message.empty() && error.message.back() != '.', "message '%s'",
             error.message.c_str());
}

// ISA-L's inflate (used for our own fresh backups) accepts what zlib accepted, with the same
// result. (ISA-L may accept some streams zlib refuses: that direction is not checked.)
void CheckFastAgrees(std::string_view data, const sidecar::GzipReport& r) {
  const Checked fast = Verify(data, kHead, kTail, nullptr, true);
  FUZZ_CHECK(fast.report.ok(), "zlib accepts what ISA-L refuses: %s",
             fast.report.error().message.c_str());
  const sidecar::GzipReport& f = fast.report.value();
  FUZZ_CHECK(f.uncompressed_bytes == r.uncompressed_bytes && f.members == r.members &&
                 f.compressed_bytes == r.compressed_bytes && f.head == r.head && f.tail == r.tail,
             "ISA-L: %llu bytes in %u members; zlib: %llu in %u",
             (unsigned long long)f.uncompressed_bytes, f.members,
             (unsigned long long)r.uncompressed_bytes, r.members);
}

// The input as a gzip file: VerifyGzip must accept what zlib's gunzip accepts, with the same
// bytes, members, head and tail (zlib also checks the optional header CRC, which VerifyGzip
// skips, so the other direction may differ).
void CheckAsGzipFile(std::string_view data) {
  const Checked checked = Verify(data, kHead, kTail);
  const Verdict zlib = ZlibGunzip(data);
  if (zlib.ok) {
    FUZZ_CHECK(checked.report.ok(), "zlib accepts what VerifyGzip refuses: %s",
               checked.report.error().message.c_str());
  }
  if (!checked.report.ok()) return CheckErrorText(checked.report.error());
  CheckReport(data, checked, kHead, kTail);
  if (!zlib.ok) return;
  const sidecar::GzipReport& r = checked.report.value();
  FUZZ_CHECK(zlib.bytes == r.uncompressed_bytes && zlib.members == r.members,
             "zlib: %llu bytes in %u members; VerifyGzip: %llu in %u",
             (unsigned long long)zlib.bytes, zlib.members, (unsigned long long)r.uncompressed_bytes,
             r.members);
  FUZZ_CHECK(zlib.text.head == r.head && zlib.text.tail == r.tail, "head or tail differs");
  CheckFastAgrees(data, r);
}

std::string Gzip(std::string_view text, int level) {
  z_stream z{};
  FUZZ_CHECK(deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK, "init");
  std::string out(deflateBound(&z, static_cast<uLong>(text.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  FUZZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate did not finish");
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  return out;
}

// Any text, gzipped in two members, verifies and comes back whole (through on_data) and as its
// own head and tail; tiny windows make the text cross their edges.
void CheckRoundTrip(std::string_view text) {
  const std::size_t half = text.size() / 2;
  const std::string gz = Gzip(text.substr(0, half), 1) + Gzip(text.substr(half), 9);
  std::string seen;
  const Checked checked = Verify(gz, kSmallHead, kSmallTail, &seen);
  FUZZ_CHECK(checked.report.ok(), "our own gzip refused: %s",
             checked.report.error().message.c_str());
  FUZZ_CHECK(seen == text, "on_data saw %zu bytes, not the %zu of the text", seen.size(),
             text.size());
  CheckReport(gz, checked, kSmallHead, kSmallTail);
  const sidecar::GzipReport& r = checked.report.value();
  FUZZ_CHECK(r.members == 2 && r.uncompressed_bytes == text.size(), "%u members, %llu bytes",
             r.members, (unsigned long long)r.uncompressed_bytes);
  FUZZ_CHECK(r.head == text.substr(0, kSmallHead), "head is not the text's start");
  FUZZ_CHECK(r.tail == text.substr(text.size() - std::min(text.size(), kSmallTail)),
             "tail is not the text's end");
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

void CheckDumpInfo(std::string_view head, std::string_view tail) {
  const sidecar::DumpInfo info = sidecar::InspectDumpText(head, tail);
  for (const std::string* version : {&info.server_version, &info.pg_dump_version}) {
    FUZZ_CHECK(version->find_first_of(" \n") == std::string::npos, "version word '%s'",
               version->c_str());
  }
  if (!info.server_version.empty()) {
    FUZZ_CHECK(Contains(head, "-- Dumped from database version " + info.server_version),
               "server version %s not in the head", info.server_version.c_str());
  }
  if (info.kind == sidecar::DumpKind::kCluster) {
    FUZZ_CHECK(Contains(head, "-- PostgreSQL database cluster dump"), "cluster kind");
  }
  if (info.kind == sidecar::DumpKind::kDatabase) {
    FUZZ_CHECK(Contains(head, "-- PostgreSQL database dump"), "database kind");
  }
  if (info.complete) FUZZ_CHECK(Contains(tail, " dump complete"), "complete without the line");
  const std::string name = sidecar::DumpKindName(info.kind);
  FUZZ_CHECK(name == "unknown" || name == "database" || name == "cluster", "kind %s", name.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckAsGzipFile(input);
  CheckRoundTrip(input);
  CheckDumpInfo(input.substr(0, size / 2), input.substr(size / 2));
  CheckDumpInfo(input, input);
  return 0;
}
