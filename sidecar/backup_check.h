// Whether a backup file can be trusted, before anyone restores it: which file a name means (only
// names Immich accepts, only inside the backups folder), and a full read of it (gzip CRC and
// length of every member, or a plain .sql file) that ends in pg_dump's completion line. Used by
// `verify`, `import` and `restore`; the restore reads the file through the same code again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "sidecar/gzip_verify.h"

namespace immich_maint::sidecar {

// <folder>/<name> for a backup name: kInvalidBackupName `invalid backup name: <name>` unless
// Immich's valid-name rule accepts it (so no '/', no traversal), kInvalidBackupName
// `backup name leads out of the backups folder: <name>` for a symbolic link to a file elsewhere,
// kNotFound `backup not found: <name>`, kInvalidArgument `backup is not a file: <name>`.
std::string BackupPathForName(const std::string& folder, const std::string& name);

// A path given by the user: kNotFound `backup not found: <path>`, kInvalidArgument
// `backup is not a file: <path>`. Returns the path.
std::string RequireBackupFile(const std::string& path);

// verify's argument: containing a '/', a path (RequireBackupFile); otherwise a name in the folder.
std::string ResolveBackupArgument(const std::string& folder, const std::string& argument);

// A file ending in ".gz" is gzip (as Immich decides); anything else is plain SQL.
bool IsGzipName(const std::string& name);

struct BackupCheck {
  std::string name;  // basename
  std::string path;
  bool gzip = false;
  std::uint64_t size = 0;       // bytes on disk
  std::uint64_t sql_bytes = 0;  // bytes of SQL
  std::uint32_t members = 0;    // gzip members (0 for plain SQL)
  DumpInfo dump;
  bool cluster_by_name = false;  // Immich's rule: a version <= 2.4 in the name
  double seconds = 0;
};

struct CheckOptions {
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;   // file bytes read
  std::function<void(const std::uint8_t* data, std::size_t size)> on_sql;  // the SQL, in order
  // ISA-L's inflate (about twice as fast) instead of zlib's. The restore uses it: the CRC and
  // length decide whether the data is intact. `verify` and `import` keep zlib, the reference
  // for what gunzip, Node and Python (and so Immich) accept.
  bool fast_inflate = false;
  // The name the file is judged (gzip or plain) and reported by; empty: its own. A file still
  // being written is read under its final name rather than as `<name>.tmp`.
  std::string name;
};

// Reads the whole file. Throws core::Failure: kNotFound, kIoError, or kCorruptBackup
// `corrupt backup <name>: <what>` where what is gzip_verify's finding (`not a gzip file`,
// `truncated gzip data at offset N`, `CRC mismatch in member ending at offset N`, ...),
// `the file is empty`, `not a pg_dump or pg_dumpall dump` or `the dump is incomplete`.
BackupCheck CheckBackupFile(const std::string& path, const CheckOptions& options = {});

// For --json and job results.
nlohmann::json BackupCheckJson(const BackupCheck& check);

}  // namespace immich_maint::sidecar
