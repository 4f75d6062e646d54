// Durable file writes: a new file is written as <name>.tmp (owner-only permissions), fsynced,
// renamed to its final name, and the folder fsynced, so a crash leaves either the old state or
// the complete new file, never a truncated file under a final name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace immich_maint::sidecar {

class DurableFile {
 public:
  // Creates <folder>/<name>.tmp exclusively (an existing .tmp is replaced: callers hold the
  // folder's backup lock, so it is a leftover of a dead run). Throws core::Failure(kIoError).
  DurableFile(std::string folder, std::string name);
  ~DurableFile();  // an uncommitted file is removed
  DurableFile(const DurableFile&) = delete;
  DurableFile& operator=(const DurableFile&) = delete;

  void Write(const std::uint8_t* data, std::size_t size);  // whole buffer or Failure
  // fsync, close, rename .tmp to the final name, fsync the folder.
  void Commit();
  // fsync and close only (the file stays .tmp, e.g. to verify it before Commit).
  void Sync();

  std::string temp_path() const { return folder_ + "/" + name_ + ".tmp"; }
  std::string final_path() const { return folder_ + "/" + name_; }
  std::uint64_t bytes_written() const { return bytes_; }

 private:
  void StartWriteback();

  std::string folder_;
  std::string name_;
  int fd_ = -1;
  bool committed_ = false;
  std::uint64_t bytes_ = 0;
  std::uint64_t writeback_from_ = 0;  // bytes before this were handed to the kernel's writeback
};

// fsync a folder so a rename or unlink in it survives a crash. Throws core::Failure(kIoError).
void SyncFolder(const std::string& folder);

// "<what> <path>: <strerror(errno)>" as a kIoError Failure.
[[noreturn]] void ThrowIoError(const std::string& what, const std::string& path, int error_number);

}  // namespace immich_maint::sidecar
