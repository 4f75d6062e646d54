// temp file, fsync, rename, fsync folder.
#include "sidecar/durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/error.h"

namespace immich_maint::sidecar {

void ThrowIoError(const std::string& what, const std::string& path, int error_number) {
  const bool full = error_number == ENOSPC || error_number == EDQUOT;
  throw core::Failure(core::MakeError(
      core::ErrorCode::kIoError, what + " " + path + ": " + std::strerror(error_number), {},
      full ? "Free some space in the backups folder, or lower keepLastAmount." : ""));
}

void SyncFolder(const std::string& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) ThrowIoError("cannot open folder", folder, errno);
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) ThrowIoError("cannot fsync folder", folder, saved);
}

DurableFile::DurableFile(std::string folder, std::string name)
    : folder_(std::move(folder)), name_(std::move(name)) {
  const std::string path = temp_path();
  ::unlink(path.c_str());
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd_ < 0) ThrowIoError("cannot create", path, errno);
}

DurableFile::~DurableFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path().c_str());
}

void DurableFile::Write(const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd_, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowIoError("cannot write", temp_path(), errno);
    data += n;
    size -= static_cast<std::size_t>(n);
    bytes_ += static_cast<std::uint64_t>(n);
  }
  StartWriteback();
}

// Every few MB, the kernel is asked to start writing what we wrote (without waiting), so the
// fsync at the end waits for the last few MB instead of the whole file. Advisory: fsync
// reports any error.
void DurableFile::StartWriteback() {
  constexpr std::uint64_t kWritebackStep = std::uint64_t{8} << 20;
  if (bytes_ - writeback_from_ < kWritebackStep) return;
  ::sync_file_range(fd_, static_cast<off_t>(writeback_from_),
                    static_cast<off_t>(bytes_ - writeback_from_), SYNC_FILE_RANGE_WRITE);
  writeback_from_ = bytes_;
}

void DurableFile::Sync() {
  if (fd_ < 0) return;
  if (::fsync(fd_) != 0) ThrowIoError("cannot fsync", temp_path(), errno);
  const int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0) ThrowIoError("cannot close", temp_path(), errno);
}

void DurableFile::Commit() {
  Sync();
  if (::rename(temp_path().c_str(), final_path().c_str()) != 0) {
    ThrowIoError("cannot rename to", final_path(), errno);
  }
  committed_ = true;
  SyncFolder(folder_);
}

}  // namespace immich_maint::sidecar
