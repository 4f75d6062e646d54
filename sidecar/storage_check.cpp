// The storage check's file work: look, list, rewrite the marker, probe, measure.
#include "sidecar/storage_check.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "core/path_text.h"
#include "sidecar/server_info.h"

namespace immich_maint::sidecar {

namespace {

using core::FolderObservation;

void Unreadable(FolderObservation& seen, const std::string& path, int error_number) {
  seen.readable = false;
  seen.read_path = path;
  seen.read_errno = error_number;
}

void NotWritable(FolderObservation& seen, const std::string& path, int error_number) {
  seen.writable = false;
  seen.write_path = path;
  seen.write_errno = error_number;
}

// Immich's "files": entries directly in the folder, `.immich` excluded. errno on failure.
int CountEntries(const std::string& path, std::uint64_t& count) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return errno;
  count = 0;
  errno = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (core::CountsAsFolderEntry(entry->d_name)) ++count;
  }
  const int error_number = errno;
  ::closedir(dir);
  return error_number;
}

int ReadMarker(const std::string& marker) {
  const int fd = ::open(marker.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  char buffer[64];
  const ssize_t n = ::read(fd, buffer, sizeof(buffer));
  const int error_number = n < 0 ? errno : 0;
  ::close(fd);
  return error_number;
}

// Immich's verifyWriteAccess: the marker overwritten with the time in epoch milliseconds. In
// place (owner and mode kept, so Immich can still write it), then fsynced.
int RewriteMarker(const std::string& marker) {
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const std::string content = std::to_string(millis);
  const int fd = ::open(marker.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return errno;
  int error_number = 0;
  if (::write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size()))
    error_number = errno ? errno : EIO;
  if (error_number == 0 && ::fsync(fd) != 0) error_number = errno;
  if (::close(fd) != 0 && error_number == 0) error_number = errno;
  return error_number;
}

// Whether a new file can be created in the folder (uploads need that, the marker alone not).
int ProbeCreate(const std::string& folder) {
  const std::string probe = folder + "/.immich_maint-probe-" + std::to_string(::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  ::close(fd);
  ::unlink(probe.c_str());
  return 0;
}

// Exists, lists and finds the marker; false when there is nothing more to look at.
bool LookAt(FolderObservation& seen, FolderReport& report) {
  struct stat st {};
  if (::stat(seen.path.c_str(), &st) != 0) {
    seen.exists = errno != ENOENT && errno != ENOTDIR;
    if (seen.exists) Unreadable(seen, seen.path, errno);
    return false;
  }
  seen.exists = true;
  std::uint64_t entries = 0;
  const int list_errno = S_ISDIR(st.st_mode) ? CountEntries(seen.path, entries) : ENOTDIR;
  if (list_errno != 0) return Unreadable(seen, seen.path, list_errno), false;
  report.entries = entries;
  const std::string marker = seen.path + "/.immich";
  seen.marker = ::stat(marker.c_str(), &st) == 0;
  if (!seen.marker && errno != ENOENT) return Unreadable(seen, marker, errno), false;
  const int read_errno = seen.marker ? ReadMarker(marker) : 0;
  if (read_errno != 0) return Unreadable(seen, marker, read_errno), false;
  seen.readable = true;
  return !(seen.mount_checked && !seen.marker);  // not mounted: write nothing there
}

void TryWrites(FolderObservation& seen) {
  seen.writable = true;
  const std::string marker = seen.path + "/.immich";
  const int marker_errno = seen.marker ? RewriteMarker(marker) : 0;
  if (marker_errno != 0) return NotWritable(seen, marker, marker_errno);
  const int probe_errno = ProbeCreate(seen.path);
  if (probe_errno != 0) NotWritable(seen, seen.path, probe_errno);
}

void MeasureSpace(const std::string& path, FolderReport& report) {
  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0) return;
  report.free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  report.total_bytes = static_cast<std::uint64_t>(fs.f_blocks) * fs.f_frsize;
}

FolderReport CheckFolder(const std::string& media, const core::StorageFolderSpec& spec,
                         const std::set<std::string>& mount_checks) {
  FolderReport report;
  FolderObservation& seen = report.seen;
  seen.folder = spec.name;
  seen.path = media + "/" + spec.name;
  seen.mount_checked = mount_checks.count(spec.name) > 0;
  report.critical = spec.critical;
  if (LookAt(seen, report)) TryWrites(seen);
  if (seen.exists) MeasureSpace(seen.path, report);
  report.verdict = core::JudgeFolder(seen);
  return report;
}

nlohmann::json Optional(const std::optional<std::uint64_t>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json();
}

}  // namespace

void RequireMediaFolder(const std::string& media) {
  struct stat st {};
  if (::stat(media.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return;
  throw core::Failure(
      core::MakeError(core::ErrorCode::kNotFound, "media location does not exist: " + media, {},
                      "Set --media or IMMICH_MEDIA_LOCATION to Immich's media folder."));
}

std::set<std::string> ReadMountChecks(PgConnection& conn) {
  std::set<std::string> folders;
  if (!TableExists(conn, "system_metadata")) return folders;
  const auto rows = conn.Query(
      "SELECT f.key FROM system_metadata m, jsonb_each(m.value->'mountChecks') f "
      "WHERE m.key = 'system-flags' AND jsonb_typeof(m.value->'mountChecks') = 'object' "
      "AND f.value = 'true'::jsonb");
  for (const auto& row : rows) folders.insert(row[0].value_or(""));
  return folders;
}

StorageReport CheckStorage(const std::string& media, const std::set<std::string>& mount_checks) {
  RequireMediaFolder(media);
  StorageReport report{media, {}, std::nullopt};
  std::vector<core::FolderObservation> seen;
  std::vector<core::FolderVerdict> verdicts;
  for (const auto& spec : core::StorageFolders()) {
    report.folders.push_back(CheckFolder(media, spec, mount_checks));
    seen.push_back(report.folders.back().seen);
    verdicts.push_back(report.folders.back().verdict);
  }
  report.failure = core::StorageCheckError(seen, verdicts);
  return report;
}

nlohmann::json StorageReportJson(const StorageReport& report) {
  nlohmann::json folders = nlohmann::json::array();
  for (const auto& f : report.folders) {
    const auto& s = f.seen;
    folders.push_back({{"folder", s.folder},
                       {"path", core::EscapeInvalidUtf8(s.path)},
                       {"status", core::FolderStatusName(f.verdict.status)},
                       {"critical", f.critical},
                       {"exists", s.exists},
                       {"readable", s.readable},
                       {"writable", s.writable},
                       {"marker", s.marker},
                       {"mount_checked", s.mount_checked},
                       {"entries", Optional(f.entries)},
                       {"free_bytes", Optional(f.free_bytes)},
                       {"total_bytes", Optional(f.total_bytes)},
                       {"problem", f.verdict.problem.empty() ? nlohmann::json()
                                                             : nlohmann::json(f.verdict.problem)}});
  }
  return {{"media", core::EscapeInvalidUtf8(report.media)},
          {"ok", !report.failure.has_value()},
          {"folders", folders}};
}

void ThrowIfStorageFailed(const StorageReport& report) {
  if (report.failure) throw core::Failure(*report.failure);
}

}  // namespace immich_maint::sidecar
