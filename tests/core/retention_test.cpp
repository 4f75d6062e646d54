// Pins core/retention.h to Immich's cleanup: newest keepLastAmount routine names kept, the rest
// and every .tmp deleted, everything else untouched, with a reason for each entry and the
// exact error for a bad keep count. Orders were checked against Node's toSorted().toReversed().
#include "core/retention.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace immich_maint::core {
namespace {

// A new-style routine name for 2025-07-<day> 02:00:00.
std::string Daily(int day) {
  const std::string dd = (day < 10 ? "0" : "") + std::to_string(day);
  return "immich-db-backup-202507" + dd + "T020000-v2.5.0-pg16.4.sql.gz";
}

std::vector<RetentionDecision> Plan(const std::vector<std::string>& entries, int keep) {
  Result<std::vector<RetentionDecision>> plan = PlanRetention(entries, keep);
  EXPECT_TRUE(plan.ok()) << plan.error().message;
  return plan.ok() ? plan.value() : std::vector<RetentionDecision>{};
}

// The names the plan deletes, in input order.
std::vector<std::string> Deleted(const std::vector<RetentionDecision>& plan) {
  std::vector<std::string> names;
  for (const RetentionDecision& d : plan) {
    if (!d.keep) names.push_back(d.name);
  }
  return names;
}

std::vector<std::string> DailyRange(int first, int last) {
  std::vector<std::string> names;
  for (int day = first; day <= last; ++day) names.push_back(Daily(day));
  return names;
}

TEST(Retention, KeepsOnlyTheNewestWithKeepOne) {
  const auto plan = Plan({Daily(2), Daily(3), Daily(1)}, 1);
  EXPECT_EQ(Deleted(plan), (std::vector<std::string>{Daily(2), Daily(1)}));
}

TEST(Retention, KeepsNewestFourteenOfTwenty) {
  const auto plan = Plan(DailyRange(1, 20), 14);
  ASSERT_EQ(plan.size(), 20u);
  EXPECT_EQ(Deleted(plan), DailyRange(1, 6));
}

TEST(Retention, KeepsEverythingWhenFewerThanKeepLastAmount) {
  EXPECT_TRUE(Deleted(Plan(DailyRange(1, 5), 14)).empty());
  EXPECT_TRUE(Deleted(Plan(DailyRange(1, 5), 5)).empty());
}

TEST(Retention, EmptyFolderPlansNothing) { EXPECT_TRUE(Plan({}, 14).empty()); }

TEST(Retention, OldStyleEpochNamesSortAfterNewStyleOnes) {
  const std::string old_a = "immich-db-backup-1730000000000.sql.gz";
  const std::string old_b = "immich-db-backup-1740000000000.sql.gz";
  const auto plan = Plan({old_b, Daily(1), old_a, Daily(2)}, 3);
  EXPECT_EQ(Deleted(plan), (std::vector<std::string>{old_a}));
  EXPECT_EQ(Deleted(Plan({old_b, Daily(1), old_a, Daily(2)}, 1)),
            (std::vector<std::string>{old_b, Daily(1), old_a}));
}

TEST(Retention, SortsByNameNotByVersionOrServer) {
  const std::string older_but_newer_version =
      "immich-db-backup-20250701T020000-v9.9.9-pg18.0.sql.gz";
  const auto plan = Plan({older_but_newer_version, Daily(2)}, 1);
  EXPECT_EQ(Deleted(plan), (std::vector<std::string>{older_but_newer_version}));
}

TEST(Retention, DeletesEveryFailedTmpWhateverTheKeepCount) {
  const std::string tmp_new = Daily(5) + ".tmp";
  const std::string tmp_old = "immich-db-backup-1730000000000.sql.gz.tmp";
  const auto plan = Plan({tmp_new, Daily(1), tmp_old}, 1000);
  EXPECT_EQ(Deleted(plan), (std::vector<std::string>{tmp_new, tmp_old}));
  EXPECT_EQ(plan[0].reason, "failed backup: a partial .tmp file from a dump that did not finish");
}

TEST(Retention, FailedFilesDoNotUseUpTheKeepCount) {
  const auto plan = Plan({Daily(9) + ".tmp", Daily(1), Daily(2)}, 2);
  EXPECT_EQ(Deleted(plan), (std::vector<std::string>{Daily(9) + ".tmp"}));
}

TEST(Retention, LeavesUploadedRestorePointOtherAndInvalidUntouched) {
  const std::vector<std::string> entries = {"uploaded-" + Daily(1),
                                            "restore-point-" + Daily(1),
                                            "mine.sql",
                                            ".immich",
                                            "notes.txt",
                                            "restore-point-" + Daily(1) + ".tmp",
                                            "immich-db-backup-1730000000000.sql",
                                            Daily(3),
                                            Daily(4)};
  const auto plan = Plan(entries, 1);
  EXPECT_EQ(Deleted(plan), (std::vector<std::string>{Daily(3)}));
  EXPECT_EQ(plan[0].reason, "uploaded backup: never counted by retention");
  EXPECT_EQ(plan[1].reason, "restore point: never counted by retention");
  EXPECT_EQ(plan[2].reason, "not a routine backup: never counted by retention");
  EXPECT_EQ(plan[3].reason, "not a backup name: never counted by retention");
  EXPECT_EQ(plan[5].reason, "not a backup name: never counted by retention");
  EXPECT_EQ(plan[6].reason, "not a routine backup: never counted by retention");
}

TEST(Retention, GivesOneDecisionPerEntryInInputOrder) {
  const std::vector<std::string> entries = {Daily(1), "mine.sql", Daily(3), Daily(2) + ".tmp"};
  const auto plan = Plan(entries, 1);
  ASSERT_EQ(plan.size(), entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) EXPECT_EQ(plan[i].name, entries[i]) << i;
}

TEST(Retention, ReasonsGiveRankCountAndLimit) {
  const auto plan = Plan({Daily(1), "immich-db-backup-1730000000000.sql.gz", Daily(2)}, 1);
  EXPECT_TRUE(plan[2].keep);
  EXPECT_EQ(plan[2].reason, "routine backup 1 of 3 (newest first), within keepLastAmount 1");
  EXPECT_FALSE(plan[0].keep);
  EXPECT_EQ(plan[0].reason, "routine backup 2 of 3 (newest first), past keepLastAmount 1");
  EXPECT_FALSE(plan[1].keep);
  EXPECT_EQ(plan[1].reason,
            "old-style routine backup 3 of 3 (newest first), past keepLastAmount 1");
}

TEST(Retention, CountsRoutineNamesThatAreNotValidNames) {
  // Immich's routine regex admits a space in `.*`; its cleanup counts such a file.
  const std::string spaced = "immich-db-backup-20250731T020000-v2.5.0 x-pg16.4.sql.gz";
  EXPECT_EQ(Deleted(Plan({spaced, Daily(1)}, 1)), (std::vector<std::string>{Daily(1)}));
}

TEST(Retention, RefusesKeepZeroWithImmichsMessage) {
  const Result<std::vector<RetentionDecision>> plan = PlanRetention({Daily(1)}, 0);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, ErrorCode::kInvalidKeepCount);
  EXPECT_EQ(plan.error().message, "keepLastAmount must be a positive integer, got 0");
}

TEST(Retention, RefusesNegativeKeepWithImmichsMessage) {
  const Result<std::vector<RetentionDecision>> plan = PlanRetention({}, -1);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, ErrorCode::kInvalidKeepCount);
  EXPECT_EQ(plan.error().message, "keepLastAmount must be a positive integer, got -1");
}

// --- JavaScript string order ------------------------------------------------------------------

TEST(RetentionOrder, AsciiAndBmpNamesSortAsBytes) {
  EXPECT_TRUE(JsStringLess("a", "b"));
  EXPECT_TRUE(JsStringLess("a", "ab"));
  EXPECT_FALSE(JsStringLess("ab", "ab"));
  EXPECT_TRUE(JsStringLess("Z", "a"));
  EXPECT_TRUE(JsStringLess("e", "\xC3\xA9"));  // é
}

TEST(RetentionOrder, ComparesUtf16CodeUnitsNotCodePoints) {
  const std::string replacement = "\xEF\xBF\xBD";  // U+FFFD
  const std::string emoji = "\xF0\x9F\x98\x80";    // U+1F600, a surrogate pair D83D DE00
  EXPECT_TRUE(JsStringLess(emoji, replacement));
  EXPECT_FALSE(JsStringLess(replacement, emoji));
}

TEST(RetentionOrder, ReadsInvalidUtf8AsReplacementCharacters) {
  EXPECT_TRUE(JsStringLess("\xC3\xA9", "\x80"));       // U+FFFD sorts after é
  EXPECT_FALSE(JsStringLess("\x80", "\xEF\xBF\xBD"));  // both U+FFFD
  EXPECT_FALSE(JsStringLess("\xEF\xBF\xBD", "\x80"));
  EXPECT_TRUE(JsStringLess("\xE2\x80", "\xEF\xBF\xBD\x01"));  // truncated: one U+FFFD
  EXPECT_TRUE(JsStringLess("\xE0\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\x01"));
}

TEST(RetentionOrder, NewestFirstFollowsJavaScriptOrderForNonAsciiNames) {
  const std::string head = "immich-db-backup-20250729T114018-v";
  const std::string emoji = head + "\xF0\x9F\x98\x80-pg16.sql.gz";
  const std::string private_use = head + "\xEE\x80\x80-pg16.sql.gz";  // U+E000
  // By bytes the emoji would be newest; as UTF-16 (D83D < E000) it is the older one.
  EXPECT_EQ(Deleted(Plan({emoji, private_use}, 1)), (std::vector<std::string>{emoji}));
}

TEST(RetentionOrder, NamesEqualAsJavaScriptStringsKeepTheLaterEntry) {
  // \x80 and \x81 both read as U+FFFD: a stable sort then a reverse puts the later entry first.
  const std::string head = "immich-db-backup-20250729T114018-v";
  const std::string a = head + "\x80-pg16.sql.gz";
  const std::string b = head + "\x81-pg16.sql.gz";
  EXPECT_EQ(Deleted(Plan({a, b}, 1)), (std::vector<std::string>{a}));
  EXPECT_EQ(Deleted(Plan({b, a}, 1)), (std::vector<std::string>{b}));
}

}  // namespace
}  // namespace immich_maint::core
