// Tests for verifying a gzip stream while it is written: the verdict equals VerifyGzip's on the
// same bytes whatever the chunking, a corrupt stream never blocks the writer, and FileMatches
// tells the file that was verified from any other.
#include "sidecar/stream_verify.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sidecar/gzip_writer.h"

namespace immich_maint::sidecar {
namespace {

std::string Dump(std::size_t lines) {
  std::string text = "--\n-- PostgreSQL database dump\n--\n\n";
  std::mt19937 random(7);
  for (std::size_t i = 0; i < lines; ++i) text += "row\t" + std::to_string(random()) + "\n";
  return text + "\n--\n-- PostgreSQL database dump complete\n--\n\n";
}

std::vector<std::uint8_t> Gzip(const std::string& text) {
  std::vector<std::uint8_t> out;
  FunctionSink sink([&](const std::uint8_t* d, std::size_t n) { out.insert(out.end(), d, d + n); });
  auto encoder = MakeGzipEncoder(Compressor::kIsal, 1, sink).value();
  encoder->Write(text);
  encoder->Finish();
  return out;
}

// Feeds the bytes in pieces of 1..max_piece bytes.
core::Result<GzipReport> FeedInPieces(const std::vector<std::uint8_t>& bytes, std::size_t max_piece,
                                      std::size_t max_queued = 8 << 20) {
  StreamVerifier verifier({}, max_queued);
  std::mt19937 random(1);
  for (std::size_t at = 0; at < bytes.size();) {
    const std::size_t n = std::min(bytes.size() - at, 1 + random() % max_piece);
    verifier.Feed(bytes.data() + at, n);
    at += n;
  }
  EXPECT_EQ(verifier.bytes(), bytes.size());
  return verifier.Finish();
}

TEST(StreamVerifier, AgreesWithVerifyGzipWhateverTheChunking) {
  const std::string text = Dump(200000);
  const std::vector<std::uint8_t> bytes = Gzip(text);
  std::istringstream whole(std::string(bytes.begin(), bytes.end()));
  const GzipReport expected = VerifyGzip(whole).value();
  for (const std::size_t piece : {std::size_t{1} << 20, std::size_t{4096}, std::size_t{7}}) {
    const GzipReport report = FeedInPieces(bytes, piece, 64 * 1024).value();
    EXPECT_EQ(report.uncompressed_bytes, text.size()) << piece;
    EXPECT_EQ(report.compressed_bytes, bytes.size()) << piece;
    EXPECT_EQ(report.head, expected.head) << piece;
    EXPECT_EQ(report.tail, expected.tail) << piece;
    EXPECT_TRUE(InspectDumpText(report.head, report.tail).complete);
  }
}

TEST(StreamVerifier, ReportsCorruptionWithoutBlockingTheWriter) {
  std::vector<std::uint8_t> bytes = Gzip(Dump(100000));
  bytes[bytes.size() - 6] ^= 0x01;  // the stored CRC
  const auto crc = FeedInPieces(bytes, 1000, 4096);
  ASSERT_FALSE(crc.ok());
  EXPECT_EQ(crc.error().code, core::ErrorCode::kCorruptBackup);
  EXPECT_EQ(crc.error().message.rfind("CRC mismatch in member ending at offset ", 0), 0u)
      << crc.error().message;

  // Garbage first: the verifier stops at once; megabytes fed after it through a 4 KB queue
  // must not block.
  std::vector<std::uint8_t> garbage(std::size_t{4} << 20, 'x');
  const auto bad = FeedInPieces(garbage, 65536, 4096);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "not a gzip file");
}

TEST(StreamVerifier, NothingFedIsAnEmptyFile) {
  StreamVerifier verifier;
  const auto result = verifier.Finish();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().detail, "The file is empty.");
}

TEST(StreamVerifier, TruncatedStream) {
  std::vector<std::uint8_t> bytes = Gzip(Dump(1000));
  bytes.resize(bytes.size() - 3);
  const auto result = FeedInPieces(bytes, 100);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message.rfind("truncated gzip data at offset ", 0), 0u);
}

TEST(FileMatches, TellsTheVerifiedFileFromAnyOther) {
  const std::string path = ::testing::TempDir() + "stream_verify_" + std::to_string(::getpid());
  const std::vector<std::uint8_t> bytes = Gzip(Dump(5000));
  StreamVerifier verifier;
  verifier.Feed(bytes.data(), bytes.size());
  ASSERT_TRUE(verifier.Finish().ok());
  const auto write = [&](const std::vector<std::uint8_t>& content) {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(content.data()),
                                                static_cast<std::streamsize>(content.size()));
  };
  write(bytes);
  EXPECT_TRUE(FileMatches(path, verifier.bytes(), verifier.crc()).value());
  std::vector<std::uint8_t> flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x10;
  write(flipped);
  EXPECT_FALSE(FileMatches(path, verifier.bytes(), verifier.crc()).value());
  write(std::vector<std::uint8_t>(bytes.begin(), bytes.end() - 1));
  EXPECT_FALSE(FileMatches(path, verifier.bytes(), verifier.crc()).value());
  std::filesystem::remove(path);
  const auto missing = FileMatches(path, verifier.bytes(), verifier.crc());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "cannot read " + path + ": No such file or directory");
}

}  // namespace
}  // namespace immich_maint::sidecar
