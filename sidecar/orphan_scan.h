// The orphan file scan (OrphanFileScan job, `immich-maintd scan-orphans`): the database's file
// references read in one snapshot, the five folders that hold referenced files walked, and the
// difference reported: orphans (on disk, unknown to the database) and missing files (referenced,
// not on disk). Nothing is deleted unless asked; see orphan_actions.h for what can be asked.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "sidecar/media_walk.h"
#include "sidecar/pg_connection.h"
#include "sidecar/report_store.h"

namespace immich_maint::sidecar {

struct OrphanScanOptions {
  std::string media;
  std::string db_media_prefix;          // empty: detect (see db_file_refs.h)
  bool quarantine = false;              // move orphans to <media>/.immich_maint-quarantine/<stamp>/
  bool delete_regenerable = false;      // delete orphans in thumbs and encoded-video
  std::int64_t min_age_seconds = 3600;  // younger files may be uploads in progress: skipped
  std::function<void(double)> progress;
};

struct OrphanFile {
  std::string relative;  // media-relative, raw bytes
  std::string folder;
  EntryType type = EntryType::kFile;
  std::uint64_t size = 0;
  std::int64_t modified = 0;  // epoch seconds
  std::string action;         // quarantined, deleted, failed; empty: reported only
  std::string moved_to;       // media-relative quarantine path
  std::string error;
};

struct FolderTally {
  bool present = true;
  std::uint64_t files = 0, orphans = 0, orphan_bytes = 0, missing = 0;
};

struct OrphanScanResult {
  std::string media, prefix, prefix_source;
  std::vector<std::string> columns;
  std::uint64_t db_rows = 0, db_paths = 0, db_elsewhere = 0;
  std::uint64_t files_seen = 0, referenced = 0, skipped_young = 0, unverified = 0;
  std::int64_t min_age_seconds = 0;
  std::vector<OrphanFile> orphans;
  std::vector<std::string> missing;                             // media-relative
  std::vector<std::pair<std::string, std::string>> unreadable;  // path, reason
  std::map<std::string, FolderTally, std::less<>> folders;
  std::string quarantine;  // media-relative run folder; empty when nothing was moved
  double seconds = 0, db_seconds = 0, walk_seconds = 0;  // in all; reading the database; walking
};

// Throws kNotFound (no media location), kNotMounted (a folder Immich saw has no marker: every
// file in it would look missing), kInvalidArgument (no database path under the prefix).
// Failures to move or delete single files are recorded in the orphans, not thrown.
OrphanScanResult RunOrphanScan(PgConnection& conn, const OrphanScanOptions& options);

// Counts, bytes, folders, unreadable folders, the quarantine folder and every deleted file;
// with_files adds every orphan and missing file (for --json).
nlohmann::json OrphanScanJson(const OrphanScanResult& result, bool with_files);

// The rows for immich_maint.file_report.
std::vector<FileReportRow> FileReportRows(const OrphanScanResult& result);

// Throws kIoError when some orphan could not be moved or deleted.
void ThrowIfActionsFailed(const OrphanScanResult& result);

}  // namespace immich_maint::sidecar
