// FedChild (psql's feeder): a child that reads all we write, one that prints while it reads (no
// deadlock), one that stops reading early (Write says so; SIGPIPE does not kill us), and kill.
#include <gtest/gtest.h>

#include <string>

#include "sidecar/child_process.h"
#include "tests/sidecar/shell_child.h"

namespace immich_maint::sidecar {
namespace {

bool WriteText(FedChild& child, const std::string& text) {
  return child.Write(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

TEST(FedChild, ReadsEverythingWeWrite) {
  FedChild child(Shell("n=$(wc -c); test \"$n\" -eq 3000000"));
  const std::string chunk(1000000, 'x');
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(WriteText(child, chunk));
  EXPECT_TRUE(child.Finish().ok());
}

TEST(FedChild, AChildPrintingWhileItReadsDoesNotDeadlock) {
  FedChild child(Shell("cat; echo done >&2"));  // echoes megabytes to stdout while reading
  const std::string chunk(1 << 20, 'y');
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(WriteText(child, chunk));
  const ChildOutcome outcome = child.Finish();
  EXPECT_TRUE(outcome.ok());
  EXPECT_EQ(outcome.stderr_tail, "done\n");
}

TEST(FedChild, AChildThatStopsReadingMakesWriteReturnFalse) {
  FedChild child(Shell("head -c 10 >/dev/null; echo 'ERROR: stop' >&2; exit 3"));
  const std::string chunk(1 << 20, 'z');
  bool writing = true;
  for (int i = 0; i < 16 && writing; ++i) writing = WriteText(child, chunk);
  EXPECT_FALSE(writing);
  const ChildOutcome outcome = child.Finish();
  EXPECT_EQ(outcome.exit_status, 3);
  EXPECT_EQ(outcome.stderr_tail, "ERROR: stop\n");
}

TEST(FedChild, KillEndsItAndFinishSaysSo) {
  FedChild child(Shell("sleep 60"));
  EXPECT_TRUE(child.Running());
  child.Kill();
  EXPECT_FALSE(child.Running());
  EXPECT_EQ(child.Finish().Describe(), "was killed by signal 9");
}

}  // namespace
}  // namespace immich_maint::sidecar
