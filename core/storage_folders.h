// Immich's six storage folders under the media location (reference/immich.md §5) and how a
// storage check judges what it saw in each: which folders are critical, which regenerable, and
// when a missing marker means an unmounted volume.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace immich_maint::core {

struct StorageFolderSpec {
  const char* name;          // "upload", as under <media>/ and in system-flags.mountChecks
  const char* holds;         // for a human
  bool critical;             // its loss loses photos, avatars or backups: a failure fails the check
  bool regenerable;          // Immich can rebuild every file in it (thumbs, encoded-video)
  bool scanned_for_orphans;  // holds files the database references (every folder but backups)
};

// Immich's six folders, in Immich's order of §5.
const std::vector<StorageFolderSpec>& StorageFolders();
// nullptr for a name that is not one of the six.
const StorageFolderSpec* FindStorageFolder(std::string_view name);

// Immich's "files" count of detect-install: entries directly in the folder, `.immich` excluded.
bool CountsAsFolderEntry(std::string_view name);

enum class FolderStatus { kOk, kMissing, kNotMounted, kUnreadable, kNotWritable };
const char* FolderStatusName(FolderStatus status);  // "ok", "missing", "not_mounted", ...

// What the sidecar saw in one folder. Errors are errno values (0: none).
struct FolderObservation {
  std::string folder;          // one of the six names
  std::string path;            // <media>/<folder>
  bool exists = false;         // a folder (symlinks followed, as Immich does)
  bool mount_checked = false;  // system-flags.mountChecks.<folder> is true
  bool marker = false;         // <path>/.immich exists
  bool readable = false;       // listed, and the marker (when present) read
  int read_errno = 0;
  std::string read_path;  // what could not be read
  bool writable = false;  // marker rewritten (when present) and a new file created
  int write_errno = 0;
  std::string write_path;  // what could not be written
};

struct FolderVerdict {
  FolderStatus status = FolderStatus::kOk;
  bool fails_run = false;  // a critical folder not mounted, unreadable or not writable
  std::string problem;     // empty when ok; else the message, e.g. "the upload folder is not ..."
};

// A folder Immich never saw (no mountChecks flag) may lack its marker, and may not exist yet
// (Immich creates both on start): missing is reported but never fails. A flagged folder without
// its marker, existing or not, is not mounted.
FolderVerdict JudgeFolder(const FolderObservation& seen);

// The run's error: the first failing critical folder's, naming the others in its detail;
// nullopt when no critical folder failed. not_mounted: kNotMounted; otherwise kPermissionDenied
// (EACCES, EPERM) or kIoError.
std::optional<Error> StorageCheckError(const std::vector<FolderObservation>& seen,
                                       const std::vector<FolderVerdict>& verdicts);

}  // namespace immich_maint::core
