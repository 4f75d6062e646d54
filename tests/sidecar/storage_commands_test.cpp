// `check-storage` and `scan-orphans` run as a user would, for what needs no database: their
// place in the command table and the errors a user causes before a connection.
#include <gtest/gtest.h>

#include "tests/support/run_command.h"

namespace immich_maint::testing {
namespace {

const std::string kMaintd = IMMICH_MAINTD_PATH;

TEST(StorageCommands, BothAreInTheCommandTableWithTheirOptions) {
  const auto top = RunCommand(kMaintd + " --help");
  EXPECT_NE(top.out.find("check-storage"), std::string::npos) << top.out;
  EXPECT_NE(top.out.find("scan-orphans"), std::string::npos) << top.out;
  const auto scan = RunCommand(kMaintd + " scan-orphans --help");
  ASSERT_EQ(scan.status, 0) << scan.err;
  for (const char* option : {"--media", "--json", "--quarantine", "--delete-regenerable",
                             "--min-age", "--db-media-prefix"}) {
    EXPECT_NE(scan.out.find(option), std::string::npos) << option;
  }
}

TEST(StorageCommands, MinAgeMustBeSecondsInRange) {
  const auto r = RunCommand(kMaintd + " scan-orphans --min-age -5");
  EXPECT_EQ(r.status, 2);  // a usage error
  EXPECT_EQ(r.err,
            "ERROR: --min-age: Value -5 not in range 0 to 315360000\n"
            "HINT: Run with --help for more information.\n");
}

TEST(StorageCommands, UnreachableDatabaseIsAConnectionError) {
  TempDir media;
  const auto r = RunCommand("DB_HOSTNAME=127.0.0.1 DB_PORT=1 DB_DATABASE_NAME=immich " + kMaintd +
                            " check-storage --media " + media.path());
  EXPECT_EQ(r.status, 10);
  EXPECT_EQ(r.err.substr(0, r.err.find('\n')),
            "ERROR: cannot connect to postgres@127.0.0.1:1/immich");
}

}  // namespace
}  // namespace immich_maint::testing
