// Scans the backups folder and describes each valid backup with core's name rules.
#include "sidecar/backup_inventory.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "core/backup_name.h"
#include "core/error.h"

namespace immich_maint::sidecar {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void ThrowFolderError(const std::string& folder, const std::error_code& ec) {
  const bool missing = ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory;
  throw core::Failure(core::MakeError(
      missing ? core::ErrorCode::kNotFound : core::ErrorCode::kPermissionDenied,
      (missing ? "backups folder does not exist: " : "cannot read backups folder: ") + folder,
      "The system said: " + ec.message() + ".",
      "Check --media or IMMICH_MEDIA_LOCATION; Immich keeps backups in <media>/backups."));
}

BackupEntry Describe(const std::string& folder, const std::string& name,
                     const std::string& current_version) {
  BackupEntry entry;
  entry.name = name;
  struct stat st {};
  if (::stat((folder + "/" + name).c_str(), &st) == 0) {
    entry.size = static_cast<std::uint64_t>(st.st_size);
    entry.modified_epoch = st.st_mtime;
  }
  entry.kind = core::BackupKindName(core::ClassifyBackupName(name));
  entry.version = core::BackupVersion(name);
  entry.compat = core::CompatName(current_version.empty()
                                      ? core::Compat::kUnknown
                                      : core::CompareBackupVersion(name, current_version));
  return entry;
}

}  // namespace

std::vector<std::string> ListFolderNames(const std::string& folder) {
  std::error_code ec;
  fs::directory_iterator it(folder, ec);
  if (ec) ThrowFolderError(folder, ec);
  std::vector<std::string> names;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) names.push_back(it->path().filename().string());
  }
  if (ec) ThrowFolderError(folder, ec);
  return names;
}

std::vector<BackupEntry> ListBackups(const std::string& folder, const std::string& current_version) {
  std::vector<BackupEntry> entries;
  for (const auto& name : ListFolderNames(folder)) {
    if (core::IsValidBackupName(name)) entries.push_back(Describe(folder, name, current_version));
  }
  std::sort(entries.begin(), entries.end(), [](const BackupEntry& a, const BackupEntry& b) {
    if (a.modified_epoch != b.modified_epoch) return a.modified_epoch > b.modified_epoch;
    return a.name > b.name;
  });
  return entries;
}

std::string FormatUtc(std::int64_t epoch_seconds) {
  const std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm {};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

}  // namespace immich_maint::sidecar
