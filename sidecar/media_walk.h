// Walks one storage folder for the orphan scan. Below the folder nothing is followed: entries
// are typed with lstat semantics, subfolders opened with O_NOFOLLOW, so a symlink is reported
// as a symlink and never leads out of the media folder. A folder that cannot be read is
// reported and the walk goes on.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <string>
#include <string_view>

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

// false when <media>/<folder> does not exist. The folder itself is opened following a symlink
// (it may be a volume mounted through one, as Immich allows); nothing below it is.
bool WalkStorageFolder(const std::string& media, const std::string& folder,
                       const WalkVisitor& visitor);

// lstat of an entry during its callback; errno value on failure, 0 on success.
int StatEntry(const WalkEntry& entry, struct stat& st);

}  // namespace immich_maint::sidecar
