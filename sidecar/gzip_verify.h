// Verifies a gzip backup end to end before anyone trusts it: every member's CRC32 and length,
// in bounded memory. It also keeps the dump's first and last few KB, which say what kind of
// dump it is, which PostgreSQL made it, and whether pg_dump reached its last line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <string_view>

#include "core/error.h"

namespace immich_maint::sidecar {

struct VerifyOptions {
  // A cluster dump's first pg_dump header (with the versions) comes a KB or two in.
  std::size_t head_bytes = std::size_t{8} * 1024;
  std::size_t tail_bytes = std::size_t{4} * 1024;
  // Called after each read with the compressed bytes read so far.
  std::function<void(std::uint64_t)> progress;
  // ISA-L's inflate instead of zlib's (about twice as fast). zlib stays the default: it is what
  // gunzip, Node and Python use, so a file it accepts is one they read.
  bool fast_inflate = false;
  // Called with every piece of decompressed data, in order (e.g. to scan the SQL on the way).
  std::function<void(const std::uint8_t* data, std::size_t size)> on_data;
};

struct GzipReport {
  std::uint64_t compressed_bytes = 0;
  std::uint64_t uncompressed_bytes = 0;
  std::uint32_t members = 0;
  std::string head;  // the first head_bytes of the decompressed data (less if shorter)
  std::string tail;  // the last tail_bytes
};

// Reads the whole stream. Errors: kCorruptBackup `not a gzip file`, `truncated gzip data at
// offset N`, `CRC mismatch in member ending at offset N`, `length mismatch in member ending at
// offset N`, `invalid deflate data at offset N`, `trailing garbage at offset N`, ... with N a
// compressed byte offset; kIoError if the stream cannot be read.
core::Result<GzipReport> VerifyGzip(std::istream& in, const VerifyOptions& options = {});
// The same for a file; kNotFound if it does not exist.
core::Result<GzipReport> VerifyGzipFile(const std::string& path, const VerifyOptions& options = {});

enum class DumpKind { kUnknown, kDatabase, kCluster };
const char* DumpKindName(DumpKind kind);  // "unknown", "database", "cluster"

struct DumpInfo {
  DumpKind kind = DumpKind::kUnknown;
  std::string server_version;   // first word after "-- Dumped from database version", or ""
  std::string pg_dump_version;  // first word after "-- Dumped by pg_dump version", or ""
  // The completion line for the kind (either one when the kind is unknown) is the last
  // statement-like line: only comments, blank lines and psql's \unrestrict may follow it.
  bool complete = false;
};

// Pure: inspects the head and tail kept by VerifyGzip (or any text).
DumpInfo InspectDumpText(std::string_view head, std::string_view tail);

}  // namespace immich_maint::sidecar
