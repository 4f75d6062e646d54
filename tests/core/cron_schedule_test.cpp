// Pins which schedules are accepted and what they mean (shared/reference/cron.md), and the
// exact refusal for each input pg_cron would silently misread.
#include "core/cron_schedule.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace immich_maint::core {
namespace {

constexpr char kHint[] = "Use cron format (e.g. 5 4 * * *), or interval format '[1-59] seconds'";

CronSchedule Parsed(const std::string& input) {
  const Result<CronSchedule> result = ParseCronSchedule(input);
  EXPECT_TRUE(result.ok()) << "input \"" << input
                           << "\" refused: " << (result.ok() ? "" : result.error().detail);
  return result.ok() ? result.value() : CronSchedule{};
}

Error Refused(const std::string& input) {
  const Result<CronSchedule> result = ParseCronSchedule(input);
  EXPECT_FALSE(result.ok()) << "input \"" << input << "\" was accepted";
  return result.ok() ? Error{} : result.error();
}

// The values set in a bitset, as a readable list for failure messages.
template <std::size_t N>
std::vector<int> Values(const std::bitset<N>& bits) {
  std::vector<int> values;
  for (std::size_t i = 0; i < N; ++i) {
    if (bits[i]) values.push_back(static_cast<int>(i));
  }
  return values;
}

std::vector<int> Span(int low, int high, int step = 1) {
  std::vector<int> values;
  for (int v = low; v <= high; v += step) values.push_back(v);
  return values;
}

// ---- accepted ----

TEST(CronSchedule, AcceptsPgCronRegressionCases) {
  for (const char* input : {"* * * * *", "0 10 * * *", "@restart", "0 11 * * *", "1 second",
                            " 30 sEcOnDs ", "59 seconds", "17  seconds ", "0 11 $ * *"}) {
    EXPECT_TRUE(ParseCronSchedule(input).ok()) << input;
  }
}

TEST(CronSchedule, ParsesPlainFieldsIntoBitsets) {
  const CronSchedule schedule = Parsed("5 4 * * *");
  EXPECT_EQ(schedule.kind, ScheduleKind::kCron);
  EXPECT_EQ(schedule.keyword, CronKeyword::kNone);
  EXPECT_EQ(Values(schedule.minutes), std::vector<int>{5});
  EXPECT_EQ(Values(schedule.hours), std::vector<int>{4});
  EXPECT_EQ(Values(schedule.days_of_month), Span(1, 31));
  EXPECT_EQ(Values(schedule.months), Span(1, 12));
  EXPECT_EQ(Values(schedule.days_of_week), Span(0, 6));
  EXPECT_FALSE(schedule.minute_star);
  EXPECT_FALSE(schedule.hour_star);
  EXPECT_TRUE(schedule.dom_star);
  EXPECT_TRUE(schedule.dow_star);
  EXPECT_FALSE(schedule.last_day_of_month);
}

TEST(CronSchedule, AcceptsLeadingZeros) {
  const CronSchedule schedule = Parsed("02 007 01 009 0");
  EXPECT_EQ(Values(schedule.minutes), std::vector<int>{2});
  EXPECT_EQ(Values(schedule.hours), std::vector<int>{7});
  EXPECT_EQ(Values(schedule.days_of_month), std::vector<int>{1});
  EXPECT_EQ(Values(schedule.months), std::vector<int>{9});
}

TEST(CronSchedule, SeparatesFieldsBySpacesOrTabsAndSkipsLeadingBlanks) {
  const CronSchedule schedule = Parsed(" \t 5\t\t4  *\t* *  ");
  EXPECT_EQ(Values(schedule.minutes), std::vector<int>{5});
  EXPECT_EQ(Values(schedule.hours), std::vector<int>{4});
}

TEST(CronSchedule, ExpandsListsRangesAndSteps) {
  const CronSchedule schedule = Parsed("1,5-7,*/20 1-10/3 */10 2-12/5 1-5");
  EXPECT_EQ(Values(schedule.minutes), (std::vector<int>{0, 1, 5, 6, 7, 20, 40}));
  EXPECT_EQ(Values(schedule.hours), (std::vector<int>{1, 4, 7, 10}));
  EXPECT_EQ(Values(schedule.days_of_month), (std::vector<int>{1, 11, 21, 31}));
  EXPECT_EQ(Values(schedule.months), (std::vector<int>{2, 7, 12}));
  EXPECT_EQ(Values(schedule.days_of_week), Span(1, 5));
}

TEST(CronSchedule, AllowsStepsUpToEachFieldsMaximum) {
  const CronSchedule schedule = Parsed("*/59 */23 */31 */12 */7");
  EXPECT_EQ(Values(schedule.minutes), (std::vector<int>{0, 59}));
  EXPECT_EQ(Values(schedule.hours), (std::vector<int>{0, 23}));
  EXPECT_EQ(Values(schedule.days_of_month), std::vector<int>{1});
  EXPECT_EQ(Values(schedule.months), std::vector<int>{1});
  EXPECT_EQ(Values(schedule.days_of_week), std::vector<int>{0});  // 0 and 7: both Sunday
}

TEST(CronSchedule, ReadsMonthAndDayNamesInAnyCase) {
  const CronSchedule schedule = Parsed("0 0 * JAN-MAR/2,dEc mon-FRI,Sun");
  EXPECT_EQ(Values(schedule.months), (std::vector<int>{1, 3, 12}));
  EXPECT_EQ(Values(schedule.days_of_week), Span(0, 5));
  EXPECT_EQ(Values(Parsed("0 0 * * sat-7").days_of_week), (std::vector<int>{0, 6}));
}

TEST(CronSchedule, TreatsDayOfWeekSevenAsSunday) {
  EXPECT_EQ(Values(Parsed("0 0 * * 7").days_of_week), std::vector<int>{0});
  EXPECT_EQ(Values(Parsed("0 0 * * 5-7").days_of_week), (std::vector<int>{0, 5, 6}));
  EXPECT_EQ(Values(Parsed("0 0 * * 0-7").days_of_week), Span(0, 6));
}

TEST(CronSchedule, RecordsStarFlagsForTheVixieDayRule) {
  const CronSchedule either = Parsed("0 0 1-7 * 0");
  EXPECT_FALSE(either.dom_star);
  EXPECT_FALSE(either.dow_star);
  const CronSchedule both = Parsed("0 0 */2 * 1");
  EXPECT_TRUE(both.dom_star);
  EXPECT_FALSE(both.dow_star);
  EXPECT_EQ(Values(both.days_of_month), Span(1, 31, 2));
  EXPECT_TRUE(Parsed("*/15 * * * *").minute_star);
  EXPECT_TRUE(Parsed("0 */2 * * *").hour_star);
}

TEST(CronSchedule, ReadsDollarAsLastDayOfMonthRestriction) {
  const CronSchedule last_day = Parsed("0 11 $ * *");
  EXPECT_TRUE(last_day.last_day_of_month);
  EXPECT_FALSE(last_day.dom_star);
  EXPECT_TRUE(last_day.days_of_month.none());
  const CronSchedule or_monday = Parsed("0 0 $ * 1");
  EXPECT_TRUE(or_monday.last_day_of_month);
  EXPECT_FALSE(or_monday.dom_star);
  EXPECT_FALSE(or_monday.dow_star);
  EXPECT_EQ(Values(or_monday.days_of_week), std::vector<int>{1});
}

TEST(CronSchedule, ExpandsKeywordsToTheirFiveFields) {
  struct Case {
    const char* keyword;
    const char* fields;
    CronKeyword kind;
  };
  const Case cases[] = {
      {"@yearly", "0 0 1 1 *", CronKeyword::kYearly},
      {"@annually", "0 0 1 1 *", CronKeyword::kYearly},
      {"@monthly", "0 0 1 * *", CronKeyword::kMonthly},
      {"@weekly", "0 0 * * 0", CronKeyword::kWeekly},
      {"@daily", "0 0 * * *", CronKeyword::kDaily},
      {"@midnight", "0 0 * * *", CronKeyword::kDaily},
      {"@hourly", "0 * * * *", CronKeyword::kHourly},
  };
  for (const Case& c : cases) {
    const CronSchedule keyword = Parsed(c.keyword);
    const CronSchedule fields = Parsed(c.fields);
    EXPECT_EQ(keyword.kind, ScheduleKind::kCron) << c.keyword;
    EXPECT_EQ(keyword.keyword, c.kind) << c.keyword;
    EXPECT_EQ(keyword.minutes, fields.minutes) << c.keyword;
    EXPECT_EQ(keyword.hours, fields.hours) << c.keyword;
    EXPECT_EQ(keyword.days_of_month, fields.days_of_month) << c.keyword;
    EXPECT_EQ(keyword.months, fields.months) << c.keyword;
    EXPECT_EQ(keyword.days_of_week, fields.days_of_week) << c.keyword;
    EXPECT_EQ(keyword.hour_star, fields.hour_star) << c.keyword;
    EXPECT_EQ(keyword.dom_star, fields.dom_star) << c.keyword;
    EXPECT_EQ(keyword.dow_star, fields.dow_star) << c.keyword;
  }
}

TEST(CronSchedule, ReadsRebootAndRestartAsStartupSchedules) {
  for (const char* input : {"@reboot", "@restart", "  @reboot  "}) {
    const CronSchedule schedule = Parsed(input);
    EXPECT_EQ(schedule.kind, ScheduleKind::kReboot) << input;
    EXPECT_EQ(schedule.keyword, CronKeyword::kReboot) << input;
  }
}

TEST(CronSchedule, ReadsIntervalsInAnyCaseWithOptionalBlanks) {
  struct Case {
    const char* input;
    int seconds;
  };
  for (const Case& c : {Case{"1 second", 1}, Case{" 30 sEcOnDs ", 30}, Case{"30seconds", 30},
                        Case{"59 seconds", 59}, Case{"17  seconds ", 17}, Case{"05 SECOND", 5},
                        Case{"\t9\tseconds", 9}}) {
    const CronSchedule schedule = Parsed(c.input);
    EXPECT_EQ(schedule.kind, ScheduleKind::kInterval) << c.input;
    EXPECT_EQ(schedule.interval_seconds, c.seconds) << c.input;
  }
}

TEST(CronSchedule, AcceptsInputJustUnder1000Bytes) {
  const std::string input = std::string(999 - 9, ' ') + "* * * * *";
  ASSERT_EQ(input.size(), 999u);
  EXPECT_TRUE(ParseCronSchedule(input).ok());
}

TEST(CronSchedule, AcceptsImpossibleDayWhenDayOfWeekAlsoRestricts) {
  // Both day fields restricted: 31 February OR any Monday in February, which does exist.
  EXPECT_TRUE(ParseCronSchedule("0 0 31 2 1").ok());
  EXPECT_TRUE(ParseCronSchedule("0 0 29 2 *").ok());
  EXPECT_TRUE(ParseCronSchedule("0 0 30,31 2,4 *").ok());  // 30 April exists
  EXPECT_TRUE(ParseCronSchedule("0 0 $ 2 *").ok());
}

// ---- refused ----

TEST(CronSchedule, RefusesPgCronRegressionCases) {
  const std::vector<std::string> inputs = {
      std::string(1000, 'x'),
      "* * * *",
      "5 secondc",
      "50 seconds c",
      "*/0 10 * * *",
      "-1 * * * *",
      "*/-1 10 * * *",
      "*/60 10 * * *",
      "* * * 13 *",
      "* * * 0 *",
      "*/5000000000 10 * * *",
      "-1 seconds",
      "0 seconds",
      "60 seconds",
      "10000000000 seconds",
      "@restar",
      "0 11 $foo * *",
  };
  for (const std::string& input : inputs) {
    const Error error = Refused(input);
    EXPECT_EQ(error.code, ErrorCode::kInvalidSchedule) << input;
    EXPECT_EQ(error.message, "invalid schedule: " + input);
    EXPECT_EQ(error.hint, kHint) << input;
    EXPECT_FALSE(error.detail.empty()) << input;
  }
}

TEST(CronSchedule, RefusalCarriesSqlstate22023) {
  EXPECT_STREQ(Describe(Refused("* * * *").code).sqlstate, "22023");
}

TEST(CronSchedule, RefusesTrailingJunkNamingFieldAndJunk) {
  EXPECT_EQ(Refused("1.5 * * * *").detail, "Field \"minute\" has trailing junk \".5\" in \"1.5\".");
  EXPECT_EQ(Refused("5! * * * *").detail, "Field \"minute\" has trailing junk \"!\" in \"5!\".");
  EXPECT_EQ(Refused("0 0 * * 1#2").detail,
            "Field \"day of week\" has trailing junk \"#2\" in \"1#2\".");
  EXPECT_EQ(Refused("0 0 * * 1L").detail,
            "Field \"day of week\" has trailing junk \"L\" in \"1L\".");
  EXPECT_EQ(Refused("0 3x,4 * * *").detail, "Field \"hour\" has trailing junk \"x\" in \"3x,4\".");
  EXPECT_EQ(Refused("*x * * * *").detail, "Field \"minute\" has trailing junk \"x\" in \"*x\".");
  EXPECT_EQ(Refused("1.5 * * * *").hint, kHint);
}

TEST(CronSchedule, RefusesSixFieldsWithSecondsHint) {
  for (const char* input : {"0 0 2 * * *", "0 0 1 * * 2020"}) {
    const Error error = Refused(input);
    EXPECT_EQ(error.message, std::string("invalid schedule: ") + input);
    EXPECT_EQ(error.detail,
              "The schedule has 6 fields; expected 5 (minute, hour, day of month, month, day of "
              "week).");
    EXPECT_EQ(error.hint,
              "6-field expressions with seconds are not supported. Use cron format (e.g. 5 4 * * "
              "*), or interval format '[1-59] seconds'");
  }
}

TEST(CronSchedule, RefusesWrongFieldCounts) {
  EXPECT_EQ(Refused("* * * *").detail,
            "The schedule has 4 fields; expected 5 (minute, hour, day of month, month, day of "
            "week).");
  EXPECT_EQ(Refused("5").detail,
            "The schedule has 1 field; expected 5 (minute, hour, day of month, month, day of "
            "week).");
  EXPECT_EQ(Refused("* * * * * * *").hint, kHint);
}

TEST(CronSchedule, RefusesReversedRanges) {
  EXPECT_EQ(Refused("5-1 * * * *").detail, "Range 5-1 in field \"minute\" is reversed.");
  EXPECT_EQ(Refused("50-10 * * * *").detail, "Range 50-10 in field \"minute\" is reversed.");
  EXPECT_EQ(Refused("0 0 * * mon-sun").detail,
            "Range mon-sun in field \"day of week\" is reversed.");
  EXPECT_EQ(Refused("0 0 * dec-jan *").detail, "Range dec-jan in field \"month\" is reversed.");
  EXPECT_EQ(Refused("0 0 20-10/2 * *").detail,
            "Range 20-10 in field \"day of month\" is reversed.");
}

TEST(CronSchedule, RefusesDatesThatNeverExist) {
  EXPECT_EQ(Refused("0 0 31 2 *").detail,
            "The schedule never fires: day 31 does not exist in February.");
  EXPECT_EQ(Refused("0 0 30 2 *").detail,
            "The schedule never fires: day 30 does not exist in February.");
  EXPECT_EQ(Refused("0 0 30,31 feb *").detail,
            "The schedule never fires: days 30 or 31 do not exist in February.");
  EXPECT_EQ(Refused("0 0 31 2,4,6 *").detail,
            "The schedule never fires: day 31 does not exist in February, April or June.");
  // A starred day of week still leaves the day of month deciding alone (Vixie rule).
  EXPECT_EQ(Refused("0 0 31 11 */2").detail,
            "The schedule never fires: day 31 does not exist in November.");
  EXPECT_EQ(Refused("0 0 31 2 *").hint, kHint);
}

TEST(CronSchedule, RefusesOutOfRangeValues) {
  EXPECT_EQ(Refused("60 * * * *").detail,
            "Field \"minute\" value 60 is out of range 0-59 in \"60\".");
  EXPECT_EQ(Refused("* 24 * * *").detail,
            "Field \"hour\" value 24 is out of range 0-23 in \"24\".");
  EXPECT_EQ(Refused("* * 0 * *").detail,
            "Field \"day of month\" value 0 is out of range 1-31 in \"0\".");
  EXPECT_EQ(Refused("* * 32 * *").detail,
            "Field \"day of month\" value 32 is out of range 1-31 in \"32\".");
  EXPECT_EQ(Refused("* * * 13 *").detail,
            "Field \"month\" value 13 is out of range 1-12 in \"13\".");
  EXPECT_EQ(Refused("* * * 0 *").detail, "Field \"month\" value 0 is out of range 1-12 in \"0\".");
  EXPECT_EQ(Refused("* * * * 8").detail,
            "Field \"day of week\" value 8 is out of range 0-7 in \"8\".");
  EXPECT_EQ(Refused("1-99999999999 * * * *").detail,
            "Field \"minute\" value 99999999999 is out of range 0-59 in \"1-99999999999\".");
}

TEST(CronSchedule, RefusesStepsOutOfRangeOrMalformed) {
  EXPECT_EQ(Refused("*/0 10 * * *").detail,
            "Field \"minute\" step 0 is out of range 1-59 in \"*/0\".");
  EXPECT_EQ(Refused("*/60 10 * * *").detail,
            "Field \"minute\" step 60 is out of range 1-59 in \"*/60\".");
  EXPECT_EQ(Refused("*/5000000000 10 * * *").detail,
            "Field \"minute\" step 5000000000 is out of range 1-59 in \"*/5000000000\".");
  EXPECT_EQ(Refused("0 */24 * * *").detail,
            "Field \"hour\" step 24 is out of range 1-23 in \"*/24\".");
  EXPECT_EQ(Refused("0 0 * * */8").detail,
            "Field \"day of week\" step 8 is out of range 1-7 in \"*/8\".");
  EXPECT_EQ(Refused("*/-1 10 * * *").detail,
            "Field \"minute\" expects a step number after \"/\" at \"*/-1\" in \"*/-1\".");
  EXPECT_EQ(Refused("*/ * * * *").detail,
            "Field \"minute\" expects a step number after \"/\" at \"*/\" in \"*/\".");
}

TEST(CronSchedule, RefusesStepOnSingleValue) {
  EXPECT_EQ(Refused("5/10 * * * *").detail,
            "Field \"minute\" has a step on the single value 5 in \"5/10\"; steps need a range, "
            "such as 5-59/10 or */10.");
  EXPECT_EQ(Refused("0 0 * 2/3 *").detail,
            "Field \"month\" has a step on the single value 2 in \"2/3\"; steps need a range, "
            "such as 2-12/3 or */3.");
}

TEST(CronSchedule, RefusesNamesAsSteps) {
  EXPECT_EQ(Refused("0 0 * * */mon").detail,
            "Field \"day of week\" has a name as a step in \"*/mon\"; steps are numbers.");
  EXPECT_EQ(Refused("0 0 * jan-dec/feb *").detail,
            "Field \"month\" has a name as a step in \"jan-dec/feb\"; steps are numbers.");
}

TEST(CronSchedule, RefusesNamesOutsideTheirFieldsAndUnknownNames) {
  EXPECT_EQ(Refused("jan * * * *").detail,
            "Field \"minute\" expects a number at \"jan\" in \"jan\".");
  EXPECT_EQ(Refused("0 0 * mon *").detail,
            "Field \"month\" has an unknown name \"mon\" in \"mon\"; names are jan to dec.");
  EXPECT_EQ(Refused("0 0 * * monday").detail,
            "Field \"day of week\" has an unknown name \"monday\" in \"monday\"; names are sun "
            "to sat.");
}

TEST(CronSchedule, RefusesMissingValues) {
  EXPECT_EQ(Refused("-1 * * * *").detail, "Field \"minute\" expects a number at \"-1\" in \"-1\".");
  EXPECT_EQ(Refused("1- * * * *").detail,
            "Field \"minute\" is missing a number after \"-\" in \"1-\".");
  EXPECT_EQ(Refused("0 0 * jan- *").detail,
            "Field \"month\" is missing a number or a name after \"-\" in \"jan-\".");
  EXPECT_EQ(Refused("1,,2 * * * *").detail, "Field \"minute\" has an empty list item in \"1,,2\".");
  EXPECT_EQ(Refused("1, * * * *").detail, "Field \"minute\" has an empty list item in \"1,\".");
  EXPECT_EQ(Refused("$ * * * *").detail, "Field \"minute\" expects a number at \"$\" in \"$\".");
}

TEST(CronSchedule, RefusesDollarUnlessItIsTheWholeDayOfMonthField) {
  EXPECT_EQ(Refused("0 11 $foo * *").detail,
            "Field \"day of month\" has trailing junk \"foo\" in \"$foo\"; \"$\" (the last day) "
            "stands alone.");
  EXPECT_EQ(Refused("0 11 $,1 * *").detail,
            "Field \"day of month\" has trailing junk \",1\" in \"$,1\"; \"$\" (the last day) "
            "stands alone.");
  EXPECT_EQ(Refused("0 11 1,$ * *").detail,
            "Field \"day of month\" expects a number at \"$\" in \"1,$\".");
}

TEST(CronSchedule, RefusesUnknownUpperCaseOrFollowedKeywords) {
  EXPECT_EQ(Refused("@restar").detail,
            "Unknown keyword \"@restar\"; expected @yearly, @annually, @monthly, @weekly, "
            "@daily, @midnight, @hourly, @reboot or @restart.");
  EXPECT_EQ(Refused("@DAILY").detail, "The keyword \"@DAILY\" must be written in lower case.");
  EXPECT_EQ(Refused("@daily 5").detail,
            "The keyword \"@daily\" stands alone, but \"5\" follows it.");
  EXPECT_EQ(Refused("@").hint, kHint);
}

TEST(CronSchedule, RefusesIntervalsOutOfRangeOrMalformed) {
  EXPECT_EQ(Refused("0 seconds").detail,
            "The interval 0 seconds is out of range; use 1 to 59 seconds.");
  EXPECT_EQ(Refused("60 seconds").detail,
            "The interval 60 seconds is out of range; use 1 to 59 seconds.");
  EXPECT_EQ(Refused("10000000000 seconds").detail,
            "The interval 10000000000 seconds is out of range; use 1 to 59 seconds.");
  EXPECT_EQ(Refused("-1 seconds").detail,
            "The interval must start with a number of seconds, not \"-1 seconds\".");
  EXPECT_EQ(Refused("5 secondc").detail,
            "The interval unit \"secondc\" is not \"second\" or \"seconds\".");
  EXPECT_EQ(Refused("50 seconds c").detail,
            "The interval has trailing junk \"c\" in \"50 seconds c\".");
  EXPECT_EQ(Refused("1.5 seconds").detail,
            "The interval must be a whole number followed by \"seconds\", not \"1.5 seconds\".");
}

TEST(CronSchedule, RefusesInputOf1000BytesOrMore) {
  const std::string input = std::string(1000 - 9, ' ') + "* * * * *";
  const Error error = Refused(input);
  EXPECT_EQ(error.detail, "The schedule is 1000 bytes long; it must be shorter than 1000.");
  EXPECT_EQ(error.message, "invalid schedule: " + input);
}

TEST(CronSchedule, RefusesEmptyInput) {
  EXPECT_EQ(Refused("").detail, "The schedule is empty.");
  EXPECT_EQ(Refused(" \t ").detail, "The schedule is empty.");
  EXPECT_EQ(Refused(" \t ").message, "invalid schedule:  \t ");
}

}  // namespace
}  // namespace immich_maint::core
