// Runs a child (pg_dump, psql) with extra environment variables, streams its stdout to a
// callback with a stall timeout, keeps the tail of its stderr, and never leaves it running:
// if the callback throws or the output stalls, the child is killed and reaped.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace immich_maint::sidecar {

struct ChildSpec {
  std::string binary;
  std::vector<std::string> args;                            // argv[1..]
  std::vector<std::pair<std::string, std::string>> env;     // added to / replacing ours
  std::chrono::milliseconds stall_timeout{std::chrono::minutes(10)};
};

struct ChildOutcome {
  int exit_status = -1;  // when exited normally
  int signal = 0;        // when killed by a signal
  bool stalled = false;  // no stdout for stall_timeout: we killed it
  std::string stderr_tail;

  bool ok() const { return signal == 0 && !stalled && exit_status == 0; }
  std::string Describe() const;  // "exited with status 1", "was killed by signal 9", ...
};

using OutputHandler = std::function<void(const std::uint8_t* data, std::size_t size)>;

// Throws core::Failure(kNotFound) when the binary cannot be started; rethrows what on_output
// throws (after killing the child).
ChildOutcome RunChild(const ChildSpec& spec, const OutputHandler& on_output);

}  // namespace immich_maint::sidecar
