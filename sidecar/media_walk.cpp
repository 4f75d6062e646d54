// Directory walk: a shared stack of shallow folders, each taken by one thread and walked with
// openat/getdents64 below it, one open folder per level.
#include "sidecar/media_walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace immich_maint::sidecar {

namespace {

constexpr int kOpenDir = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
constexpr std::size_t kBufferBytes = 32 << 10;
constexpr int kSharedDepth = 2;  // <folder> is 0, <folder>/<user> 1, <folder>/<user>/<xx> 2

struct Task {
  std::size_t folder;    // index into the top folders
  std::string relative;  // media-relative
  int depth;
};

// The tasks, and how many are being worked on: a thread with nothing to take waits while a busy
// one may still push more.
class TaskStack {
 public:
  void Push(Task task) {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
    wake_.notify_one();
  }
  // Takes a task; false when there are none and none can come. Finish() each task taken.
  bool Take(Task& task) {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [&] { return !tasks_.empty() || busy_ == 0; });
    if (tasks_.empty()) return false;
    task = std::move(tasks_.back());
    tasks_.pop_back();
    ++busy_;
    return true;
  }
  void Finish() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--busy_ == 0 && tasks_.empty()) wake_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Task> tasks_;
  int busy_ = 0;
};

EntryType TypeOf(int dir_fd, const dirent64& entry, bool& is_dir) {
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

// A shallow folder by its path below the top folder, refusing symlinks on the way: openat2
// where the kernel has it, else O_NOFOLLOW on the last component.
int OpenBelow(int top_fd, const std::string& below) {
  if (below.empty()) return ::openat(top_fd, ".", kOpenDir);
  open_how how{};
  how.flags = kOpenDir | O_NOFOLLOW;
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH;
  const long fd = ::syscall(SYS_openat2, top_fd, below.c_str(), &how, sizeof(how));
  if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) return static_cast<int>(fd);
  return ::openat(top_fd, below.c_str(), kOpenDir | O_NOFOLLOW);
}

class Walker {
 public:
  Walker(const std::vector<int>& top_fds, TaskStack& stack) : top_fds_(top_fds), stack_(stack) {}

  void RunTasks(const WalkVisitor& visitor) {
    Task task;
    while (stack_.Take(task)) {
      const std::size_t slash = task.relative.find('/');
      const std::string below = slash == std::string::npos ? "" : task.relative.substr(slash + 1);
      const int fd = OpenBelow(top_fds_[task.folder], below);
      if (fd < 0) visitor.on_unreadable(task.relative, errno);
      if (fd >= 0) Walk(fd, task, task.depth, task.relative, visitor);
      stack_.Finish();
    }
  }

 private:
  // Takes ownership of fd; relative is the folder's path, extended in place for its entries.
  // getdents64 into a buffer per depth (no fdopendir: it costs an fstat and an fcntl per folder,
  // and a scan opens as many folders as it finds files).
  void Walk(int fd, const Task& task, int depth, std::string& relative,
            const WalkVisitor& visitor) {
    char* buffer = BufferFor(depth);
    long n = 0;
    while ((n = ::getdents64(fd, buffer, kBufferBytes)) > 0) {
      for (long offset = 0; offset < n;) {
        const auto* entry = reinterpret_cast<const dirent64*>(buffer + offset);
        offset += entry->d_reclen;
        const std::string_view name = entry->d_name;
        if (name != "." && name != "..") Visit(fd, *entry, task, depth, relative, visitor);
      }
    }
    if (n < 0) visitor.on_unreadable(relative, errno);
    ::close(fd);
  }

  static char* BufferFor(int depth) {
    thread_local std::vector<std::unique_ptr<char[]>> buffers;
    while (buffers.size() <= static_cast<std::size_t>(depth))
      buffers.emplace_back(new char[kBufferBytes]);
    return buffers[depth].get();
  }

  void Visit(int dir_fd, const dirent64& entry, const Task& task, int depth, std::string& relative,
             const WalkVisitor& visitor) {
    const std::size_t base = relative.size();
    relative.append("/").append(entry.d_name);
    bool is_dir = false;
    const EntryType type = TypeOf(dir_fd, entry, is_dir);
    if (!is_dir) {
      visitor.on_entry({relative, entry.d_name, type, dir_fd});
    } else if (depth < kSharedDepth) {
      stack_.Push({task.folder, relative, depth + 1});
    } else {
      const int child = ::openat(dir_fd, entry.d_name, kOpenDir | O_NOFOLLOW);
      if (child < 0) visitor.on_unreadable(relative, errno);
      if (child >= 0) Walk(child, task, depth + 1, relative, visitor);
    }
    relative.resize(base);
  }

  const std::vector<int>& top_fds_;
  TaskStack& stack_;
};

// Opens each folder (following a symlink there only); -1 for one that does not exist.
std::vector<int> OpenTops(const std::string& media, const std::vector<std::string>& folders,
                          const WalkVisitor& visitor, std::vector<bool>& present) {
  std::vector<int> fds;
  for (const std::string& folder : folders) {
    const int fd = ::open((media + "/" + folder).c_str(), kOpenDir);
    present.push_back(fd >= 0 || errno != ENOENT);
    if (fd < 0 && errno != ENOENT) visitor.on_unreadable(folder, errno);
    fds.push_back(fd);
  }
  return fds;
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

std::vector<bool> WalkStorageFolders(const std::string& media,
                                     const std::vector<std::string>& folders,
                                     const std::vector<WalkVisitor>& visitors) {
  std::vector<bool> present;
  const std::vector<int> top_fds = OpenTops(media, folders, visitors.at(0), present);
  TaskStack stack;
  for (std::size_t i = 0; i < folders.size(); ++i) {
    if (top_fds[i] >= 0) stack.Push({i, folders[i], 0});
  }
  Walker walker(top_fds, stack);
  std::vector<std::thread> threads;
  for (std::size_t t = 1; t < visitors.size(); ++t) {
    threads.emplace_back([&, t] { walker.RunTasks(visitors[t]); });
  }
  walker.RunTasks(visitors[0]);
  for (auto& thread : threads) thread.join();
  for (const int fd : top_fds) {
    if (fd >= 0) ::close(fd);
  }
  return present;
}

bool WalkStorageFolder(const std::string& media, const std::string& folder,
                       const WalkVisitor& visitor) {
  return WalkStorageFolders(media, {folder}, {visitor}).at(0);
}

int StatEntry(const WalkEntry& entry, struct stat& st) {
  const std::string name(entry.name);
  return ::fstatat(entry.dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : errno;
}

}  // namespace immich_maint::sidecar
