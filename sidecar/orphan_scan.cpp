// The orphan scan as a list of steps: check the folders are mounted, read the database's paths,
// walk the folders, split the unseen paths, act on orphans when asked.
#include "sidecar/orphan_scan.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <iterator>
#include <set>
#include <thread>

#include "core/error.h"
#include "core/media_paths.h"
#include "core/path_text.h"
#include "core/storage_folders.h"
#include "sidecar/db_file_refs.h"
#include "sidecar/orphan_actions.h"
#include "sidecar/storage_check.h"

namespace immich_maint::sidecar {

namespace {

// What every walking thread shares: read-only, but for the seen marks (one byte per path, each
// written by the one thread that meets it) and the progress count.
struct WalkShared {
  const OrphanScanOptions& options;
  core::PathSet& refs;
  std::int64_t now;
  std::uint64_t expected;  // database paths, for progress
  std::atomic<std::uint64_t> seen{0};
};

// One thread's findings, merged when the walk ends.
struct ThreadScan {
  OrphanScanResult part;                // orphans, unreadable, counters and tallies
  std::vector<std::string> unreadable;  // raw media-relative paths, for FindMissing
  bool reports_progress = false;
};

void Progress(const OrphanScanOptions& options, double fraction) {
  if (options.progress) options.progress(fraction);
}

// Every scanned folder Immich saw mounted must still have its marker: an unmounted volume would
// make every file in it look missing, and its mount point's files orphans.
// (Judged by core's rule, with a folder that cannot be looked into taken as mounted: the walk
// reports it as unreadable.)
void RequireFoldersMounted(PgConnection& conn, const std::string& media) {
  const std::set<std::string> mount_checks = ReadMountChecks(conn);
  for (const auto& spec : core::StorageFolders()) {
    if (!spec.scanned_for_orphans) continue;
    core::FolderObservation seen;
    seen.folder = spec.name;
    seen.path = media + "/" + spec.name;
    seen.mount_checked = mount_checks.count(spec.name) > 0;
    struct stat st {};
    seen.exists = ::stat(seen.path.c_str(), &st) == 0 || errno != ENOENT;
    seen.marker = ::stat((seen.path + "/.immich").c_str(), &st) == 0 || errno != ENOENT;
    seen.readable = seen.writable = true;
    core::FolderVerdict verdict = core::JudgeFolder(seen);
    if (verdict.status != core::FolderStatus::kNotMounted) continue;
    verdict.fails_run = true;  // thumbs too: every file in it would look missing
    throw core::Failure(*core::StorageCheckError({seen}, {verdict}));
  }
}

void OnUnreadable(ThreadScan& scan, const std::string& relative, int error_number) {
  scan.unreadable.push_back(relative);
  scan.part.unreadable.emplace_back(relative, std::strerror(error_number));
}

void CountSeen(WalkShared& shared, ThreadScan& scan) {
  if (++scan.part.files_seen % 4096 != 0) return;
  const std::uint64_t seen = shared.seen += 4096;
  if (scan.reports_progress && shared.expected > 0) {
    Progress(shared.options, 0.1 + 0.8 * std::min(1.0, double(seen) / double(shared.expected)));
  }
}

void OnEntry(WalkShared& shared, ThreadScan& scan, const WalkEntry& entry) {
  if (core::IsSkippedName(entry.name)) return;
  const std::string_view folder = entry.relative.substr(0, entry.relative.find('/'));
  FolderTally& tally = scan.part.folders.find(folder)->second;
  CountSeen(shared, scan);
  ++tally.files;
  if (shared.refs.MarkSeen(entry.relative)) return (void)++scan.part.referenced;
  struct stat st {};
  if (const int error_number = StatEntry(entry, st)) {
    return OnUnreadable(scan, std::string(entry.relative), error_number);
  }
  const std::int64_t changed =
      std::max<std::int64_t>(st.st_mtime, st.st_ctime);  // rename moves ctime
  if (shared.now - changed < shared.options.min_age_seconds) return (void)++scan.part.skipped_young;
  const auto size = static_cast<std::uint64_t>(st.st_size);
  scan.part.orphans.push_back({std::string(entry.relative),
                               std::string(folder),
                               entry.type,
                               size,
                               static_cast<std::int64_t>(st.st_mtime),
                               {},
                               {},
                               {}});
  ++tally.orphans;
  tally.orphan_bytes += size;
}

std::vector<std::string> ScannedFolders() {
  std::vector<std::string> folders;
  for (const auto& spec : core::StorageFolders()) {
    if (spec.scanned_for_orphans) folders.emplace_back(spec.name);
  }
  return folders;
}

std::size_t WalkThreads() {
  return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 2, 8);
}

void Merge(ThreadScan& scan, OrphanScanResult& result, std::vector<std::string>& unreadable) {
  auto& part = scan.part;
  std::move(part.orphans.begin(), part.orphans.end(), std::back_inserter(result.orphans));
  std::move(part.unreadable.begin(), part.unreadable.end(), std::back_inserter(result.unreadable));
  std::move(scan.unreadable.begin(), scan.unreadable.end(), std::back_inserter(unreadable));
  result.files_seen += part.files_seen;
  result.referenced += part.referenced;
  result.skipped_young += part.skipped_young;
  for (const auto& [name, t] : part.folders) {
    FolderTally& sum = result.folders[name];
    sum.files += t.files, sum.orphans += t.orphans, sum.orphan_bytes += t.orphan_bytes;
  }
}

// Walks the five folders on several threads; returns the unreadable folders' raw paths.
std::vector<std::string> WalkFolders(WalkShared& shared, OrphanScanResult& result) {
  const std::vector<std::string> folders = ScannedFolders();
  std::vector<ThreadScan> scans(WalkThreads());
  std::vector<WalkVisitor> visitors;
  for (ThreadScan& scan : scans) {
    for (const auto& folder : folders) scan.part.folders[folder];
    visitors.push_back(
        {[&](const WalkEntry& e) { OnEntry(shared, scan, e); },
         [&](const std::string& r, int error_number) { OnUnreadable(scan, r, error_number); }});
  }
  scans[0].reports_progress = true;
  const std::vector<bool> present = WalkStorageFolders(shared.options.media, folders, visitors);
  std::vector<std::string> unreadable;
  for (ThreadScan& scan : scans) Merge(scan, result, unreadable);
  for (std::size_t i = 0; i < folders.size(); ++i) result.folders[folders[i]].present = present[i];
  std::sort(result.orphans.begin(), result.orphans.end(),
            [](const OrphanFile& a, const OrphanFile& b) { return a.relative < b.relative; });
  std::sort(result.unreadable.begin(), result.unreadable.end());
  return unreadable;
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
  const auto since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };
  RequireMediaFolder(options.media);
  RequireFoldersMounted(conn, options.media);
  OrphanScanResult result;
  result.media = options.media;
  result.min_age_seconds = options.min_age_seconds;
  DbFileRefs refs = ReadDbFileRefs(conn, options.media, options.db_media_prefix);
  TakeRefsFacts(refs, result);
  result.db_seconds = since(started);
  Progress(options, 0.1);
  const auto walk_started = std::chrono::steady_clock::now();
  WalkShared shared{options, refs.paths, static_cast<std::int64_t>(std::time(nullptr)),
                    result.db_paths};
  const std::vector<std::string> unreadable = WalkFolders(shared, result);
  result.walk_seconds = since(walk_started);
  SplitUnseen(refs.paths, unreadable, result);
  Progress(options, 0.9);
  if (options.quarantine || options.delete_regenerable) {
    result.quarantine = ApplyOrphanActions(options.media, options, result.orphans);
  }
  result.seconds = since(started);
  return result;
}

}  // namespace immich_maint::sidecar
