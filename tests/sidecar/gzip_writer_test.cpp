// Tests for the gzip encoder: round trips through zlib and the system's gzip, independence from
// write chunking, and the point of content-defined resets: two similar dumps share most of their
// compressed bytes. All data is generated from fixed seeds; nothing depends on timing.
#include "sidecar/gzip_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace immich_maint::sidecar {
namespace {

struct StringSink : ByteSink {
  void Put(const std::uint8_t* data, std::size_t size) override {
    bytes.append(reinterpret_cast<const char*>(data), size);
  }
  std::string bytes;
};

std::string Hex(std::mt19937_64& rng, int digits) {
  static const char kDigits[] = "0123456789abcdef";
  std::string text;
  for (int i = 0; i < digits; ++i) text += kDigits[rng() % 16];
  return text;
}

std::string Uuid(std::mt19937_64& rng) {
  return Hex(rng, 8) + "-" + Hex(rng, 4) + "-" + Hex(rng, 4) + "-" + Hex(rng, 4) + "-" +
         Hex(rng, 12);
}

// One row of an Immich-like asset table as pg_dump writes it in a COPY block.
std::string AssetRow(std::mt19937_64& rng) {
  static const char* kOwners[] = {"6b1c0a2e-2f4d-4b8e-9a51-0c7d3e9f1a22",
                                  "a9d2e7f0-13b5-4c6a-8e2f-5d4c3b2a1f00",
                                  "f0e1d2c3-b4a5-4697-8877-665544332211"};
  const std::string owner = kOwners[rng() % 3];
  const std::string id = Uuid(rng);
  std::ostringstream row;
  row << id << '\t' << owner << "\tIMAGE\t/data/upload/" << owner << '/' << Hex(rng, 2) << '/'
      << Hex(rng, 2) << '/' << id << ".jpg\t2023-" << 1 + rng() % 12 << '-' << 10 + rng() % 18
      << ' ' << 10 + rng() % 14 << ':' << 10 + rng() % 50 << ":00+00\t\\\\x" << Hex(rng, 40)
      << "\ttimeline\tf\t" << (rng() % 4 == 0 ? "\\N" : "IMG_" + std::to_string(rng() % 10000))
      << "\t" << rng() % 5000000 << '\n';
  return row.str();
}

// SQL-like text shaped like `pg_dump` output: a header, then a long COPY block.
std::string SqlLikeDump(std::size_t bytes, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string text =
      "--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 14.17\n"
      "-- Dumped by pg_dump version 14.17\n\nSET statement_timeout = 0;\n\n"
      "COPY public.asset (id, \"ownerId\", type, \"originalPath\", \"fileCreatedAt\", checksum, "
      "visibility, \"isOffline\", \"originalFileName\", \"fileSize\") FROM stdin;\n";
  while (text.size() < bytes) text += AssetRow(rng);
  return text + "\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n";
}

std::string RandomBytes(std::size_t size, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string bytes(size, '\0');
  for (char& byte : bytes) byte = static_cast<char>(rng());
  return bytes;
}

// Decodes one gzip member with zlib, independently of the code under test.
std::string Gunzip(const std::string& compressed) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  std::vector<char> buffer(1 << 20);
  int rc = Z_OK;
  while (rc == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer.data());
    stream.avail_out = static_cast<uInt>(buffer.size());
    rc = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer.data(), buffer.size() - stream.avail_out);
  }
  EXPECT_EQ(rc, Z_STREAM_END) << (stream.msg ? stream.msg : "");
  EXPECT_EQ(stream.avail_in, 0u) << "bytes left after the gzip member";
  inflateEnd(&stream);
  return out;
}

struct Compressed {
  std::string bytes;
  GzipStats stats;
};

// Compresses input, writing it in chunks of random sizes up to max_chunk (0: one Write).
Compressed Compress(const std::string& input, GzipSettings settings, std::size_t max_chunk = 0,
                    std::uint64_t seed = 1) {
  StringSink sink;
  auto encoder = MakeGzipEncoder(settings, sink);
  EXPECT_TRUE(encoder.ok()) << encoder.error().message;
  std::mt19937_64 rng(seed);
  for (std::size_t pos = 0; pos < input.size();) {
    const std::size_t chunk = max_chunk == 0 ? input.size() : 1 + rng() % max_chunk;
    const std::size_t take = std::min(chunk, input.size() - pos);
    encoder.value()->Write(input.data() + pos, take);
    pos += take;
  }
  encoder.value()->Finish();
  return {sink.bytes, encoder.value()->stats()};
}

GzipSettings Settings(Compressor kind, int level, bool rsyncable = true) {
  GzipSettings settings;
  settings.compressor = kind;
  settings.level = level;
  settings.rsyncable = rsyncable;
  return settings;
}

// Fraction of b's bytes that a delta transfer could take from a: the common prefix plus the
// common suffix, leaving out the 8-byte gzip trailer (CRC and length always differ).
double SharedFraction(const std::string& a, const std::string& b) {
  const std::size_t limit = std::min(a.size(), b.size()) - 8;
  std::size_t prefix = 0;
  while (prefix < limit && a[prefix] == b[prefix]) ++prefix;
  std::size_t suffix = 0;
  while (prefix + suffix < limit && a[a.size() - 9 - suffix] == b[b.size() - 9 - suffix]) {
    ++suffix;
  }
  return static_cast<double>(prefix + suffix) / static_cast<double>(b.size());
}

std::string WriteTempFile(const std::string& bytes, const std::string& suffix) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("gzip_writer_test_" + std::to_string(getpid()) + suffix))
                               .string();
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

int ExitStatus(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Reads a command's standard output through popen.
std::string Capture(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[1 << 16];
  std::size_t got;
  while ((got = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, got);
  pclose(pipe);
  return out;
}

const std::string& SqlSample() {
  static const std::string sample = SqlLikeDump(6 << 20, 42);
  return sample;
}

TEST(GzipCompressorParse, AcceptsIsalAndZlib) {
  EXPECT_EQ(ParseCompressor("isal").value(), Compressor::kIsal);
  EXPECT_EQ(ParseCompressor("zlib").value(), Compressor::kZlib);
  EXPECT_STREQ(CompressorName(Compressor::kIsal), "isal");
  EXPECT_STREQ(CompressorName(Compressor::kZlib), "zlib");
}

TEST(GzipCompressorParse, RejectsUnknownNameAndListsValidOnes) {
  const auto parsed = ParseCompressor("lz4");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(parsed.error().message, "unknown compressor: lz4");
  EXPECT_EQ(parsed.error().hint, "Valid compressors are isal and zlib.");
}

TEST(GzipEncoderFactory, RejectsLevelsOutsideEachCompressorsRange) {
  StringSink sink;
  const auto isal = MakeGzipEncoder(Compressor::kIsal, 4, sink);
  ASSERT_FALSE(isal.ok());
  EXPECT_EQ(isal.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(isal.error().message, "invalid compression level 4 for isal");
  EXPECT_EQ(isal.error().hint, "Use a level from 0 to 3 for isal (default 2).");
  const auto zlib = MakeGzipEncoder(Compressor::kZlib, 0, sink);
  ASSERT_FALSE(zlib.ok());
  EXPECT_EQ(zlib.error().message, "invalid compression level 0 for zlib");
  EXPECT_EQ(zlib.error().hint, "Use a level from 1 to 9 for zlib (default 6).");
  EXPECT_FALSE(MakeGzipEncoder(Compressor::kZlib, 10, sink).ok());
  EXPECT_FALSE(MakeGzipEncoder(Compressor::kIsal, -2, sink).ok());
}

TEST(GzipEncoderFactory, RefusesInvalidResetOptions) {
  StringSink sink;
  GzipSettings settings;
  settings.resets.min_distance = 10;
  const auto encoder = MakeGzipEncoder(settings, sink);
  ASSERT_FALSE(encoder.ok());
  EXPECT_EQ(encoder.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(encoder.error().message, "reset min_distance 10 is too small");
}

TEST(GzipEncoder, RoundTripsRandomAndSqlDataAtEveryLevel) {
  const std::string random = RandomBytes(3 << 20, 7);
  const std::vector<std::pair<Compressor, int>> cases = {
      {Compressor::kIsal, 0}, {Compressor::kIsal, 1}, {Compressor::kIsal, 2},
      {Compressor::kIsal, 3}, {Compressor::kZlib, 1}, {Compressor::kZlib, 6},
      {Compressor::kZlib, 9}};
  for (const auto& [kind, level] : cases) {
    for (const std::string* input : {&random, &SqlSample()}) {
      SCOPED_TRACE(std::string(CompressorName(kind)) + " level " + std::to_string(level) +
                   (input == &random ? " random" : " sql"));
      const Compressed out = Compress(*input, Settings(kind, level), 300000);
      EXPECT_TRUE(Gunzip(out.bytes) == *input) << "decoded data differs from the input";
      EXPECT_EQ(out.stats.bytes_in, input->size());
      EXPECT_EQ(out.stats.bytes_out, out.bytes.size());
      EXPECT_GT(out.stats.resets, 0u);
    }
  }
}

TEST(GzipEncoder, CompressesSqlLikeText) {
  for (Compressor kind : {Compressor::kIsal, Compressor::kZlib}) {
    const Compressed out = Compress(SqlSample(), Settings(kind, -1));
    EXPECT_LT(out.bytes.size(), SqlSample().size() / 2) << CompressorName(kind);
  }
}

TEST(GzipEncoder, OutputDoesNotDependOnWriteChunking) {
  const std::string input = SqlSample().substr(0, 3 << 20);
  for (Compressor kind : {Compressor::kIsal, Compressor::kZlib}) {
    SCOPED_TRACE(CompressorName(kind));
    const Compressed whole = Compress(input, Settings(kind, -1));
    const Compressed tiny = Compress(input, Settings(kind, -1), 17, 3);
    const Compressed mixed = Compress(input, Settings(kind, -1), 400000, 4);
    EXPECT_EQ(tiny.stats.resets, whole.stats.resets);
    EXPECT_TRUE(tiny.bytes == whole.bytes) << "17-byte writes changed the compressed bytes";
    EXPECT_TRUE(mixed.bytes == whole.bytes) << "random-size writes changed the compressed bytes";
  }
}

TEST(GzipEncoder, CountsResetsWhereTheFinderPutsThem) {
  const std::string& input = SqlSample();
  const auto offsets =
      FindResetOffsets(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  const Compressed out = Compress(input, Settings(Compressor::kIsal, 1), 65536);
  EXPECT_EQ(out.stats.resets, offsets.size());
  EXPECT_EQ(Compress(input, Settings(Compressor::kIsal, 1, false)).stats.resets, 0u);
}

TEST(GzipEncoder, EmptyInputIsAValidEmptyGzipFile) {
  for (Compressor kind : {Compressor::kIsal, Compressor::kZlib}) {
    const Compressed out = Compress("", Settings(kind, -1));
    EXPECT_EQ(Gunzip(out.bytes), "");
    const std::string path = WriteTempFile(out.bytes, ".empty.gz");
    EXPECT_EQ(ExitStatus("gzip -t " + path), 0) << CompressorName(kind);
    std::filesystem::remove(path);
  }
}

TEST(GzipEncoder, SystemGzipDecodesTheOutput) {
  for (Compressor kind : {Compressor::kIsal, Compressor::kZlib}) {
    SCOPED_TRACE(CompressorName(kind));
    const std::string path = WriteTempFile(Compress(SqlSample(), Settings(kind, -1)).bytes, ".gz");
    EXPECT_EQ(ExitStatus("gzip -t " + path), 0) << "gzip -t refused " << path;
    EXPECT_TRUE(Capture("gzip -dc " + path) == SqlSample()) << "gzip -dc output differs";
    std::filesystem::remove(path);
  }
}

// Immich users restore with whatever is at hand; Python's and Node's gzip must read it too.
TEST(GzipEncoder, PythonAndNodeDecodeTheOutput) {
  const std::string path =
      WriteTempFile(Compress(SqlSample(), Settings(Compressor::kIsal, 1)).bytes, ".gz");
  int readers = 0;
  if (ExitStatus("python3 -c 'pass' 2>/dev/null") == 0) {
    ++readers;
    EXPECT_TRUE(Capture("python3 -c 'import gzip,sys; "
                        "sys.stdout.buffer.write(gzip.open(sys.argv[1]).read())' " +
                        path) == SqlSample());
  }
  if (ExitStatus("node -e '0' 2>/dev/null") == 0) {
    ++readers;
    EXPECT_TRUE(Capture("node -e "
                        "'process.stdout.write(require(\"zlib\").gunzipSync(require(\"fs\")."
                        "readFileSync(process.argv[1])))' " +
                        path) == SqlSample());
  }
  std::filesystem::remove(path);
  if (readers == 0) GTEST_SKIP() << "neither python3 nor node is installed";
}

TEST(GzipEncoder, RefusesWriteAfterFinishAndFinishesOnce) {
  StringSink sink;
  auto encoder = MakeGzipEncoder(Compressor::kZlib, 6, sink).value();
  encoder->Write("hello");
  encoder->Finish();
  const std::size_t size = sink.bytes.size();
  encoder->Finish();
  EXPECT_EQ(sink.bytes.size(), size) << "a second Finish wrote more bytes";
  try {
    encoder->Write("more");
    FAIL() << "Write after Finish did not throw";
  } catch (const core::Failure& failure) {
    EXPECT_EQ(failure.error().code, core::ErrorCode::kInternal);
  }
}

TEST(GzipEncoder, PassesSinkFailuresOnAndStaysBroken) {
  FunctionSink sink([](const std::uint8_t*, std::size_t) {
    throw core::Failure(core::MakeError(core::ErrorCode::kIoError, "disk full"));
  });
  auto encoder = MakeGzipEncoder(Compressor::kIsal, 1, sink).value();
  try {
    encoder->Write(SqlSample());
    encoder->Finish();
    FAIL() << "the sink's failure was swallowed";
  } catch (const core::Failure& failure) {
    EXPECT_EQ(failure.error().code, core::ErrorCode::kIoError);
    EXPECT_EQ(failure.error().message, "disk full");
  }
  EXPECT_THROW(encoder->Write("x"), core::Failure);
}

// The reason for resets: a row inserted near the start of a 20 MB dump must not change the
// compressed bytes after the next reset point.
TEST(GzipEncoder, SharesMostBytesAfterSmallInsertionNearStart) {
  const std::string before = SqlLikeDump(20 << 20, 11);
  std::string after = before;
  std::mt19937_64 rng(99);
  after.insert(after.find('\n', 2000) + 1, AssetRow(rng));
  for (Compressor kind : {Compressor::kIsal, Compressor::kZlib}) {
    const double shared = SharedFraction(Compress(before, Settings(kind, -1)).bytes,
                                         Compress(after, Settings(kind, -1)).bytes);
    EXPECT_GT(shared, 0.80) << CompressorName(kind) << " shares only " << shared;
  }
}

TEST(GzipEncoder, SharesMostBytesAfterRowsChangedInTheMiddle) {
  const std::string before = SqlLikeDump(20 << 20, 12);
  std::string after = before;
  std::mt19937_64 rng(98);
  const std::size_t start = after.find('\n', before.size() / 2) + 1;
  const std::size_t end = after.find('\n', start + 500) + 1;  // a few rows
  after.replace(start, end - start, AssetRow(rng) + AssetRow(rng));
  for (Compressor kind : {Compressor::kIsal, Compressor::kZlib}) {
    const double shared = SharedFraction(Compress(before, Settings(kind, -1)).bytes,
                                         Compress(after, Settings(kind, -1)).bytes);
    EXPECT_GT(shared, 0.90) << CompressorName(kind) << " shares only " << shared;
  }
}

// After a reset, ISA-L restarts from the last 32 KiB as its dictionary: what it writes then must
// depend on those bytes and the input after them only, not on how far into the stream they lie.
// A row inserted near the start shifts every later offset; everything after the first reset
// points must still come out byte for byte the same, at every level.
TEST(GzipEncoder, IsalOutputAfterAResetDoesNotDependOnItsOffset) {
  const std::string before = SqlLikeDump(24 << 20, 13);
  std::string after = before;
  std::mt19937_64 rng(97);
  after.insert(after.find('\n', 2000) + 1, AssetRow(rng));
  for (int level = 0; level <= 3; ++level) {
    const double shared = SharedFraction(Compress(before, Settings(Compressor::kIsal, level)).bytes,
                                         Compress(after, Settings(Compressor::kIsal, level)).bytes);
    EXPECT_GT(shared, 0.97) << "level " << level << " shares only " << shared;
  }
}

// The control for the two tests above: without resets the same insertion changes everything.
TEST(GzipEncoder, WithoutResetsAnInsertionChangesAlmostEverything) {
  const std::string before = SqlLikeDump(8 << 20, 11);
  std::string after = before;
  std::mt19937_64 rng(99);
  after.insert(after.find('\n', 2000) + 1, AssetRow(rng));
  for (Compressor kind : {Compressor::kIsal, Compressor::kZlib}) {
    const double shared = SharedFraction(Compress(before, Settings(kind, -1, false)).bytes,
                                         Compress(after, Settings(kind, -1, false)).bytes);
    EXPECT_LT(shared, 0.10) << CompressorName(kind) << " shares " << shared;
  }
}

// Sparse resets (every few hundred KB) cost little space; see design.md, Pitfalls.
TEST(GzipEncoder, ResetsAddLittleToTheSize) {
  for (Compressor kind : {Compressor::kIsal, Compressor::kZlib}) {
    const double with = static_cast<double>(Compress(SqlSample(), Settings(kind, -1)).bytes.size());
    const double without =
        static_cast<double>(Compress(SqlSample(), Settings(kind, -1, false)).bytes.size());
    EXPECT_LT(with / without, 1.03) << CompressorName(kind) << ": " << with << " vs " << without;
  }
}

// ISA-L level 1's output depends on where its input lies (aligned_bytes.h): the staging buffer
// must start on the same boundary however the heap looks when the encoder is made.
TEST(GzipEncoder, StagingBufferStartsOnA64KiBBoundary) {
  std::vector<std::vector<char>> clutter;
  for (std::size_t size : {1u, 4000u, 70000u, 200000u, 3u}) {
    clutter.emplace_back(size);
    AlignedBytes staged(std::size_t{128} * 1024 + size);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(staged.data()) % kStagingAlignment, 0u) << size;
  }
}

TEST(AlignedBytes, AppendTakesWhatFitsAndClearEmpties) {
  AlignedBytes staged(8);
  const std::uint8_t bytes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(staged.Append(bytes, 5), 5u);
  EXPECT_EQ(staged.Append(bytes + 5, 5), 3u);
  EXPECT_EQ(staged.size(), 8u);
  EXPECT_EQ(staged.room(), 0u);
  EXPECT_EQ(staged.Append(bytes, 1), 0u);
  EXPECT_EQ(std::vector<std::uint8_t>(staged.data(), staged.data() + 8),
            std::vector<std::uint8_t>(bytes, bytes + 8));
  staged.Clear();
  EXPECT_EQ(staged.size(), 0u);
  EXPECT_EQ(staged.room(), 8u);
}

}  // namespace
}  // namespace immich_maint::sidecar
