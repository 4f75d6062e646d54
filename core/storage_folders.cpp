// The storage-folder table and the verdict on one folder.
#include "core/storage_folders.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/path_text.h"

namespace immich_maint::core {

const std::vector<StorageFolderSpec>& StorageFolders() {
  static const std::vector<StorageFolderSpec> kFolders = {
      {"upload", "originals (storage template off)", true, false, true},
      {"library", "originals (storage template on)", true, false, true},
      {"profile", "avatars", true, false, true},
      {"backups", "database dumps", true, false, false},
      {"thumbs", "thumbnails and previews", false, true, true},
      {"encoded-video", "transcoded videos", false, true, true},
  };
  return kFolders;
}

const StorageFolderSpec* FindStorageFolder(std::string_view name) {
  const auto& folders = StorageFolders();
  const auto it = std::find_if(folders.begin(), folders.end(),
                               [&](const StorageFolderSpec& f) { return name == f.name; });
  return it == folders.end() ? nullptr : &*it;
}

bool CountsAsFolderEntry(std::string_view name) {
  return name != "." && name != ".." && name != ".immich";
}

const char* FolderStatusName(FolderStatus status) {
  switch (status) {
    case FolderStatus::kOk:
      return "ok";
    case FolderStatus::kMissing:
      return "missing";
    case FolderStatus::kNotMounted:
      return "not_mounted";
    case FolderStatus::kUnreadable:
      return "unreadable";
    case FolderStatus::kNotWritable:
      return "not_writable";
  }
  return "ok";
}

namespace {

std::string Problem(const FolderObservation& s, const std::string& what, const std::string& tail) {
  return "the " + s.folder + " folder " + what + ": " + tail;
}

FolderVerdict Verdict(const FolderObservation& s) {
  const std::string marker = s.path + "/.immich";
  if (!s.exists && s.mount_checked)
    return {FolderStatus::kNotMounted, false, Problem(s, "is not mounted", marker + " is missing")};
  if (!s.exists) return {FolderStatus::kMissing, false, Problem(s, "does not exist", s.path)};
  if (!s.readable) {
    return {FolderStatus::kUnreadable, false,
            Problem(s, "is not readable", s.read_path + ": " + std::strerror(s.read_errno))};
  }
  if (s.mount_checked && !s.marker)
    return {FolderStatus::kNotMounted, false, Problem(s, "is not mounted", marker + " is missing")};
  if (!s.writable) {
    return {FolderStatus::kNotWritable, false,
            Problem(s, "is not writable", s.write_path + ": " + std::strerror(s.write_errno))};
  }
  return {};
}

}  // namespace

FolderVerdict JudgeFolder(const FolderObservation& seen) {
  FolderVerdict verdict = Verdict(seen);
  verdict.problem = EscapeInvalidUtf8(verdict.problem);  // it goes into JSON and SQL text
  const StorageFolderSpec* spec = FindStorageFolder(seen.folder);
  const bool failing = verdict.status == FolderStatus::kNotMounted ||
                       verdict.status == FolderStatus::kUnreadable ||
                       verdict.status == FolderStatus::kNotWritable;
  verdict.fails_run = failing && spec != nullptr && spec->critical;
  return verdict;
}

namespace {

Error FolderError(const FolderObservation& s, const FolderVerdict& v) {
  if (v.status == FolderStatus::kNotMounted) {
    return MakeError(
        ErrorCode::kNotMounted, v.problem,
        "Immich saw this folder mounted before (system-flags.mountChecks." + s.folder + ").",
        "Mount the volume that holds " + EscapeInvalidUtf8(s.path) + " and try again.");
  }
  const int error_number = v.status == FolderStatus::kUnreadable ? s.read_errno : s.write_errno;
  const bool denied = error_number == EACCES || error_number == EPERM;
  return MakeError(denied ? ErrorCode::kPermissionDenied : ErrorCode::kIoError, v.problem, {},
                   "Immich's server needs to read and write " + EscapeInvalidUtf8(s.path) +
                       "; fix its owner, permissions or mount options.");
}

}  // namespace

std::optional<Error> StorageCheckError(const std::vector<FolderObservation>& seen,
                                       const std::vector<FolderVerdict>& verdicts) {
  std::optional<Error> first;
  std::string others;
  for (std::size_t i = 0; i < seen.size() && i < verdicts.size(); ++i) {
    if (!verdicts[i].fails_run) continue;
    if (!first) {
      first = FolderError(seen[i], verdicts[i]);
      continue;
    }
    others += (others.empty() ? "" : ", ") + seen[i].folder + " (" +
              FolderStatusName(verdicts[i].status) + ")";
  }
  if (first && !others.empty()) {
    first->detail +=
        (first->detail.empty() ? "" : " ") + std::string("Also failing: ") + others + ".";
  }
  return first;
}

}  // namespace immich_maint::core
