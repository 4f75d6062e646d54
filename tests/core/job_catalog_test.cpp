// The job catalogue: Immich's names and defaults.
#include "core/job_catalog.h"

#include <gtest/gtest.h>

namespace immich_maint::core {
namespace {

TEST(JobCatalog, BackupDefaultsAreImmichs) {
  const JobSpec* backup = FindJob("DatabaseBackup");
  ASSERT_NE(backup, nullptr);
  EXPECT_STREQ(backup->default_cron, "0 02 * * *");
  EXPECT_STREQ(backup->default_params, R"({"keepLastAmount": 14})");
  EXPECT_TRUE(backup->default_catch_up);
  EXPECT_EQ(backup->runner, JobRunner::kSidecar);
}

TEST(JobCatalog, NamesAreCaseSensitive) {
  EXPECT_EQ(FindJob("databasebackup"), nullptr);
  EXPECT_EQ(FindJob(""), nullptr);
  EXPECT_NE(FindJob("TagCleanup"), nullptr);
}

TEST(JobCatalog, NamesListIsSortedAndComplete) {
  EXPECT_EQ(JobNamesList(),
            "AssetDeleteCheck, AuditLogCleanup, AuditTableCleanup, DatabaseBackup, DatabaseRestore, "
            "MemoryCleanup, MemoryGenerate, NotificationsCleanup, OrphanFileScan, PersonCleanup, "
            "SessionCleanup, StorageCheck, TagCleanup, UserDeleteCheck");
}

TEST(JobCatalog, NightlyCleanupsRunAtMidnightInTheDatabase) {
  for (const char* name : {"AuditTableCleanup", "SessionCleanup", "TagCleanup", "PersonCleanup",
                           "MemoryCleanup", "NotificationsCleanup", "UserDeleteCheck",
                           "AssetDeleteCheck"}) {
    const JobSpec* job = FindJob(name);
    ASSERT_NE(job, nullptr) << name;
    EXPECT_STREQ(job->default_cron, "0 0 * * *") << name;
    EXPECT_EQ(job->runner, JobRunner::kDatabase) << name;
  }
}

}  // namespace
}  // namespace immich_maint::core
