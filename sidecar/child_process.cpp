// fork/exec + poll loop for streaming children.
#include "sidecar/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>

#include "core/error.h"

extern char** environ;

namespace immich_maint::sidecar {

namespace {

constexpr std::size_t kChunk = 1024 * 1024;
// pg_dump writes its output 4 KB at a time. Woken for each write, the reader switched tasks
// ~90,000 times per 500 MB dump (bench/README.md), costing more CPU than the copying itself.
// With a pipe of kChunk bytes, the reader sleeps 1 ms after a small read and lets the pipe
// fill: at pg_dump's ~200-400 MB/s, 0.2-0.4 MB gather, well under the pipe's size.
constexpr long kBatchWaitNs = 1000 * 1000;
constexpr std::size_t kStderrKeep = 16 * 1024;

std::vector<std::string> MergedEnvironment(const ChildSpec& spec) {
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) merged[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [key, value] : spec.env) merged[key] = value;
  std::vector<std::string> out;
  for (const auto& [key, value] : merged) out.push_back(key + "=" + value);
  return out;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

[[noreturn]] void ThrowPipeError() {
  throw core::Failure(core::MakeError(core::ErrorCode::kIoError,
                                      std::string("cannot create pipe: ") + std::strerror(errno)));
}

struct Pipes {
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  ~Pipes() {
    for (int fd : {out[0], out[1], err[0], err[1]}) {
      if (fd >= 0) ::close(fd);
    }
  }
};

// In the forked child: only async-signal-safe calls until exec. The child dies with the thread
// that started it (PR_SET_PDEATHSIG), so a sidecar killed with -9 leaves no pg_dump or psql
// behind; SIGPIPE goes back to its default, which the sidecar itself ignores.
[[noreturn]] void ExecChild(const char* binary, char* const* argv, char* const* envp,
                            const std::vector<std::pair<int, int>>& dups, pid_t parent, int report) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &default_action, nullptr);
  for (const auto& [from, to] : dups) {
    if (::dup2(from, to) < 0) break;
  }
  ::execve(binary, argv, envp);
  const int error = errno;
  (void)!::write(report, &error, sizeof error);
  ::_exit(127);
}

// errno of a failed exec, reported through a close-on-exec pipe (0: exec succeeded).
int ExecError(int report_read) {
  int error = 0;
  ssize_t n;
  while ((n = ::read(report_read, &error, sizeof error)) < 0 && errno == EINTR) {
  }
  return n == static_cast<ssize_t>(sizeof error) ? error : 0;
}

pid_t ForkExec(const ChildSpec& spec, const std::vector<std::pair<int, int>>& dups) {
  std::vector<std::string> argv_strings{spec.binary};
  argv_strings.insert(argv_strings.end(), spec.args.begin(), spec.args.end());
  std::vector<std::string> env_strings = MergedEnvironment(spec);
  auto argv = Pointers(argv_strings);
  auto envp = Pointers(env_strings);
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) ThrowPipeError();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) ExecChild(spec.binary.c_str(), argv.data(), envp.data(), dups, parent, report[1]);
  const int fork_error = errno;
  ::close(report[1]);
  const int error = pid < 0 ? fork_error : ExecError(report[0]);
  ::close(report[0]);
  if (pid > 0 && error != 0) {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  if (pid < 0 || error != 0) {
    throw core::Failure(core::MakeError(core::ErrorCode::kNotFound,
                                        "cannot run " + spec.binary + ": " + std::strerror(error)));
  }
  return pid;
}

// Starts the child with stdout and stderr on new pipes, plus `dups` (FedChild's stdin).
pid_t SpawnWith(const ChildSpec& spec, Pipes& pipes, std::vector<std::pair<int, int>> dups = {}) {
  if (::pipe2(pipes.out, O_CLOEXEC) != 0 || ::pipe2(pipes.err, O_CLOEXEC) != 0) ThrowPipeError();
  dups.emplace_back(pipes.out[1], STDOUT_FILENO);
  dups.emplace_back(pipes.err[1], STDERR_FILENO);
  const pid_t pid = ForkExec(spec, dups);
  ::close(pipes.out[1]);
  ::close(pipes.err[1]);
  pipes.out[1] = pipes.err[1] = -1;
  return pid;
}

void KeepTail(std::string& tail, const char* data, std::size_t size) {
  tail.append(data, size);
  if (tail.size() > kStderrKeep) tail.erase(0, tail.size() - kStderrKeep);
}

ChildOutcome Reap(pid_t pid, ChildOutcome outcome) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) outcome.exit_status = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  return outcome;
}

// True if the pipe now holds kChunk bytes; a smaller pipe (e.g. over the user's pipe quota)
// still works, only without batching.
bool EnlargePipe(int fd) {
  return ::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(kChunk)) >= static_cast<int>(kChunk);
}

void WaitForBatch() {
  timespec wait{0, kBatchWaitNs};
  ::nanosleep(&wait, nullptr);
}

// Pumps both pipes until stdout and stderr close; returns false on a stall.
bool Pump(Pipes& pipes, const ChildSpec& spec, const OutputHandler& on_output, std::string& tail) {
  std::vector<std::uint8_t> buffer(kChunk);
  const bool batch = EnlargePipe(pipes.out[0]);
  bool out_open = true;
  bool err_open = true;
  while (out_open || err_open) {
    pollfd fds[2] = {{out_open ? pipes.out[0] : -1, POLLIN, 0}, {err_open ? pipes.err[0] : -1, POLLIN, 0}};
    const int ready = ::poll(fds, 2, static_cast<int>(spec.stall_timeout.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) return false;
    if (out_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      const ssize_t n = ::read(pipes.out[0], buffer.data(), buffer.size());
      if (n > 0) on_output(buffer.data(), static_cast<std::size_t>(n));
      if (n == 0 || (n < 0 && errno != EINTR)) out_open = false;
      if (batch && n > 0 && static_cast<std::size_t>(n) < kChunk / 4) WaitForBatch();
    }
    if (err_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      const ssize_t n = ::read(pipes.err[0], buffer.data(), buffer.size());
      if (n > 0) KeepTail(tail, reinterpret_cast<const char*>(buffer.data()), static_cast<std::size_t>(n));
      if (n == 0 || (n < 0 && errno != EINTR)) err_open = false;
    }
  }
  return true;
}

}  // namespace

std::string ChildOutcome::Describe() const {
  if (stalled) return "stalled (no output) and was killed";
  if (signal != 0) return "was killed by signal " + std::to_string(signal);
  return "exited with status " + std::to_string(exit_status);
}

ChildOutcome RunChild(const ChildSpec& spec, const OutputHandler& on_output) {
  Pipes pipes;
  const pid_t pid = SpawnWith(spec, pipes);
  ChildOutcome outcome;
  try {
    outcome.stalled = !Pump(pipes, spec, on_output, outcome.stderr_tail);
  } catch (...) {
    ::kill(pid, SIGKILL);
    Reap(pid, outcome);
    throw;
  }
  if (outcome.stalled) ::kill(pid, SIGKILL);
  return Reap(pid, std::move(outcome));
}

}  // namespace immich_maint::sidecar

// ---------------------------------------------------------------------------------------------
// FedChild: the same spawn with a third pipe for stdin.

namespace immich_maint::sidecar {

namespace {

void IgnoreSigpipe() {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, nullptr);
}

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

FedChild::FedChild(const ChildSpec& spec) {
  IgnoreSigpipe();
  int in[2] = {-1, -1};
  Pipes pipes;
  if (::pipe2(in, O_CLOEXEC) != 0) ThrowPipeError();
  try {
    pid_ = SpawnWith(spec, pipes, {{in[0], STDIN_FILENO}});
  } catch (...) {
    ::close(in[0]);
    ::close(in[1]);
    throw;
  }
  ::close(in[0]);
  in_ = in[1];
  // Non-blocking: a large write would otherwise block until the child read all of it, while
  // the child blocks on its full stdout pipe that we are not draining.
  ::fcntl(in_, F_SETFL, ::fcntl(in_, F_GETFL) | O_NONBLOCK);
  std::swap(out_, pipes.out[0]);
  std::swap(err_, pipes.err[0]);
}

FedChild::~FedChild() {
  if (!reaped_) Kill();
  CloseFd(in_);
  CloseFd(out_);
  CloseFd(err_);
}

bool FedChild::Drain(int timeout_ms) {
  std::uint8_t buffer[64 * 1024];
  pollfd fds[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
  const int ready = ::poll(fds, 2, timeout_ms);
  if (ready < 0) return errno == EINTR;
  if (ready == 0) return false;
  for (int i = 0; i < 2; ++i) {
    if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    int& fd = i == 0 ? out_ : err_;
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0 && i == 1) {
      KeepTail(outcome_.stderr_tail, reinterpret_cast<const char*>(buffer),
               static_cast<std::size_t>(n));
    }
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) CloseFd(fd);
  }
  return true;
}

bool FedChild::Write(const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    if (in_ < 0) return false;
    pollfd fds[3] = {{in_, POLLOUT, 0}, {out_, POLLIN, 0}, {err_, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) continue;  // EINTR
    if (fds[1].revents || fds[2].revents) Drain(0);
    if (!(fds[0].revents & (POLLOUT | POLLERR | POLLHUP))) continue;
    const ssize_t n = ::write(in_, data, size);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) {
      CloseFd(in_);  // EPIPE: the child stopped reading
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

ChildOutcome FedChild::Finish() {
  CloseFd(in_);
  // Until end of output; once the child is reaped (killed), only what is already there: a
  // grandchild may hold the pipes open.
  while ((out_ >= 0 || err_ >= 0) && Drain(reaped_ ? 0 : -1)) {
  }
  CloseFd(out_);
  CloseFd(err_);
  if (!reaped_) {
    outcome_ = Reap(pid_, std::move(outcome_));
    reaped_ = true;
  }
  return outcome_;
}

bool FedChild::Running() {
  if (reaped_) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return true;
  if (WIFEXITED(status)) outcome_.exit_status = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome_.signal = WTERMSIG(status);
  reaped_ = true;
  return false;
}

void FedChild::Kill() {
  if (reaped_) return;
  ::kill(pid_, SIGKILL);
  outcome_ = Reap(pid_, std::move(outcome_));
  reaped_ = true;
}

}  // namespace immich_maint::sidecar
