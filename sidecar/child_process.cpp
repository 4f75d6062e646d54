// posix_spawn + poll loop for streaming children.
#include "sidecar/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "core/error.h"

extern char** environ;

namespace immich_maint::sidecar {

namespace {

constexpr std::size_t kChunk = 256 * 1024;
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

struct Pipes {
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  ~Pipes() {
    for (int fd : {out[0], out[1], err[0], err[1]}) {
      if (fd >= 0) ::close(fd);
    }
  }
};

pid_t Spawn(const ChildSpec& spec, Pipes& pipes) {
  if (::pipe2(pipes.out, O_CLOEXEC) != 0 || ::pipe2(pipes.err, O_CLOEXEC) != 0) {
    throw core::Failure(core::MakeError(core::ErrorCode::kIoError,
                                        std::string("cannot create pipe: ") + std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipes.out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipes.err[1], STDERR_FILENO);
  std::vector<std::string> argv_strings{spec.binary};
  argv_strings.insert(argv_strings.end(), spec.args.begin(), spec.args.end());
  std::vector<std::string> env_strings = MergedEnvironment(spec);
  auto argv = Pointers(argv_strings);
  auto envp = Pointers(env_strings);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, spec.binary.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw core::Failure(core::MakeError(core::ErrorCode::kNotFound,
                                        "cannot run " + spec.binary + ": " + std::strerror(rc)));
  }
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

// Pumps both pipes until stdout and stderr close; returns false on a stall.
bool Pump(Pipes& pipes, const ChildSpec& spec, const OutputHandler& on_output, std::string& tail) {
  std::vector<std::uint8_t> buffer(kChunk);
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
  const pid_t pid = Spawn(spec, pipes);
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
