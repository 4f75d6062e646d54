// Hostile input to the core parsers (issue 9, "Bad input"): cron texts, backup names and job
// names that a user, a folder or a script could hand us. Each gets its exact refusal or result;
// none may crash or hang. tests/faults/README.md lists these cases with the observed outcomes.
#include <gtest/gtest.h>

#include <climits>
#include <string>
#include <vector>

#include "core/backup_name.h"
#include "core/cron_schedule.h"
#include "core/job_catalog.h"
#include "core/retention.h"

namespace immich_maint::core {
namespace {

using namespace std::string_literals;  // "...\0..."s keeps the NUL

constexpr char kHint[] = "Use cron format (e.g. 5 4 * * *), or interval format '[1-59] seconds'";
constexpr char kFiveFields[] = "; expected 5 (minute, hour, day of month, month, day of week).";

struct CronCase {
  std::string input;
  std::string detail;  // the whole refusal is "invalid schedule: <input>", this detail, kHint
};

const std::vector<CronCase>& HostileCronInputs() {
  static const std::vector<CronCase> kCases = {
      {"", "The schedule is empty."},
      {"     ", "The schedule is empty."},
      {"\t", "The schedule is empty."},
      {std::string(999, ' '), "The schedule is empty."},
      {std::string(1000, ' '), "The schedule is 1000 bytes long; it must be shorter than 1000."},
      {std::string(1000, '*'), "The schedule is 1000 bytes long; it must be shorter than 1000."},
      {std::string(5000, '1'), "The schedule is 5000 bytes long; it must be shorter than 1000."},
      {std::string(998, '1'), "The schedule has 1 field"s + kFiveFields},
      {"\n", "The schedule has 1 field"s + kFiveFields},
      {"* * * * *\n", "Field \"day of week\" has trailing junk \"\n\" in \"*\n\"."},
      {"*\n* * * *", "The schedule has 4 fields"s + kFiveFields},
      {"0\0 0 * * *"s, "Field \"minute\" has trailing junk \"\0\" in \"0\0\"."s},
      {"* * * * *\0"s, "Field \"day of week\" has trailing junk \"\0\" in \"*\0\"."s},
      {"\xef\xbc\x95 * * * *",
       "Field \"minute\" expects a number at \"\xef\xbc\x95\" in \"\xef\xbc\x95\"."},
      {"\xd9\xa5 * * * *", "Field \"minute\" expects a number at \"\xd9\xa5\" in \"\xd9\xa5\"."},
      {"99999999999999999999 * * * *",
       "Field \"minute\" value 99999999999999999999 is out of range 0-59 in "
       "\"99999999999999999999\"."},
      {"*/99999999999999999999 * * * *",
       "Field \"minute\" step 99999999999999999999 is out of range 1-59 in "
       "\"*/99999999999999999999\"."},
      {"99999999999999999999 seconds",
       "The interval 99999999999999999999 seconds is out of range; use 1 to 59 seconds."},
      {"*/0 * * * *", "Field \"minute\" step 0 is out of range 1-59 in \"*/0\"."},
      {"1- * * * *", "Field \"minute\" is missing a number after \"-\" in \"1-\"."},
      {"- * * * *", "Field \"minute\" expects a number at \"-\" in \"-\"."},
      {",, * * * *", "Field \"minute\" has an empty list item in \",,\"."},
      {"*/ * * * *", "Field \"minute\" expects a step number after \"/\" at \"*/\" in \"*/\"."},
      {"1-2-3 * * * *", "Field \"minute\" has trailing junk \"-3\" in \"1-2-3\"."},
      {"+1 * * * *", "Field \"minute\" expects a number at \"+1\" in \"+1\"."},
      {"0x10 * * * *", "Field \"minute\" has trailing junk \"x10\" in \"0x10\"."},
      {"1e3 * * * *", "Field \"minute\" has trailing junk \"e3\" in \"1e3\"."},
      {"L * * * *", "Field \"minute\" expects a number at \"L\" in \"L\"."},
      {"*/mon * * * *", "Field \"minute\" has a name as a step in \"*/mon\"; steps are numbers."},
      {"@",
       "Unknown keyword \"@\"; expected @yearly, @annually, @monthly, @weekly, @daily, "
       "@midnight, @hourly, @reboot or @restart."},
      {"@daily now", "The keyword \"@daily\" stands alone, but \"now\" follows it."},
      {"seconds", "The interval must start with a number of seconds, not \"seconds\"."},
      {"1 second 2 seconds",
       "The interval has trailing junk \"2 seconds\" in \"1 second 2 seconds\"."},
      {"* * * * *;DROP TABLE x", "The schedule has 7 fields"s + kFiveFields},
      {"0 0 31 4,6 *", "The schedule never fires: day 31 does not exist in April or June."},
  };
  return kCases;
}

TEST(BadCronInput, EachHostileInputGetsItsExactRefusal) {
  for (const CronCase& c : HostileCronInputs()) {
    const Result<CronSchedule> result = ParseCronSchedule(c.input);
    ASSERT_FALSE(result.ok()) << "accepted: \"" << c.input << "\"";
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidSchedule) << c.input;
    EXPECT_EQ(result.error().message, "invalid schedule: " + c.input);
    EXPECT_EQ(result.error().detail, c.detail) << "for input \"" << c.input << "\"";
    EXPECT_EQ(result.error().hint, kHint) << c.input;
  }
}

// Blanks (spaces and tabs) around a schedule are skipped, up to the 999-byte limit.
TEST(BadCronInput, BlankPaddedScheduleIsAcceptedBelowTheLimitOnly) {
  EXPECT_TRUE(ParseCronSchedule("\t* * * * *\t").ok());
  EXPECT_TRUE(ParseCronSchedule(std::string(990, ' ') + "* * * * *").ok());
  const auto too_long = ParseCronSchedule(std::string(991, ' ') + "* * * * *");
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().detail,
            "The schedule is 1000 bytes long; it must be shorter than 1000.");
}

// The refusal repeats the input whole, however long: a 5000-byte schedule gives a 5018-byte
// message (see the report: a cap would keep server logs readable).
TEST(BadCronInput, RefusalRepeatsTheWholeInputEvenWhenHuge) {
  const auto result = ParseCronSchedule(std::string(5000, '*'));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message.size(), 5018u);
}

TEST(BadCronInput, HugeNumbersInEveryFieldAreOutOfRangeNotOverflow) {
  const std::string huge = "99999999999999999999999";
  const char* const kFields[] = {"minute", "hour", "day of month", "month", "day of week"};
  const char* const kRanges[] = {"0-59", "0-23", "1-31", "1-12", "0-7"};
  for (int field = 0; field < 5; ++field) {
    std::string words[5] = {"*", "*", "*", "*", "*"};
    words[field] = huge;
    const std::string input =
        words[0] + " " + words[1] + " " + words[2] + " " + words[3] + " " + words[4];
    const auto result = ParseCronSchedule(input);
    ASSERT_FALSE(result.ok()) << input;
    EXPECT_EQ(result.error().detail, "Field \""s + kFields[field] + "\" value " + huge +
                                         " is out of range " + kRanges[field] + " in \"" + huge +
                                         "\".");
  }
}

// ---- backup names ----

struct NameCase {
  std::string name;
  bool valid;
  const char* kind;
};

TEST(BadBackupName, TraversalAbsoluteNulUnicodeAndBareSuffixAreInvalid) {
  const std::vector<NameCase> cases = {
      {"../x.sql", false, "invalid"},
      {"/etc/x.sql", false, "invalid"},
      {"a/../../x.sql.gz", false, "invalid"},
      {"uploaded-../x.sql", false, "invalid"},
      {"x.sql\0.gz"s, false, "invalid"},
      {"x\0.sql"s, false, "invalid"},
      {"immich-db-backup-20250729T114018-v1.136.0-pg14.17.sql.gz\0"s, false, "invalid"},
      {"b\xc3\xa4"
       "ckup.sql.gz",
       false, "invalid"},
      {"\xef\xbc\x95.sql", false, "invalid"},
      {".sql", false, "invalid"},
      {".sql.gz", false, "invalid"},
      {"", false, "invalid"},
      {".", false, "invalid"},
      {"..", false, "invalid"},
      {" x.sql", false, "invalid"},
      {"x.SQL", false, "invalid"},
      {"..sql", true, "other"},  // a plain file name in the folder, not a way out of it
  };
  for (const NameCase& c : cases) {
    EXPECT_EQ(IsValidBackupName(c.name), c.valid) << "name \"" << c.name << "\"";
    EXPECT_STREQ(BackupKindName(ClassifyBackupName(c.name)), c.kind) << "name \"" << c.name << "\"";
  }
}

TEST(BadBackupName, FourKilobyteNameFollowsTheRegexWithoutALengthLimit) {
  const std::string long_name = std::string(4096, 'a') + ".sql";
  EXPECT_TRUE(IsValidBackupName(long_name));  // no file system holds it (NAME_MAX is 255)
  const std::string version(4096, '1');
  const std::string routine = "immich-db-backup-20250729T114018-v" + version + "-pg14.sql.gz";
  EXPECT_STREQ(BackupKindName(ClassifyBackupName(routine)), "routine");
  EXPECT_EQ(BackupVersion(routine), version);
}

// Immich's routine pattern uses `.*`, which admits '/': such a name never comes from readdir,
// so only callers that take names from users must (and do) check IsValidBackupName first.
TEST(BadBackupName, RoutinePatternAdmitsSlashesButValidityDoesNot) {
  const std::string name = "immich-db-backup-20250729T114018-v1/../../etc-pg14.sql.gz";
  EXPECT_TRUE(IsRoutineBackupName(name));
  EXPECT_FALSE(IsValidBackupName(name));
  EXPECT_EQ(BackupVersion(name), "1/../../etc");
  EXPECT_TRUE(IsFailedBackupName("immich-db-backup-/../x.sql.gz.tmp"));
}

TEST(BadBackupName, FormatRefusesVersionsThatWouldBreakTheName) {
  const CivilTime at{2025, 7, 29, 11, 40, 18};
  const std::string kNotAllowed =
      "immich version contains a character not allowed in a backup name";
  EXPECT_EQ(FormatBackupName(at, "../x", "16").error().message, kNotAllowed);
  EXPECT_EQ(FormatBackupName(at, "2.5\0"s, "16").error().message, kNotAllowed);
  EXPECT_EQ(FormatBackupName(at, "2.5.0\n", "16").error().message, kNotAllowed);
  EXPECT_EQ(FormatBackupName(at, "v", "16").error().message, "immich version is empty");
  EXPECT_EQ(FormatBackupName(at, "2.5.0", " \t").error().message, "server version is empty");
  EXPECT_EQ(FormatBackupName(at, "2.5.0", "16/../x").error().message,
            "server version contains a character not allowed in a backup name");
  EXPECT_EQ(FormatBackupName({10000, 1, 1, 0, 0, 0}, "2.5.0", "16").error().message,
            "invalid backup time 10000-01-01 00:00:00");
  EXPECT_EQ(FormatBackupName({2025, 2, 29, 0, 0, 0}, "2.5.0", "16").error().message,
            "invalid backup time 2025-02-29 00:00:00");
}

TEST(BadBackupName, KeepCountsBelowOneAreRefusedAndTheLargestKeepsAll) {
  EXPECT_EQ(PlanRetention({}, 0).error().message,
            "keepLastAmount must be a positive integer, got 0");
  EXPECT_EQ(PlanRetention({}, INT_MIN).error().message,
            "keepLastAmount must be a positive integer, got -2147483648");
  EXPECT_EQ(PlanRetention({}, -1).error().code, ErrorCode::kInvalidKeepCount);
  const auto plan = PlanRetention({"immich-db-backup-1.sql.gz", "immich-db-backup-2.sql.gz",
                                   "../x.sql", "immich-db-backup-x.sql.gz.tmp"},
                                  INT_MAX);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan.value().size(), 4u);
  EXPECT_TRUE(plan.value()[0].keep && plan.value()[1].keep && plan.value()[2].keep);
  EXPECT_FALSE(plan.value()[3].keep);
  EXPECT_EQ(plan.value()[2].reason, "not a backup name: never counted by retention");
}

// ---- job names ----

TEST(BadJobName, OnlyTheExactCaseSensitiveNameIsFound) {
  EXPECT_NE(FindJob("DatabaseBackup"), nullptr);
  for (const std::string& name :
       {""s, "databasebackup"s, " DatabaseBackup"s, "DatabaseBackup "s, "DatabaseBackup\0"s,
        "Database\0Backup"s, "x'; DROP TABLE y; --"s, std::string(4096, 'J'),
        "DatabaseB\xc3\xa4"
        "ckup"s,
        "DatabaseBackup\n"s}) {
    EXPECT_EQ(FindJob(name), nullptr) << "found \"" << name << "\"";
  }
}

}  // namespace
}  // namespace immich_maint::core
