// `immich-maintd list` run as a user would: on a temp media folder, as a table and as JSON.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include <nlohmann/json.hpp>

#include "tests/support/run_command.h"

namespace immich_maint::testing {
namespace {

const std::string kMaintd = IMMICH_MAINTD_PATH;

void SetMtime(const std::string& path, long epoch) {
  struct utimbuf times {epoch, epoch};
  ASSERT_EQ(::utime(path.c_str(), &times), 0) << path;
}

class ListCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    SetMtime(media_.Write("backups/immich-db-backup-20250729T114018-v1.136.0-pg14.17.sql.gz", "aaaa"), 1753789218);
    SetMtime(media_.Write("backups/immich-db-backup-20250730T020000-v2.5.0-pg16.4.sql.gz", "bbbbbb"), 1753840800);
    SetMtime(media_.Write("backups/immich-db-backup-1730000000000.sql.gz", "c"), 1730000000);
    SetMtime(media_.Write("backups/uploaded-mine.sql", "dd"), 1760000000);
    media_.Write("backups/immich-db-backup-20250731T020000-v2.5.0-pg16.4.sql.gz.tmp", "partial");
    media_.Write("backups/notes.txt", "not a backup");
    media_.Write("backups/.immich", "1753789218000");
  }
  TempDir media_;
};

TEST_F(ListCommand, JsonListsValidNamesNewestFirstWithKindVersionAndCompat) {
  const auto r = RunCommand(kMaintd + " list --json --immich-version 2.5.0 --media " + media_.path());
  ASSERT_EQ(r.status, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["folder"], media_.path() + "/backups");
  const auto& backups = json["backups"];
  ASSERT_EQ(backups.size(), 4u) << r.out;
  EXPECT_EQ(backups[0]["name"], "uploaded-mine.sql");
  EXPECT_EQ(backups[0]["kind"], "uploaded");
  EXPECT_EQ(backups[1]["name"], "immich-db-backup-20250730T020000-v2.5.0-pg16.4.sql.gz");
  EXPECT_EQ(backups[1]["size"], 6);
  EXPECT_EQ(backups[1]["modified"], "2025-07-30T02:00:00Z");
  EXPECT_EQ(backups[1]["kind"], "routine");
  EXPECT_EQ(backups[1]["version"], "2.5.0");
  EXPECT_EQ(backups[1]["compat"], "ok");
  EXPECT_EQ(backups[2]["version"], "1.136.0");
  EXPECT_EQ(backups[2]["compat"], "other-version");
  EXPECT_EQ(backups[3]["kind"], "routine-legacy");
  EXPECT_TRUE(backups[3]["version"].is_null());
  EXPECT_EQ(backups[3]["compat"], "unknown");
}

TEST_F(ListCommand, MediaLocationComesFromImmichEnvironment) {
  const auto r = RunCommand("IMMICH_MEDIA_LOCATION=" + media_.path() + " " + kMaintd + " list");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("4 backup(s) in " + media_.path() + "/backups"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("immich-db-backup-20250729T114018-v1.136.0-pg14.17.sql.gz"), std::string::npos);
  EXPECT_EQ(r.out.find(".tmp"), std::string::npos) << "partial files are not listed";
}

TEST(ListCommandErrors, MissingBackupsFolderIsAClearError) {
  TempDir empty;
  const auto r = RunCommand(kMaintd + " list --media " + empty.path());
  EXPECT_EQ(r.status, 8);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "ERROR: backups folder does not exist: " + empty.path() +
                       "/backups\nDETAIL: The system said: No such file or directory.\n"
                       "HINT: Check --media or IMMICH_MEDIA_LOCATION; Immich keeps backups in "
                       "<media>/backups.\n");
}

TEST(ListCommandErrors, EmptyFolderListsNothing) {
  TempDir media;
  media.Write("backups/.immich", "1");
  const auto r = RunCommand(kMaintd + " list --json --media " + media.path());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["backups"], nlohmann::json::array());
}

TEST(Cli, VersionMatchesControlFile) {
  const auto r = RunCommand(kMaintd + " --version");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, std::string("immich-maintd ") + IMMICH_MAINT_VERSION + "\n");
}

TEST(Cli, HelpListsCommands) {
  const auto r = RunCommand(kMaintd + " --help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("list"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("IMMICH_MEDIA_LOCATION"), std::string::npos) << r.out;
}

TEST(Cli, UnknownCommandIsAUsageError) {
  const auto r = RunCommand(kMaintd + " frobnicate");
  EXPECT_EQ(r.status, 2);
  // the list grows with every command; its shape and a few members are what matter
  EXPECT_EQ(r.err.rfind("ERROR: unknown command: frobnicate\nHINT: Valid commands: backup, ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(", list, "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(". Run with --help for more.\n"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace immich_maint::testing
