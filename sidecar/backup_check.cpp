// Backup file resolution and verification (see backup_check.h).
#include "sidecar/backup_check.h"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/backup_name.h"
#include "core/error.h"

namespace immich_maint::sidecar {

namespace {

namespace fs = std::filesystem;
using core::ErrorCode;
using core::MakeError;

constexpr std::size_t kHead = std::size_t{8} * 1024;
constexpr std::size_t kTail = std::size_t{4} * 1024;
constexpr const char* kCorruptHint = "Do not restore this file; use another backup.";

[[noreturn]] void ThrowIfUnreadable(const std::string& path) {
  throw core::Failure(
      MakeError(ErrorCode::kIoError, "cannot read " + path + ": " + std::strerror(errno)));
}

[[noreturn]] void Corrupt(const std::string& name, const std::string& what,
                          const std::string& detail) {
  throw core::Failure(MakeError(ErrorCode::kCorruptBackup, "corrupt backup " + name + ": " + what,
                                detail, kCorruptHint));
}

// A symbolic link is followed only while it stays inside the folder.
void CheckStaysInside(const std::string& folder, const std::string& name, const fs::path& path) {
  std::error_code ec;
  const fs::path real_folder = fs::canonical(folder, ec);
  const fs::path target = fs::canonical(path, ec);
  if (ec) {
    throw core::Failure(MakeError(ErrorCode::kNotFound, "backup not found: " + name,
                                  "It is a symbolic link to a file that does not exist."));
  }
  if (target.parent_path() != real_folder) {
    throw core::Failure(MakeError(ErrorCode::kInvalidBackupName,
                                  "backup name leads out of the backups folder: " + name,
                                  "It is a symbolic link to " + target.string() + ".",
                                  "Copy the file into the backups folder, or use import."));
  }
}

// Plain SQL: the whole file is read, in pieces, keeping its first and last few KB.
GzipReport ReadPlain(const std::string& path, const CheckOptions& options, std::uint64_t total) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ThrowIfUnreadable(path);
  GzipReport report;
  std::vector<char> buffer(std::size_t{256} * 1024);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    const auto n = static_cast<std::size_t>(in.gcount());
    if (report.head.size() < kHead)
      report.head.append(buffer.data(), std::min(n, kHead - report.head.size()));
    report.tail.append(buffer.data(), n);
    if (report.tail.size() > kTail) report.tail.erase(0, report.tail.size() - kTail);
    report.uncompressed_bytes += n;
    if (options.on_sql) options.on_sql(reinterpret_cast<const std::uint8_t*>(buffer.data()), n);
    if (options.progress) options.progress(report.uncompressed_bytes, total);
  }
  if (in.bad()) ThrowIfUnreadable(path);
  report.compressed_bytes = report.uncompressed_bytes;
  return report;
}

GzipReport ReadGzip(const std::string& path, const std::string& name, const CheckOptions& options,
                    std::uint64_t total) {
  VerifyOptions verify;
  verify.head_bytes = kHead;
  verify.tail_bytes = kTail;
  if (options.progress)
    verify.progress = [&](std::uint64_t done) { options.progress(done, total); };
  verify.on_data = options.on_sql;
  verify.fast_inflate = options.fast_inflate;
  auto report = VerifyGzipFile(path, verify);
  if (report.ok()) return std::move(report).value();
  const core::Error& error = report.error();
  if (error.code != ErrorCode::kCorruptBackup) throw core::Failure(error);
  Corrupt(name, error.message, error.detail);
}

void CheckDumpText(BackupCheck& check, const GzipReport& report) {
  check.dump = InspectDumpText(report.head, report.tail);
  if (report.uncompressed_bytes == 0) {
    Corrupt(check.name, "the file is empty", check.gzip ? "The gzip data holds no SQL." : "");
  }
  if (check.dump.kind == DumpKind::kUnknown) {
    Corrupt(check.name, "not a pg_dump or pg_dumpall dump",
            "Its first lines hold no \"-- PostgreSQL database dump\" or \"-- PostgreSQL database "
            "cluster dump\" header.");
  }
  if (!check.dump.complete) {
    Corrupt(check.name, "the dump is incomplete",
            std::string("It does not end with the line \"-- PostgreSQL database ") +
                (check.dump.kind == DumpKind::kCluster ? "cluster " : "") +
                "dump complete\": the dump was cut short.");
  }
}

}  // namespace

std::string BackupPathForName(const std::string& folder, const std::string& name) {
  if (!core::IsValidBackupName(name)) {
    throw core::Failure(MakeError(ErrorCode::kInvalidBackupName, "invalid backup name: " + name,
                                  "Immich accepts only names of letters, digits, '-', '_' and '.' "
                                  "ending in .sql or .sql.gz (^[\\d\\w-.]+\\.sql(?:\\.gz)?$).",
                                  "Give the name of a file in " + folder + ", without a folder."));
  }
  const fs::path path = fs::path(folder) / name;
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(path, ec);
  if (!fs::exists(status)) {
    throw core::Failure(MakeError(ErrorCode::kNotFound, "backup not found: " + name,
                                  "There is no such file in " + folder + ".",
                                  "immich-maintd list shows the backups there."));
  }
  if (fs::is_symlink(status)) CheckStaysInside(folder, name, path);
  if (!fs::is_regular_file(path, ec)) {
    throw core::Failure(MakeError(ErrorCode::kInvalidArgument, "backup is not a file: " + name));
  }
  return path.string();
}

std::string RequireBackupFile(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    throw core::Failure(MakeError(ErrorCode::kNotFound, "backup not found: " + path));
  }
  if (!fs::is_regular_file(path, ec)) {
    throw core::Failure(MakeError(ErrorCode::kInvalidArgument, "backup is not a file: " + path));
  }
  return path;
}

std::string ResolveBackupArgument(const std::string& folder, const std::string& argument) {
  if (argument.find('/') == std::string::npos) return BackupPathForName(folder, argument);
  return RequireBackupFile(argument);
}

bool IsGzipName(const std::string& name) {
  return name.size() >= 3 && name.compare(name.size() - 3, 3, ".gz") == 0;
}

BackupCheck CheckBackupFile(const std::string& path, const CheckOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  BackupCheck check;
  check.path = path;
  check.name = options.name.empty() ? fs::path(path).filename().string() : options.name;
  check.gzip = IsGzipName(check.name);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT)
      throw core::Failure(MakeError(ErrorCode::kNotFound, "backup not found: " + path));
    ThrowIfUnreadable(path);
  }
  check.size = static_cast<std::uint64_t>(st.st_size);
  const GzipReport report = check.gzip ? ReadGzip(path, check.name, options, check.size)
                                       : ReadPlain(path, options, check.size);
  check.sql_bytes = report.uncompressed_bytes;
  check.members = report.members;
  CheckDumpText(check, report);
  check.cluster_by_name = core::IsClusterDumpByName(check.name);
  check.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return check;
}

nlohmann::json BackupCheckJson(const BackupCheck& c) {
  return {{"name", c.name},
          {"path", c.path},
          {"format", c.gzip ? "gzip" : "plain"},
          {"kind", DumpKindName(c.dump.kind)},
          {"server_version", c.dump.server_version},
          {"pg_dump_version", c.dump.pg_dump_version},
          {"complete", c.dump.complete},
          {"size", c.size},
          {"sql_bytes", c.sql_bytes},
          {"members", c.members},
          {"cluster_by_name", c.cluster_by_name},
          {"seconds", c.seconds}};
}

}  // namespace immich_maint::sidecar
