// Directory walk with openat/fdopendir, one open folder per level.
#include "sidecar/media_walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace immich_maint::sidecar {

namespace {

constexpr int kOpenDir = O_RDONLY | O_DIRECTORY | O_CLOEXEC;

// DT_DIR is returned as a sentinel through `is_dir`.
EntryType TypeOf(int dir_fd, const dirent& entry, bool& is_dir) {
  unsigned char type = entry.d_type;
  if (type == DT_UNKNOWN) {
    struct stat st {};
    if (::fstatat(dir_fd, entry.d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      type = S_ISDIR(st.st_mode)   ? DT_DIR
             : S_ISREG(st.st_mode) ? DT_REG
             : S_ISLNK(st.st_mode) ? DT_LNK
                                   : DT_FIFO;
    }
  }
  is_dir = type == DT_DIR;
  return type == DT_REG   ? EntryType::kFile
         : type == DT_LNK ? EntryType::kSymlink
                          : EntryType::kOther;
}

void WalkOpen(int fd, std::string& relative, const WalkVisitor& visitor);

void Visit(DIR* dir, const dirent& entry, std::string& relative, const WalkVisitor& visitor) {
  bool is_dir = false;
  const EntryType type = TypeOf(::dirfd(dir), entry, is_dir);
  if (!is_dir) {
    visitor.on_entry({relative, entry.d_name, type, ::dirfd(dir)});
    return;
  }
  const int child = ::openat(::dirfd(dir), entry.d_name, kOpenDir | O_NOFOLLOW);
  if (child < 0) {
    visitor.on_unreadable(relative, errno);
    return;
  }
  WalkOpen(child, relative, visitor);
}

// Takes ownership of fd.
void WalkOpen(int fd, std::string& relative, const WalkVisitor& visitor) {
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    visitor.on_unreadable(relative, errno);
    ::close(fd);
    return;
  }
  errno = 0;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") {
      const std::size_t base = relative.size();
      relative.append("/").append(name);
      Visit(dir, *entry, relative, visitor);
      relative.resize(base);
    }
    errno = 0;
  }
  if (errno != 0) visitor.on_unreadable(relative, errno);
  ::closedir(dir);
}

}  // namespace

const char* EntryTypeName(EntryType type) {
  switch (type) {
    case EntryType::kFile:
      return "file";
    case EntryType::kSymlink:
      return "symlink";
    case EntryType::kOther:
      return "other";
  }
  return "other";
}

bool WalkStorageFolder(const std::string& media, const std::string& folder,
                       const WalkVisitor& visitor) {
  const std::string path = media + "/" + folder;
  const int fd = ::open(path.c_str(), kOpenDir);
  if (fd < 0 && errno == ENOENT) return false;
  std::string relative = folder;
  if (fd < 0) {
    visitor.on_unreadable(relative, errno);
    return true;
  }
  WalkOpen(fd, relative, visitor);
  return true;
}

int StatEntry(const WalkEntry& entry, struct stat& st) {
  const std::string name(entry.name);
  return ::fstatat(entry.dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : errno;
}

}  // namespace immich_maint::sidecar
