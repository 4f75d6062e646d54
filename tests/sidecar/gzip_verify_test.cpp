// Tests for gzip verification and dump inspection: good files (one or many members) pass with
// exact sizes; every kind of damage is caught with the message and compressed offset a user
// needs; pg_dump and pg_dumpall headers and tails are read correctly.
#include "sidecar/gzip_verify.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sidecar/gzip_writer.h"

namespace immich_maint::sidecar {
namespace {

// Shaped like pg_dump / pg_dumpall 15.20 output (with the 2025 \restrict lines).
constexpr char kDumpHead[] =
    "--\n"
    "-- PostgreSQL database dump\n"
    "--\n"
    "\n"
    "\\restrict 4mXbL0cLnyk0uKzZsUeqgQkYh4ZbQyJ0dHtdQ1IyRXZlKJbk5t2tMNbZ2kzWaPx\n"
    "\n"
    "-- Dumped from database version 14.17 (Debian 14.17-1.pgdg120+1)\n"
    "-- Dumped by pg_dump version 14.19 (Debian 14.19-1.pgdg120+1)\n"
    "\n"
    "SET statement_timeout = 0;\n"
    "SET lock_timeout = 0;\n";

constexpr char kDumpTail[] =
    "ALTER TABLE ONLY public.asset\n"
    "    ADD CONSTRAINT asset_owner_fkey FOREIGN KEY (\"ownerId\") REFERENCES "
    "public.\"user\"(id);\n"
    "\n"
    "\n"
    "--\n"
    "-- PostgreSQL database dump complete\n"
    "--\n"
    "\n"
    "\\unrestrict 4mXbL0cLnyk0uKzZsUeqgQkYh4ZbQyJ0dHtdQ1IyRXZlKJbk5t2tMNbZ2kzWaPx\n"
    "\n";

constexpr char kClusterHead[] =
    "--\n"
    "-- PostgreSQL database cluster dump\n"
    "--\n"
    "\n"
    "\\restrict OZAGpjrjw7wMtNXXlyFxFvchaMWPHN8bmKfRE9I7dO8Wgmg7KJCFYoZkoXn3FSX\n"
    "\n"
    "SET default_transaction_read_only = off;\n"
    "\n"
    "SET client_encoding = 'UTF8';\n"
    "SET standard_conforming_strings = on;\n"
    "\n"
    "--\n"
    "-- Drop databases (except postgres and template1)\n"
    "--\n"
    "\n"
    "DROP DATABASE IF EXISTS immich;\n"
    "\n"
    "--\n"
    "-- Roles\n"
    "--\n"
    "\n"
    "CREATE ROLE postgres;\n"
    "ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS;\n"
    "\n"
    "\\connect template1\n"
    "\n"
    "--\n"
    "-- PostgreSQL database dump\n"
    "--\n"
    "\n"
    "-- Dumped from database version 14.10\n"
    "-- Dumped by pg_dump version 14.10\n"
    "\n"
    "SET statement_timeout = 0;\n";

constexpr char kClusterTail[] =
    "COMMENT ON DATABASE postgres IS 'default administrative connection database';\n"
    "\n"
    "\n"
    "--\n"
    "-- PostgreSQL database dump complete\n"
    "--\n"
    "\n"
    "\\unrestrict FELqGEN0d1J279uoXleZCkDMrQ9bkQiVCK0ry6AH4TLryh0BfV8BUeUG51SZMN6\n"
    "\n"
    "--\n"
    "-- PostgreSQL database cluster dump complete\n"
    "--\n"
    "\n";

// A gzip member made by zlib (not by the code under test); level 0 gives stored blocks, where
// a flipped data bit changes the output without breaking the deflate structure.
std::string ZlibGzip(const std::string& data, int level) {
  z_stream stream{};
  deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

std::string Body(std::size_t size, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string text;
  while (text.size() < size) {
    text += std::to_string(rng()) + "\t/data/upload/" + std::to_string(rng() % 1000) + ".jpg\n";
  }
  return text;
}

std::string Dump(std::size_t body_size) { return kDumpHead + Body(body_size, 5) + kDumpTail; }

std::string OurGzip(const std::string& data) {
  std::string out;
  FunctionSink sink([&out](const std::uint8_t* bytes, std::size_t size) {
    out.append(reinterpret_cast<const char*>(bytes), size);
  });
  auto encoder = MakeGzipEncoder(Compressor::kIsal, 1, sink).value();
  encoder->Write(data);
  encoder->Finish();
  return out;
}

core::Result<GzipReport> Verify(const std::string& bytes, const VerifyOptions& options = {}) {
  std::istringstream in(bytes);
  return VerifyGzip(in, options);
}

void ExpectCorrupt(const core::Result<GzipReport>& result, const std::string& message) {
  ASSERT_FALSE(result.ok()) << "expected failure: " << message;
  EXPECT_EQ(result.error().code, core::ErrorCode::kCorruptBackup);
  EXPECT_EQ(result.error().message, message);
}

TEST(GzipVerify, AcceptsEncoderOutputAndReportsSizes) {
  const std::string dump = Dump(3 << 20);
  const std::string gz = OurGzip(dump);
  const auto report = Verify(gz);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report.value().members, 1u);
  EXPECT_EQ(report.value().compressed_bytes, gz.size());
  EXPECT_EQ(report.value().uncompressed_bytes, dump.size());
  EXPECT_EQ(report.value().head, dump.substr(0, 8192));
  EXPECT_EQ(report.value().tail, dump.substr(dump.size() - 4096));
}

TEST(GzipVerify, AcceptsMultiMemberFiles) {
  const std::string first = Body(500000, 1);
  const std::string second = Body(300000, 2);
  const std::string gz = ZlibGzip(first, 6) + OurGzip(second) + ZlibGzip("", 6);
  const auto report = Verify(gz);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report.value().members, 3u);
  EXPECT_EQ(report.value().uncompressed_bytes, first.size() + second.size());
  EXPECT_EQ(report.value().head, first.substr(0, 8192));
  EXPECT_EQ(report.value().tail, second.substr(second.size() - 4096));
}

TEST(GzipVerify, AcceptsHeaderWithNameCommentAndExtraFields) {
  std::string gz = ZlibGzip("hello\n", 6);
  // FEXTRA | FNAME | FCOMMENT, inserted after the 10 fixed header bytes.
  gz[3] = 0x1C;
  gz.insert(10, std::string("\x03\x00"
                            "abc"
                            "dump.sql\0"
                            "made by test\0",
                            27));
  const auto report = Verify(gz);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report.value().head, "hello\n");
}

TEST(GzipVerify, ReportsCrcMismatchWithMemberEnd) {
  const std::string data = Body(100000, 3);
  std::string gz = ZlibGzip(data, 0);
  gz[gz.size() / 2] ^= 0x10;  // inside a stored block: the data changes, the structure does not
  ExpectCorrupt(Verify(gz), "CRC mismatch in member ending at offset " + std::to_string(gz.size()));
}

TEST(GzipVerify, ReportsLengthMismatchWithMemberEnd) {
  std::string gz = OurGzip(Body(100000, 4));
  gz[gz.size() - 2] ^= 0x01;  // the ISIZE field
  const auto result = Verify(gz);
  ExpectCorrupt(result, "length mismatch in member ending at offset " + std::to_string(gz.size()));
}

TEST(GzipVerify, CatchesAnyFlippedBitInCompressedData) {
  const std::string gz = OurGzip(Dump(1 << 20));
  for (std::size_t position :
       {std::size_t{20}, gz.size() / 3, gz.size() / 2, gz.size() - 12, gz.size() - 6}) {
    std::string damaged = gz;
    damaged[position] ^= 0x04;
    const auto result = Verify(damaged);
    ASSERT_FALSE(result.ok()) << "flipped bit at " << position << " went unnoticed";
    EXPECT_EQ(result.error().code, core::ErrorCode::kCorruptBackup);
  }
}

TEST(GzipVerify, ReportsTruncationAtTheEndOfData) {
  const std::string gz = OurGzip(Dump(1 << 20));
  for (std::size_t cut : {std::size_t{1}, std::size_t{5}, std::size_t{12}, gz.size() / 2,
                          gz.size() - 8, gz.size() - 1}) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    ExpectCorrupt(Verify(gz.substr(0, cut)),
                  "truncated gzip data at offset " + std::to_string(cut));
  }
}

TEST(GzipVerify, RejectsEmptyFileAsNotGzip) {
  const auto result = Verify("");
  ExpectCorrupt(result, "not a gzip file");
  EXPECT_EQ(result.error().detail, "The file is empty.");
}

TEST(GzipVerify, RejectsGarbageAsNotGzip) {
  ExpectCorrupt(Verify("-- PostgreSQL database dump\nSELECT 1;\n"), "not a gzip file");
  std::mt19937_64 rng(8);
  std::string noise(100000, '\0');
  for (char& byte : noise) byte = static_cast<char>(rng());
  noise[0] = 0x55;
  ExpectCorrupt(Verify(noise), "not a gzip file");
}

TEST(GzipVerify, RejectsUnsupportedMethodAndReservedFlags) {
  std::string gz = ZlibGzip("x", 6);
  std::string method = gz;
  method[2] = 7;
  ExpectCorrupt(Verify(method), "unsupported gzip compression method 7 at offset 2");
  std::string flags = gz;
  flags[3] = static_cast<char>(0x80);
  ExpectCorrupt(Verify(flags), "invalid gzip header flags at offset 3");
}

TEST(GzipVerify, RejectsTrailingGarbageAfterLastMember) {
  const std::string gz = OurGzip("SELECT 1;\n");
  ExpectCorrupt(Verify(gz + "junk"), "trailing garbage at offset " + std::to_string(gz.size()));
}

TEST(GzipVerify, ReportsInvalidDeflateData) {
  std::string gz = ZlibGzip("abc", 6);
  gz[10] = static_cast<char>(0x07);  // block type 3 (reserved) in the first deflate header
  const auto result = Verify(gz);
  ExpectCorrupt(result, "invalid deflate data at offset 11");
  EXPECT_EQ(result.error().detail, "zlib says: invalid block type.");
}

TEST(GzipVerify, ReportsProgressUpToTheFileSize) {
  const std::string gz = OurGzip(Body(4 << 20, 6));
  std::vector<std::uint64_t> seen;
  VerifyOptions options;
  options.progress = [&seen](std::uint64_t read) { seen.push_back(read); };
  ASSERT_TRUE(Verify(gz, options).ok());
  ASSERT_GT(seen.size(), 1u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(seen.back(), gz.size());
}

TEST(GzipVerify, HeadAndTailStayWithinTheirLimits) {
  const std::string data = Body(2 << 20, 7);
  VerifyOptions options;
  options.head_bytes = 100;
  options.tail_bytes = 50;
  const auto report = Verify(OurGzip(data), options);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report.value().head, data.substr(0, 100));
  EXPECT_EQ(report.value().tail, data.substr(data.size() - 50));
}

TEST(GzipVerify, FileVariantReadsFilesAndReportsMissingOnes) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("gzip_verify_test_" + std::to_string(getpid()) + ".sql.gz"))
                               .string();
  const std::string gz = OurGzip(Dump(100000));
  std::ofstream(path, std::ios::binary).write(gz.data(), static_cast<std::streamsize>(gz.size()));
  const auto report = VerifyGzipFile(path);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report.value().compressed_bytes, gz.size());
  std::filesystem::remove(path);
  const auto missing = VerifyGzipFile(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, core::ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message, "backup file not found: " + path);
}

TEST(GzipDumpText, ReadsPgDumpHeaderAndCompletion) {
  const DumpInfo info = InspectDumpText(kDumpHead, kDumpTail);
  EXPECT_EQ(info.kind, DumpKind::kDatabase);
  EXPECT_STREQ(DumpKindName(info.kind), "database");
  EXPECT_EQ(info.server_version, "14.17");
  EXPECT_EQ(info.pg_dump_version, "14.19");
  EXPECT_TRUE(info.complete);
}

TEST(GzipDumpText, ReadsPgDumpallHeaderAndCompletion) {
  const DumpInfo info = InspectDumpText(kClusterHead, kClusterTail);
  EXPECT_EQ(info.kind, DumpKind::kCluster);
  EXPECT_STREQ(DumpKindName(info.kind), "cluster");
  EXPECT_EQ(info.server_version, "14.10");
  EXPECT_EQ(info.pg_dump_version, "14.10");
  EXPECT_TRUE(info.complete);
}

TEST(GzipDumpText, ClusterDumpNeedsTheClusterCompletionLine) {
  // pg_dumpall stopped after its last database: the pg_dump line alone is not enough.
  const DumpInfo info = InspectDumpText(kClusterHead, kDumpTail);
  EXPECT_EQ(info.kind, DumpKind::kCluster);
  EXPECT_FALSE(info.complete);
}

TEST(GzipDumpText, DumpCutShortIsNotComplete) {
  const DumpInfo info = InspectDumpText(kDumpHead, "COPY public.asset (id) FROM stdin;\nabc\n");
  EXPECT_EQ(info.kind, DumpKind::kDatabase);
  EXPECT_FALSE(info.complete);
}

TEST(GzipDumpText, CompletionLineFollowedBySqlIsNotComplete) {
  const std::string tail = std::string(kDumpTail) + "SELECT 1;\n";
  EXPECT_FALSE(InspectDumpText(kDumpHead, tail).complete);
}

TEST(GzipDumpText, UnterminatedLastHeadLineIsIgnored) {
  const std::string head =
      "--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 1";
  const DumpInfo info = InspectDumpText(head, "");
  EXPECT_EQ(info.kind, DumpKind::kDatabase);
  EXPECT_EQ(info.server_version, "");
  EXPECT_FALSE(info.complete);
}

TEST(GzipDumpText, UnknownTextHasNoKindOrVersions) {
  const DumpInfo info = InspectDumpText("hello\nworld\n", "bye\n");
  EXPECT_EQ(info.kind, DumpKind::kUnknown);
  EXPECT_STREQ(DumpKindName(info.kind), "unknown");
  EXPECT_EQ(info.server_version, "");
  EXPECT_EQ(info.pg_dump_version, "");
  EXPECT_FALSE(info.complete);
}

TEST(GzipDumpText, VerifiedHeadAndTailFeedTheInspection) {
  const auto report = Verify(OurGzip(Dump(2 << 20)));
  ASSERT_TRUE(report.ok());
  const DumpInfo info = InspectDumpText(report.value().head, report.value().tail);
  EXPECT_EQ(info.kind, DumpKind::kDatabase);
  EXPECT_EQ(info.server_version, "14.17");
  EXPECT_TRUE(info.complete);
}

}  // namespace
}  // namespace immich_maint::sidecar

namespace immich_maint::sidecar {
namespace {

// ISA-L's inflate (fast_inflate) agrees with zlib's on every file, also when a member's end and
// its trailer straddle the reader's 256 KB buffer boundary (ISA-L reads up to 8 bytes past the
// deflate data; those must be given back across the boundary).
TEST(GzipVerifyFast, AgreesWithZlibAcrossBufferBoundaries) {
  std::mt19937 random(3);
  std::string noise(std::size_t{300} * 1024, '\0');
  for (char& c : noise) c = static_cast<char>(random() % 256);
  VerifyOptions fast;
  fast.fast_inflate = true;
  const std::string second = ZlibGzip(std::string(kDumpHead) + "tail member\n" + kDumpTail, 6);
  for (const int level : {0, 1}) {
    for (std::size_t length = 262144 - 64; length <= 262144 + 16; ++length) {
      const std::string bytes = ZlibGzip(noise.substr(0, length), level) + second;
      const GzipReport slow = Verify(bytes).value();
      const GzipReport quick = Verify(bytes, fast).value();
      ASSERT_EQ(quick.uncompressed_bytes, slow.uncompressed_bytes) << level << " " << length;
      ASSERT_EQ(quick.compressed_bytes, bytes.size()) << level << " " << length;
      ASSERT_EQ(quick.members, 2u);
      ASSERT_EQ(quick.tail, slow.tail);
    }
  }
}

TEST(GzipVerifyFast, RefusesWhatZlibRefusesWithTheSameMessages) {
  const std::string good = OurGzip(std::string(kDumpHead) + kDumpTail);
  VerifyOptions fast;
  fast.fast_inflate = true;
  std::string crc = good;
  crc[crc.size() - 6] ^= 0x01;
  EXPECT_EQ(Verify(crc, fast).error().message, Verify(crc).error().message);
  const std::string truncated = good.substr(0, good.size() - 3);
  EXPECT_EQ(Verify(truncated, fast).error().message, Verify(truncated).error().message);
  const std::string cut_in_data = good.substr(0, good.size() / 2);
  EXPECT_EQ(Verify(cut_in_data, fast).error().message.rfind("truncated gzip data at offset ", 0), 0u);
  std::string bad_block = good;
  bad_block[10] = static_cast<char>(0x07);  // BFINAL=1, BTYPE=11: a reserved block type
  const auto refused = Verify(bad_block, fast);
  ASSERT_FALSE(refused.ok());
  // ISA-L reads ahead, so its offset is where it noticed (a few bytes on), not where zlib does
  EXPECT_EQ(refused.error().message.rfind("invalid deflate data at offset ", 0), 0u);
  EXPECT_EQ(refused.error().detail, "ISA-L says: invalid block.");
}

}  // namespace
}  // namespace immich_maint::sidecar
