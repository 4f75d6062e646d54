// Progress on a terminal: one line redrawn at most a few times a second, only when stderr is a
// terminal (a log file or a pipe gets no progress noise).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace immich_maint::sidecar {

class ProgressLine {
 public:
  explicit ProgressLine(std::string label);
  ~ProgressLine();  // ends the line if one was drawn
  // bytes done so far; total 0 when unknown. Cheap to call often.
  void Update(std::uint64_t done, std::uint64_t total = 0);
  void Done();

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1.5 GiB", "312.0 MiB", "17 B"
std::string HumanBytes(std::uint64_t bytes);

}  // namespace immich_maint::sidecar
