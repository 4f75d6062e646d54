// What is in <media>/backups: the files Immich would list, with what we know about each.
// Shared by `list`, retention and the backup_file table refresh.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace immich_maint::sidecar {

struct BackupEntry {
  std::string name;
  std::uint64_t size = 0;
  std::int64_t modified_epoch = 0;  // seconds, UTC
  std::string kind;                 // core::BackupKindName
  std::optional<std::string> version;
  std::string compat;               // core::CompatName
};

// All directory entry names of a folder (files only, not recursive). A missing or unreadable
// folder is a Failure (kNotFound / kPermissionDenied) that says which folder.
std::vector<std::string> ListFolderNames(const std::string& folder);

// Valid backup names only, newest first (modification time, then name), as Immich lists them.
// current_version empty: compatibility "unknown" for every file.
std::vector<BackupEntry> ListBackups(const std::string& folder, const std::string& current_version);

// ISO 8601 UTC, e.g. 2025-07-29T11:40:18Z
std::string FormatUtc(std::int64_t epoch_seconds);

}  // namespace immich_maint::sidecar
