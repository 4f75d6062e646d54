// The health verdict and the Prometheus text, from facts (no database).
#include "sidecar/status_report.h"

#include <gtest/gtest.h>

namespace immich_maint::sidecar {
namespace {

constexpr std::int64_t kNow = 1795310000;
constexpr std::int64_t kDay = 24 * 3600;

StatusFacts GoodFacts() {
  StatusFacts facts;
  facts.database_up = true;
  facts.last_backup_epoch = kNow - 3600;
  facts.last_backup_seconds = 12.5;
  facts.last_backup_bytes = 123456789;
  facts.runs[{"DatabaseBackup", "succeeded"}] = 3;
  return facts;
}

TEST(StatusHealth, RecentBackupAndReachableDatabaseIsHealthy) {
  const Health health = JudgeHealth(GoodFacts(), kNow, 26 * 3600);
  EXPECT_TRUE(health.healthy);
  EXPECT_TRUE(health.reasons.empty());
}

TEST(StatusHealth, StaleBackupIsUnhealthyWithItsAge) {
  StatusFacts facts = GoodFacts();
  facts.last_backup_epoch = kNow - 2 * kDay;
  const Health health = JudgeHealth(facts, kNow, 26 * 3600);
  EXPECT_FALSE(health.healthy);
  ASSERT_EQ(health.reasons.size(), 1u);
  EXPECT_EQ(health.reasons[0], "newest successful backup is 48 h old (limit 26 h)");
}

TEST(StatusHealth, UnreachableDatabaseIsUnhealthy) {
  StatusFacts facts;
  facts.database_error = "cannot connect to postgres@database:5432/immich";
  const Health health = JudgeHealth(facts, kNow, 26 * 3600);
  EXPECT_FALSE(health.healthy);
  EXPECT_EQ(health.reasons, std::vector<std::string>{
                                "database unreachable: cannot connect to postgres@database:5432/immich"});
}

TEST(StatusHealth, NoBackupYetAndFailedStorageAreReasons) {
  StatusFacts facts;
  facts.database_up = true;
  facts.storage_ok = {{"backups", false}, {"upload", true}};
  const Health health = JudgeHealth(facts, kNow, 26 * 3600);
  EXPECT_EQ(health.reasons, (std::vector<std::string>{"no successful backup yet",
                                                      "storage check failed for backups"}));
  EXPECT_EQ(HealthJson(health, facts, kNow),
            "{\"database\":true,\"reasons\":[\"no successful backup yet\",\"storage check failed for "
            "backups\"],\"status\":\"unhealthy\"}\n");
}

TEST(StatusHealth, ARestoreKeepingClientsOutIsNotAnUnhealthyDatabase) {
  StatusFacts facts = GoodFacts();
  facts.database_up = false;
  facts.database_error = "cannot connect to postgres@database:5432/immich";
  facts.current_run = RunSnapshot{42, "DatabaseRestore", 0.5, kNow - 60};
  const Health health = JudgeHealth(facts, kNow, 26 * 3600);
  EXPECT_TRUE(health.healthy);
  EXPECT_EQ(HealthJson(health, facts, kNow),
            "{\"backup_age_seconds\":3600,\"database\":false,\"reasons\":[],\"running\":{\"job\":"
            "\"DatabaseRestore\",\"progress\":0.5,\"run_id\":42},\"status\":\"ok\"}\n");
  facts.current_run->job = "DatabaseBackup";  // any other run: the database must answer
  EXPECT_FALSE(JudgeHealth(facts, kNow, 26 * 3600).healthy);
}

TEST(StatusMetrics, TheExecutingRunWithItsProgress) {
  StatusFacts facts = GoodFacts();
  EXPECT_NE(RenderMetrics(facts).find("immich_maint_running 0\n"), std::string::npos);
  EXPECT_EQ(RenderMetrics(facts).find("immich_maint_run_progress"), std::string::npos);
  facts.current_run = RunSnapshot{42, "DatabaseRestore", 0.625, kNow - 60};
  const std::string text = RenderMetrics(facts);
  EXPECT_NE(text.find("immich_maint_running 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE immich_maint_run_progress gauge\n"
                      "immich_maint_run_progress{run_id=\"42\",job=\"DatabaseRestore\"} 0.625\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("immich_maint_run_started_timestamp_seconds{run_id=\"42\",job=\"DatabaseRestore\"} 1795309940\n"),
            std::string::npos) << text;
}

TEST(CurrentRun, PublishedWhileTheScopeLives) {
  EXPECT_FALSE(CurrentRun().has_value());
  PublishRunProgress(0.5);  // no run: nothing to update
  EXPECT_FALSE(CurrentRun().has_value());
  {
    const CurrentRunScope scope(7, "DatabaseBackup");
    PublishRunProgress(0.25);
    ASSERT_TRUE(CurrentRun().has_value());
    EXPECT_EQ(CurrentRun()->id, 7);
    EXPECT_EQ(CurrentRun()->job, "DatabaseBackup");
    EXPECT_EQ(CurrentRun()->progress, 0.25);
  }
  EXPECT_FALSE(CurrentRun().has_value());
}

TEST(StatusMetrics, RendersExactPrometheusText) {
  StatusFacts facts = GoodFacts();
  facts.runs[{"TagCleanup", "failed"}] = 1;
  const std::string text = RenderMetrics(facts);
  EXPECT_NE(text.find("# TYPE immich_maint_up gauge\nimmich_maint_up 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("immich_maint_last_backup_success_timestamp_seconds 1795306400\n"), std::string::npos) << text;
  EXPECT_NE(text.find("immich_maint_last_backup_duration_seconds 12.5\n"), std::string::npos);
  EXPECT_NE(text.find("immich_maint_last_backup_size_bytes 123456789\n"), std::string::npos);
  EXPECT_NE(text.find("immich_maint_runs{job=\"TagCleanup\",status=\"failed\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE immich_maint_backup_failures_total counter\nimmich_maint_backup_failures_total 0\n"),
            std::string::npos);
}

TEST(StatusMetrics, DatabaseDownStillRendersUp) {
  const std::string text = RenderMetrics(StatusFacts{});
  EXPECT_NE(text.find("immich_maint_database_up 0\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("last_backup"), std::string::npos) << text;
}

}  // namespace
}  // namespace immich_maint::sidecar
