// Runs a child (pg_dump, psql) with extra environment variables, streams its stdout to a
// callback with a stall timeout, keeps the tail of its stderr, and never leaves it running:
// if the callback throws or the output stalls, the child is killed and reaped, and if the
// sidecar itself dies (kill -9), the kernel kills the child too (PR_SET_PDEATHSIG).
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

namespace immich_maint::sidecar {

// A child we feed on its stdin (psql): spawned at once, so it connects to the server before we
// start writing; written to in pieces; its stdout discarded and the tail of its stderr kept.
// While a Write blocks on a full pipe, stdout and stderr are drained, so a child that prints
// while it reads can never deadlock us. SIGPIPE is ignored process-wide from the first
// construction: a child that exits early makes Write return false instead of killing us.
class FedChild {
 public:
  explicit FedChild(const ChildSpec& spec);  // throws core::Failure(kNotFound) as RunChild does
  ~FedChild();                               // a child still running is killed and reaped
  FedChild(const FedChild&) = delete;
  FedChild& operator=(const FedChild&) = delete;

  int pid() const { return pid_; }
  // False once the child has exited (it is then reaped; Finish still drains its output).
  bool Running();
  // Writes every byte; false when the child no longer reads (it exited or closed stdin).
  bool Write(const std::uint8_t* data, std::size_t size);
  // Closes stdin, drains output until the child exits, and reaps it.
  ChildOutcome Finish();
  // SIGKILL, then reap (Finish after Kill reports the signal).
  void Kill();

 private:
  bool Drain(int timeout_ms);  // false when nothing was ready within the timeout
  int pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  int err_ = -1;
  bool reaped_ = false;
  ChildOutcome outcome_;
};

}  // namespace immich_maint::sidecar
