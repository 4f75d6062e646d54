// The storage check (StorageCheck job, `immich-maintd check-storage`): for each of Immich's six
// folders, whether it exists, can be listed and written (the `.immich` marker rewritten as
// Immich does), its marker, Immich's entry count and the free space; judged by core's rules.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/storage_folders.h"
#include "sidecar/pg_connection.h"

namespace immich_maint::sidecar {

struct FolderReport {
  core::FolderObservation seen;
  core::FolderVerdict verdict;
  bool critical = false;
  std::optional<std::uint64_t> entries;     // when listed
  std::optional<std::uint64_t> free_bytes;  // when the folder exists
  std::optional<std::uint64_t> total_bytes;
};

struct StorageReport {
  std::string media;
  std::vector<FolderReport> folders;   // Immich's order
  std::optional<core::Error> failure;  // a critical folder failed
};

// Throws kNotFound "media location does not exist: <media>" unless it is a folder.
void RequireMediaFolder(const std::string& media);

// The folders Immich's system-flags.mountChecks marks as seen (empty without system_metadata).
std::set<std::string> ReadMountChecks(PgConnection& conn);

// Looks at every folder; writes only the existing markers (rewritten in place, fsynced) and a
// probe file it removes at once. A folder not mounted is not written to. Throws kNotFound when
// the media location itself does not exist.
StorageReport CheckStorage(const std::string& media, const std::set<std::string>& mount_checks);

nlohmann::json StorageReportJson(const StorageReport& report);

// Throws report.failure, when there is one.
void ThrowIfStorageFailed(const StorageReport& report);

}  // namespace immich_maint::sidecar
