// The orphan scan as a list of steps: check the folders are mounted, read the database's paths,
// walk the folders, split the unseen paths, act on orphans when asked.
#include "sidecar/orphan_scan.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>

#include "core/error.h"
#include "core/media_paths.h"
#include "core/path_text.h"
#include "core/storage_folders.h"
#include "sidecar/db_file_refs.h"
#include "sidecar/orphan_actions.h"
#include "sidecar/server_info.h"
#include "sidecar/storage_check.h"

namespace immich_maint::sidecar {

namespace {

struct WalkState {
  const OrphanScanOptions& options;
  OrphanScanResult& result;
  core::PathSet& refs;
  std::vector<std::string> unreadable;  // raw media-relative paths, for FindMissing
  std::int64_t now = 0;
};

void Progress(const OrphanScanOptions& options, double fraction) {
  if (options.progress) options.progress(fraction);
}

// Every scanned folder Immich saw mounted must still have its marker: an unmounted volume would
// make every file in it look missing, and its mount point's files orphans.
void RequireFoldersMounted(PgConnection& conn, const std::string& media) {
  for (const auto& spec : core::StorageFolders()) {
    if (spec.scanned_for_orphans) CheckFolderMounted(conn, media, spec.name);
  }
}

void OnUnreadable(WalkState& state, const std::string& relative, int error_number) {
  state.unreadable.push_back(relative);
  state.result.unreadable.emplace_back(relative, std::strerror(error_number));
}

void OnEntry(WalkState& state, FolderTally& tally, const std::string& folder,
             const WalkEntry& entry) {
  if (core::IsSkippedName(entry.name)) return;
  OrphanScanResult& result = state.result;
  ++result.files_seen, ++tally.files;
  if (result.files_seen % 8192 == 0 && result.db_paths > 0) {
    Progress(state.options,
             0.1 + 0.8 * std::min(1.0, double(result.files_seen) / double(result.db_paths)));
  }
  if (state.refs.MarkSeen(entry.relative)) return (void)++result.referenced;
  struct stat st {};
  if (const int error_number = StatEntry(entry, st))
    return OnUnreadable(state, std::string(entry.relative), error_number);
  const std::int64_t changed =
      std::max<std::int64_t>(st.st_mtime, st.st_ctime);  // a rename moves ctime
  if (state.now - changed < state.options.min_age_seconds) return (void)++result.skipped_young;
  result.orphans.push_back({std::string(entry.relative),
                            folder,
                            entry.type,
                            static_cast<std::uint64_t>(st.st_size),
                            static_cast<std::int64_t>(st.st_mtime),
                            {},
                            {},
                            {}});
  ++tally.orphans;
  tally.orphan_bytes += static_cast<std::uint64_t>(st.st_size);
}

void WalkFolders(WalkState& state) {
  for (const auto& spec : core::StorageFolders()) {
    if (!spec.scanned_for_orphans) continue;
    FolderTally& tally = state.result.folders[spec.name];
    const std::string folder = spec.name;
    WalkVisitor visitor{
        [&](const WalkEntry& e) { OnEntry(state, tally, folder, e); },
        [&](const std::string& r, int error_number) { OnUnreadable(state, r, error_number); }};
    tally.present = WalkStorageFolder(state.options.media, folder, visitor);
  }
}

void SplitUnseen(const core::PathSet& refs, const std::vector<std::string>& unreadable,
                 OrphanScanResult& result) {
  const core::MissingPaths split = core::FindMissing(refs, unreadable);
  result.unverified = split.unverified.size();
  for (const std::size_t index : split.missing) {
    result.missing.emplace_back(refs.at(index));
    ++result.folders[std::string(core::FolderOfRelative(result.missing.back()))].missing;
  }
}

void TakeRefsFacts(const DbFileRefs& refs, OrphanScanResult& result) {
  result.prefix = refs.prefix;
  result.prefix_source = refs.prefix_source;
  result.columns = refs.columns;
  result.db_rows = refs.rows;
  result.db_paths = refs.paths.size();
  result.db_elsewhere = refs.elsewhere;
}

}  // namespace

OrphanScanResult RunOrphanScan(PgConnection& conn, const OrphanScanOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  RequireMediaFolder(options.media);
  RequireFoldersMounted(conn, options.media);
  OrphanScanResult result;
  result.media = options.media;
  result.min_age_seconds = options.min_age_seconds;
  DbFileRefs refs = ReadDbFileRefs(conn, options.media, options.db_media_prefix);
  TakeRefsFacts(refs, result);
  Progress(options, 0.1);
  WalkState state{options, result, refs.paths, {}, static_cast<std::int64_t>(std::time(nullptr))};
  WalkFolders(state);
  SplitUnseen(refs.paths, state.unreadable, result);
  Progress(options, 0.9);
  if (options.quarantine || options.delete_regenerable) {
    result.quarantine = ApplyOrphanActions(options.media, options, result.orphans);
  }
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace immich_maint::sidecar
