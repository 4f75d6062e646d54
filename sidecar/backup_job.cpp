// The backup procedure (see backup_job.h).
#include "sidecar/backup_job.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <ctime>
#include <optional>
#include <thread>
#include <filesystem>

#include "core/backup_name.h"
#include "core/error.h"
#include "core/retention.h"
#include "sidecar/async_stage.h"
#include "sidecar/backup_check.h"
#include "sidecar/batching_sink.h"
#include "sidecar/backup_inventory.h"
#include "sidecar/backup_lock.h"
#include "sidecar/child_process.h"
#include "sidecar/client_lockout.h"
#include "sidecar/durable_file.h"
#include "sidecar/gzip_verify.h"
#include "sidecar/media_location.h"
#include "sidecar/pg_connection.h"
#include "sidecar/retention_apply.h"
#include "sidecar/server_info.h"
#include "sidecar/stream_verify.h"

namespace immich_maint::sidecar {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kOutputBatch = std::size_t{1} << 20;  // compressed bytes per file write

void EnsureBackupsFolder(const std::string& media, const std::string& folder) {
  std::error_code ec;
  if (!std::filesystem::is_directory(media, ec)) {
    throw core::Failure(core::MakeError(core::ErrorCode::kNotFound,
                                        "media location does not exist: " + media, {},
                                        "Set --media or IMMICH_MEDIA_LOCATION to Immich's media folder."));
  }
  std::filesystem::create_directory(folder, ec);  // Immich creates it too
  if (::access(folder.c_str(), W_OK | X_OK) != 0) ThrowIoError("cannot write to", folder, errno);
}

std::string RoutineName(const std::string& immich_version, const std::string& server_version) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);  // Immich names backups in the server's local time
  const core::CivilTime at{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                           tm.tm_hour, tm.tm_min, tm.tm_sec};
  return core::FormatBackupName(at, immich_version, server_version).value();
}

// Names have a resolution of one second: a second backup within the same second waits for the
// next one rather than replace the first.
std::string UnusedRoutineName(const std::string& folder, const std::string& immich_version,
                              const std::string& server_version) {
  std::string name = RoutineName(immich_version, server_version);
  while (std::filesystem::exists(folder + "/" + name)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    name = RoutineName(immich_version, server_version);
  }
  return name;
}

// The newest routine backup must fit again: refuse early rather than fill the disk.
void CheckFreeSpace(const std::string& folder) {
  const auto entries = ListBackups(folder, "");
  std::uint64_t last = 0;
  for (const auto& e : entries) {
    if (e.kind == "routine") { last = e.size; break; }
  }
  struct statvfs fs {};
  if (last == 0 || ::statvfs(folder.c_str(), &fs) != 0) return;
  const std::uint64_t free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (free_bytes < last) {
    throw core::Failure(core::MakeError(
        core::ErrorCode::kIoError, "not enough free space in " + folder,
        "The last backup took " + std::to_string(last) + " bytes; " + std::to_string(free_bytes) +
            " bytes are free.",
        "Free some space, or lower keepLastAmount."));
  }
}

// The server checks every 5 s that pg_dump is still there, also while it waits for a lock: a
// backend whose pg_dump died ends instead of holding its locks (PostgreSQL 14 and later).
constexpr const char* kNoticeDeadClient = " options='-c client_connection_check_interval=5000'";

ChildSpec DumpSpec(const DbSettings& db, const std::string& pg_dump, const std::string& app_name,
                   const BackupOptions& options) {
  ChildSpec spec;
  spec.binary = pg_dump;
  spec.args = {"--clean", "--if-exists",
               "--dbname=" + db.ConnInfoWithoutPassword() + " application_name='" + app_name +
                   "'" + kNoticeDeadClient};
  if (!db.password.empty()) spec.env.emplace_back("PGPASSWORD", db.password);
  spec.stall_timeout = options.stall_timeout;
  return spec;
}

// A failed or stalled dump may leave its server backend holding ACCESS SHARE locks: end it.
void TerminateDumpBackend(PgConnection& conn, const std::string& app_name) {
  try {
    EndSession(conn, app_name);
  } catch (const core::Failure&) {
    // best effort: the dump already failed and that is the error to report
  }
}

[[noreturn]] void ThrowDumpFailed(const ChildOutcome& outcome) {
  std::string tail = outcome.stderr_tail;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
  throw core::Failure(core::MakeError(
      core::ErrorCode::kDumpFailed, "pg_dump " + outcome.Describe(),
      tail.empty() ? std::string() : "pg_dump said: " + tail,
      outcome.stalled ? "A lock or a hung connection may block it; see --stall-timeout." : ""));
}

// The stream was verified while it was written; the file must hold exactly those bytes.
void CheckVerified(StreamVerifier& verifier, const std::string& path) {
  const GzipReport report = verifier.Finish().value();
  if (!InspectDumpText(report.head, report.tail).complete) {
    throw core::Failure(core::MakeError(core::ErrorCode::kCorruptBackup,
                                        "backup is incomplete: " + path,
                                        "The dump does not end with pg_dump's completion line."));
  }
  if (!FileMatches(path, verifier.bytes(), verifier.crc()).value()) {
    throw core::Failure(core::MakeError(core::ErrorCode::kCorruptBackup,
                                        "backup differs from what was written: " + path,
                                        "Reading the file back gave other bytes than were verified.",
                                        "Check the disk and the file system."));
  }
}

struct Prepared {
  std::string folder;
  std::string pg_dump;
};

// What can be refused without the database: before connecting, so a typo fails fast.
void CheckBackupOptions(const BackupOptions& options) {
  core::PlanRetention({}, options.keep_last_amount).value();
  FunctionSink discard([](const std::uint8_t*, std::size_t) {});
  MakeGzipEncoder(options.gzip, discard).value();  // a bad compression level
  if (!options.immich_version.empty()) {
    core::FormatBackupName(core::CivilTime{2000, 1, 1, 0, 0, 0}, options.immich_version, "15.0").value();
  }
}

// Every check that can fail before a byte is written.
Prepared Prepare(PgConnection& conn, const BackupOptions& options) {
  Prepared prepared{BackupsFolder(options.media), {}};
  EnsureBackupsFolder(options.media, prepared.folder);
  CheckFolderMounted(conn, options.media, "backups");
  const int major = SupportedServerMajor(conn.server_version());
  prepared.pg_dump = ClientBinary("pg_dump", major, options.pg_bin);
  return prepared;
}

// A restore point's check after the fact (BackupOptions::dump_ended): the whole file inflated.
void CheckWrittenFile(const DurableFile& file) {
  sidecar::CheckOptions check;
  check.fast_inflate = true;  // our own encoder's output
  check.name = std::filesystem::path(file.final_path()).filename().string();
  CheckBackupFile(file.temp_path(), check);
}

// pg_dump's output through the encoder, which runs on a thread of its own so pg_dump never
// waits for compression. A failed dump's server session is ended.
void Dump(PgConnection& conn, const DbSettings& db, const Prepared& prepared,
          const BackupOptions& options, GzipEncoder& encoder) {
  const std::string app_name = options.application_name.empty()
                                   ? "immich-maintd-dump-" + std::to_string(::getpid())
                                   : options.application_name;
  AsyncStage stage([&](const std::uint8_t* data, std::size_t size) {
    encoder.Write(data, size);
    if (options.progress) options.progress(encoder.stats().bytes_in);
  });
  const auto on_output = [&](const std::uint8_t* data, std::size_t size) { stage.Push(data, size); };
  try {
    const ChildOutcome outcome = RunChild(DumpSpec(db, prepared.pg_dump, app_name, options), on_output);
    if (!outcome.ok()) ThrowDumpFailed(outcome);
    stage.Finish();
  } catch (...) {
    TerminateDumpBackend(conn, app_name);
    throw;
  }
  encoder.Finish();
}

// The file is good only once checked: against what was verified while writing, or (restore
// points, see BackupOptions::dump_ended) read back whole.
void CheckDumpFile(DurableFile& file, StreamVerifier* verifier, const BackupOptions& options) {
  file.Sync();
  if (verifier) return CheckVerified(*verifier, file.temp_path());
  options.dump_ended();
  CheckWrittenFile(file);
}

// pg_dump -> gzip -> <name>.tmp, verified and renamed. Any failure ends the dump's backend.
void DumpInto(PgConnection& conn, const DbSettings& db, const Prepared& prepared,
              const BackupOptions& options, BackupResult& result) {
  DurableFile file(prepared.folder, result.name);
  VerifyOptions verify;
  verify.fast_inflate = true;  // our own encoder's output; zlib stays the default elsewhere
  std::optional<StreamVerifier> verifier;
  if (!options.dump_ended) verifier.emplace(verify);
  FunctionSink out([&](const std::uint8_t* data, std::size_t size) {
    file.Write(data, size);
    if (verifier) verifier->Feed(data, size);
  });
  BatchingSink sink(out, kOutputBatch);
  auto encoder = MakeGzipEncoder(options.gzip, sink).value();
  Dump(conn, db, prepared, options, *encoder);
  sink.Flush();
  CheckDumpFile(file, verifier ? &*verifier : nullptr, options);
  file.Commit();
  result.path = file.final_path();
  result.size = file.bytes_written();
  result.dump_bytes = encoder->stats().bytes_in;
  result.resets = encoder->stats().resets;
}

void ApplyRetentionInto(const std::string& folder, int keep, BackupResult& result) {
  const RetentionOutcome retention = ApplyRetention(folder, keep);
  for (const auto& d : retention.deleted) result.deleted.push_back(d.name + " (" + d.reason + ")");
  result.retention_errors = retention.errors;
}

}  // namespace

nlohmann::json BackupResultJson(const BackupResult& r) {
  return {{"name", r.name},
          {"path", r.path},
          {"size", r.size},
          {"dump_bytes", r.dump_bytes},
          {"seconds", r.seconds},
          {"resets", r.resets},
          {"compressor", r.compressor},
          {"server_version", r.server_version},
          {"immich_version", r.immich_version},
          {"deleted", r.deleted},
          {"retention_errors", r.retention_errors}};
}

BackupResult WriteRestorePoint(PgConnection& conn, const DbSettings& db,
                               const BackupOptions& options) {
  const auto started = Clock::now();
  const Prepared prepared = Prepare(conn, options);
  CheckFreeSpace(prepared.folder);
  BackupResult result;
  result.server_version = conn.server_version();
  result.immich_version = ImmichVersion(conn, options.immich_version);
  result.name = "restore-point-" +
                UnusedRoutineName(prepared.folder, result.immich_version, result.server_version);
  result.compressor = CompressorName(options.gzip.compressor);
  DumpInto(conn, db, prepared, options, result);
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return result;
}

BackupResult RunBackup(const DbSettings& db, const BackupOptions& options) {
  const auto started = Clock::now();
  CheckBackupOptions(options);
  PgConnection conn(db, "immich-maintd");
  const Prepared prepared = Prepare(conn, options);
  BackupLock lock(conn);
  CheckFreeSpace(prepared.folder);
  BackupResult result;
  result.server_version = conn.server_version();
  result.immich_version = ImmichVersion(conn, options.immich_version);
  result.name = UnusedRoutineName(prepared.folder, result.immich_version, result.server_version);
  result.compressor = CompressorName(options.gzip.compressor);
  DumpInto(conn, db, prepared, options, result);
  ApplyRetentionInto(prepared.folder, options.keep_last_amount, result);
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return result;
}

}  // namespace immich_maint::sidecar
