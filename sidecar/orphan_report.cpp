// The orphan scan's result as JSON (job_run.result, --json) and as file_report rows. Names
// that are not UTF-8 are escaped (\xNN) with their exact bytes as hex beside them.
#include <algorithm>

#include "core/error.h"
#include "core/media_paths.h"
#include "core/path_text.h"
#include "sidecar/backup_inventory.h"
#include "sidecar/orphan_scan.h"

namespace immich_maint::sidecar {

namespace {

nlohmann::json NullIfEmpty(const std::string& text) {
  return text.empty() ? nlohmann::json() : nlohmann::json(core::EscapeInvalidUtf8(text));
}

void AddPath(nlohmann::json& out, const std::string& raw) {
  out["path"] = core::EscapeInvalidUtf8(raw);
  if (!core::IsValidUtf8(raw)) out["path_hex"] = core::HexBytes(raw);
}

nlohmann::json OrphanJson(const OrphanFile& orphan) {
  nlohmann::json out;
  AddPath(out, orphan.relative);
  out["folder"] = orphan.folder;
  out["type"] = EntryTypeName(orphan.type);
  out["size"] = orphan.size;
  out["modified"] = FormatUtc(orphan.modified);
  out["action"] = NullIfEmpty(orphan.action);
  out["moved_to"] = NullIfEmpty(orphan.moved_to);
  out["error"] = NullIfEmpty(orphan.error);
  return out;
}

nlohmann::json MissingJson(const std::string& relative) {
  nlohmann::json out;
  AddPath(out, relative);
  out["folder"] = std::string(core::FolderOfRelative(relative));
  return out;
}

nlohmann::json FoldersJson(const OrphanScanResult& r) {
  nlohmann::json folders = nlohmann::json::object();
  for (const auto& [name, t] : r.folders) {
    folders[name] = {{"present", t.present},
                     {"files", t.files},
                     {"orphans", t.orphans},
                     {"orphan_bytes", t.orphan_bytes},
                     {"missing", t.missing}};
  }
  return folders;
}

nlohmann::json UnreadableJson(const OrphanScanResult& r) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [path, reason] : r.unreadable)
    list.push_back({{"path", core::EscapeInvalidUtf8(path)}, {"error", reason}});
  return list;
}

// Totals of the orphans by outcome.
struct Totals {
  std::uint64_t bytes = 0, symlinks = 0, moved = 0, moved_bytes = 0, deleted_bytes = 0, failed = 0;
  nlohmann::json deleted = nlohmann::json::array();
};

Totals Total(const OrphanScanResult& r) {
  Totals t;
  for (const OrphanFile& o : r.orphans) {
    t.bytes += o.size;
    t.symlinks += o.type == EntryType::kSymlink;
    if (o.action == "quarantined") ++t.moved, t.moved_bytes += o.size;
    if (o.action == "deleted")
      t.deleted.push_back(core::EscapeInvalidUtf8(o.relative)), t.deleted_bytes += o.size;
    t.failed += o.action == "failed";
  }
  return t;
}

nlohmann::json QuarantineJson(const OrphanScanResult& r, const Totals& t) {
  if (r.quarantine.empty()) return nullptr;
  return {{"folder", core::EscapeInvalidUtf8(r.quarantine)},
          {"files", t.moved},
          {"bytes", t.moved_bytes}};
}

}  // namespace

nlohmann::json OrphanScanJson(const OrphanScanResult& r, bool with_files) {
  const Totals t = Total(r);
  nlohmann::json out = {{"media", core::EscapeInvalidUtf8(r.media)},
                        {"db_media_prefix", core::EscapeInvalidUtf8(r.prefix)},
                        {"db_media_prefix_source", r.prefix_source},
                        {"db_columns", r.columns},
                        {"db_rows", r.db_rows},
                        {"db_paths", r.db_paths},
                        {"db_paths_elsewhere", r.db_elsewhere},
                        {"files_seen", r.files_seen},
                        {"referenced", r.referenced},
                        {"orphans", r.orphans.size()},
                        {"orphan_bytes", t.bytes},
                        {"orphan_symlinks", t.symlinks},
                        {"missing", r.missing.size()},
                        {"unverified", r.unverified},
                        {"skipped_young", r.skipped_young},
                        {"min_age_seconds", r.min_age_seconds},
                        {"unreadable", UnreadableJson(r)},
                        {"folders", FoldersJson(r)},
                        {"quarantine", QuarantineJson(r, t)},
                        {"deleted", t.deleted},
                        {"deleted_bytes", t.deleted_bytes},
                        {"failed", t.failed},
                        {"seconds", r.seconds},
                        {"db_seconds", r.db_seconds},
                        {"walk_seconds", r.walk_seconds}};
  if (!with_files) return out;
  out["orphan_files"] = nlohmann::json::array();
  for (const OrphanFile& o : r.orphans) out["orphan_files"].push_back(OrphanJson(o));
  out["missing_files"] = nlohmann::json::array();
  for (const std::string& m : r.missing) out["missing_files"].push_back(MissingJson(m));
  return out;
}

std::vector<FileReportRow> FileReportRows(const OrphanScanResult& r) {
  std::vector<FileReportRow> rows;
  rows.reserve(r.orphans.size() + r.missing.size());
  for (const OrphanFile& o : r.orphans) {
    rows.push_back({"orphan", o.folder, o.relative, EntryTypeName(o.type), o.size, o.modified,
                    o.action, o.moved_to, o.error});
  }
  for (const std::string& m : r.missing) {
    rows.push_back({"missing",
                    std::string(core::FolderOfRelative(m)),
                    m,
                    {},
                    std::nullopt,
                    std::nullopt,
                    {},
                    {},
                    {}});
  }
  return rows;
}

void ThrowIfActionsFailed(const OrphanScanResult& r) {
  const auto failed = std::count_if(r.orphans.begin(), r.orphans.end(),
                                    [](const OrphanFile& o) { return o.action == "failed"; });
  if (failed == 0) return;
  const auto first = std::find_if(r.orphans.begin(), r.orphans.end(),
                                  [](const OrphanFile& o) { return o.action == "failed"; });
  throw core::Failure(core::MakeError(
      core::ErrorCode::kIoError,
      "could not move or delete " + std::to_string(failed) + " of " +
          std::to_string(r.orphans.size()) + " orphan files",
      "The first: " + core::EscapeInvalidUtf8(first->relative) + ": " + first->error + ".",
      "The other orphans were handled; every file is listed in the report."));
}

}  // namespace immich_maint::sidecar
