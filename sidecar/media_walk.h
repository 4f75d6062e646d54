// Walks the storage folders for the orphan scan, on several threads. Below each folder nothing
// is followed: entries are typed with lstat semantics and subfolders opened with O_NOFOLLOW (or
// openat2's RESOLVE_NO_SYMLINKS), so a symlink is reported as a symlink and never leads out of
// the media folder. A folder that cannot be read is reported and the walk goes on.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace immich_maint::sidecar {

enum class EntryType { kFile, kSymlink, kOther };
const char* EntryTypeName(EntryType type);  // file, symlink, other

struct WalkEntry {
  std::string_view relative;  // media-relative path, e.g. "upload/u1/a.jpg"
  std::string_view name;
  EntryType type;
  int dir_fd;  // the folder that holds it: valid during the callback only
};

struct WalkVisitor {
  std::function<void(const WalkEntry&)> on_entry;  // every non-folder
  std::function<void(const std::string& relative, int error_number)> on_unreadable;
};

// Walks <media>/<folder> for each folder with one thread per visitor; each visitor is only
// ever called from its own thread, so it needs no lock. The folders themselves are opened
// following a symlink (a volume may be mounted through one, as Immich allows); nothing below
// them is. Folders down to <folder>/<user>/<xx> (Immich's layout) are shared out as tasks,
// deeper ones walked by the thread that found them. Returns, per folder, whether it exists.
std::vector<bool> WalkStorageFolders(const std::string& media,
                                     const std::vector<std::string>& folders,
                                     const std::vector<WalkVisitor>& visitors);

// One folder on the calling thread; false when it does not exist.
bool WalkStorageFolder(const std::string& media, const std::string& folder,
                       const WalkVisitor& visitor);

// lstat of an entry during its callback; errno value on failure, 0 on success.
int StatEntry(const WalkEntry& entry, struct stat& st);

}  // namespace immich_maint::sidecar
