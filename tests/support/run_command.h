// Test helper: run a command through the shell and capture its exit status, stdout and stderr.
#pragma once

#include <string>

namespace immich_maint::testing {

struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs `command` with /bin/sh; stderr is captured through a temp file.
CommandResult RunCommand(const std::string& command);

// A fresh empty folder under /tmp, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes a file (creating parent folders) and returns its full path.
  std::string Write(const std::string& relative, const std::string& content) const;

 private:
  std::string path_;
};

}  // namespace immich_maint::testing
