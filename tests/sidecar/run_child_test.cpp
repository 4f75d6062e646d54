// RunChild (pg_dump's runner): every byte of stdout in order, gathered into few large reads even
// when the child writes in tiny pieces; stderr's tail and the exit status; a stall killed; a
// missing binary named; a failing consumer kills the child.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "core/error.h"
#include "sidecar/child_process.h"
#include "tests/sidecar/shell_child.h"

namespace immich_maint::sidecar {
namespace {

std::string Expected(int lines) {
  std::string text;
  for (int i = 1; i <= lines; ++i) text += std::to_string(i) + "\n";
  return text;
}

// 20,000 writes of a few bytes each (printf is a shell builtin: one write per line).
TEST(RunChild, DeliversEveryByteInOrderInFewLargeReads) {
  std::string got;
  int calls = 0;
  const ChildOutcome outcome =
      RunChild(Shell("i=1; while [ $i -le 20000 ]; do printf '%d\\n' $i; i=$((i+1)); done"),
               [&](const std::uint8_t* data, std::size_t size) {
                 got.append(reinterpret_cast<const char*>(data), size);
                 ++calls;
               });
  EXPECT_TRUE(outcome.ok());
  EXPECT_EQ(got, Expected(20000));
  EXPECT_LT(calls, 2000) << "reads were not batched";
}

TEST(RunChild, KeepsStderrTailAndExitStatus) {
  const ChildOutcome outcome = RunChild(Shell("echo out; echo 'pg_dump: error: boom' >&2; exit 3"),
                                        [](const std::uint8_t*, std::size_t) {});
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.exit_status, 3);
  EXPECT_EQ(outcome.stderr_tail, "pg_dump: error: boom\n");
  EXPECT_EQ(outcome.Describe(), "exited with status 3");
}

TEST(RunChild, KillsAStalledChild) {
  ChildSpec spec = Shell("echo start; sleep 30");
  spec.stall_timeout = std::chrono::milliseconds(200);
  const auto started = std::chrono::steady_clock::now();
  const ChildOutcome outcome = RunChild(spec, [](const std::uint8_t*, std::size_t) {});
  EXPECT_TRUE(outcome.stalled);
  EXPECT_EQ(outcome.Describe(), "stalled (no output) and was killed");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
}

TEST(RunChild, NamesAMissingBinary) {
  ChildSpec spec;
  spec.binary = "/nonexistent/pg_dump";
  try {
    RunChild(spec, [](const std::uint8_t*, std::size_t) {});
    FAIL() << "no error";
  } catch (const core::Failure& failure) {
    EXPECT_EQ(failure.error().code, core::ErrorCode::kNotFound);
    EXPECT_EQ(failure.error().message,
              "cannot run /nonexistent/pg_dump: No such file or directory");
  }
}

TEST(RunChild, AFailingConsumerKillsTheChildAndPassesTheErrorOn) {
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(RunChild(Shell("yes"), [](const std::uint8_t*, std::size_t) {
                 throw std::runtime_error("disk full");
               }),
               std::runtime_error);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
}

}  // namespace
}  // namespace immich_maint::sidecar
