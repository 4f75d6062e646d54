// Parser for pg_cron-compatible schedules: "N seconds" intervals, @keywords and five-field cron.
// Every refusal names the field and the offending text, so a user can fix the input in one go.
#include "core/cron_schedule.h"

#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/time_zone.h"

namespace immich_maint::core {
namespace {

constexpr std::size_t kMaxInputBytes = 1000;  // inputs must be shorter, as in pg_cron
constexpr char kHint[] = "Use cron format (e.g. 5 4 * * *), or interval format '[1-59] seconds'";
constexpr char kSixFieldHint[] =
    "6-field expressions with seconds are not supported. "
    "Use cron format (e.g. 5 4 * * *), or interval format '[1-59] seconds'";
constexpr char kFieldList[] = "minute, hour, day of month, month, day of week";
constexpr int kSaturated = 1000000;  // numbers stop growing here: no overflow, still out of range

Error Invalid(std::string_view input, std::string detail, std::string hint = kHint) {
  return MakeError(ErrorCode::kInvalidSchedule, "invalid schedule: " + std::string(input),
                   std::move(detail), std::move(hint));
}

std::string Quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool IsLetter(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

std::string_view TrimBlanks(std::string_view text) {
  while (!text.empty() && IsBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsBlank(text.back())) text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> SplitOnBlanks(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && IsBlank(text[pos])) ++pos;
    const std::size_t start = pos;
    while (pos < text.size() && !IsBlank(text[pos])) ++pos;
    if (pos > start) words.push_back(text.substr(start, pos - start));
  }
  return words;
}

// Length of the run of characters at the start of `text` that satisfy `predicate`.
template <typename Predicate>
std::size_t RunLength(std::string_view text, Predicate predicate) {
  std::size_t length = 0;
  while (length < text.size() && predicate(text[length])) ++length;
  return length;
}

// The value of a run of decimal digits, saturated so huge inputs stay out of range.
int DigitsValue(std::string_view digits) {
  int value = 0;
  for (char c : digits) value = value >= kSaturated ? kSaturated : value * 10 + (c - '0');
  return value;
}

// ---- intervals: "N second(s)" ----

// What is wrong after the number, if anything: only "second" or "seconds", in any case.
std::optional<std::string> IntervalUnitProblem(std::string_view text, std::string_view rest) {
  const std::string_view unit = rest.substr(0, RunLength(rest, IsLetter));
  if (unit.empty()) {
    return "The interval must be a whole number followed by \"seconds\", not " + Quoted(text) + ".";
  }
  if (Lower(unit) != "second" && Lower(unit) != "seconds") {
    return "The interval unit " + Quoted(unit) + " is not \"second\" or \"seconds\".";
  }
  if (unit.size() != rest.size()) {
    const std::string_view junk = TrimBlanks(rest.substr(unit.size()));
    return "The interval has trailing junk " + Quoted(junk) + " in " + Quoted(text) + ".";
  }
  return std::nullopt;
}

Result<CronSchedule> ParseInterval(std::string_view input, std::string_view text) {
  const std::string_view number = text.substr(0, RunLength(text, IsDigit));
  if (number.empty()) {
    return Invalid(input,
                   "The interval must start with a number of seconds, not " + Quoted(text) + ".");
  }
  if (auto problem = IntervalUnitProblem(text, TrimBlanks(text.substr(number.size())))) {
    return Invalid(input, std::move(*problem));
  }
  const int seconds = DigitsValue(number);
  if (seconds < 1 || seconds > 59) {
    return Invalid(input, "The interval " + std::string(number) +
                              " seconds is out of range; use 1 to 59 seconds.");
  }
  CronSchedule schedule;
  schedule.kind = ScheduleKind::kInterval;
  schedule.interval_seconds = seconds;
  return schedule;
}

// ---- @keywords ----

struct KeywordName {
  const char* text;
  CronKeyword keyword;
};

constexpr KeywordName kKeywords[] = {
    {"@yearly", CronKeyword::kYearly},   {"@annually", CronKeyword::kYearly},
    {"@monthly", CronKeyword::kMonthly}, {"@weekly", CronKeyword::kWeekly},
    {"@daily", CronKeyword::kDaily},     {"@midnight", CronKeyword::kDaily},
    {"@hourly", CronKeyword::kHourly},   {"@reboot", CronKeyword::kReboot},
    {"@restart", CronKeyword::kReboot},
};

std::optional<CronKeyword> FindKeyword(std::string_view word) {
  for (const KeywordName& entry : kKeywords) {
    if (word == entry.text) return entry.keyword;
  }
  return std::nullopt;
}

// The five-field meaning of a keyword: "0 * * * *" narrowed step by step.
CronSchedule ExpandKeyword(CronKeyword keyword) {
  CronSchedule schedule;
  schedule.keyword = keyword;
  if (keyword == CronKeyword::kReboot) {
    schedule.kind = ScheduleKind::kReboot;
    return schedule;
  }
  schedule.minutes.set(0);
  schedule.hours.set();
  schedule.days_of_month.set().reset(0);
  schedule.months.set().reset(0);
  schedule.days_of_week.set();
  schedule.hour_star = schedule.dom_star = schedule.dow_star = true;
  if (keyword == CronKeyword::kHourly) return schedule;
  schedule.hours.reset().set(0);
  schedule.hour_star = false;
  if (keyword == CronKeyword::kWeekly) {
    schedule.days_of_week.reset().set(0);
    schedule.dow_star = false;
  }
  if (keyword == CronKeyword::kMonthly || keyword == CronKeyword::kYearly) {
    schedule.days_of_month.reset().set(1);
    schedule.dom_star = false;
  }
  if (keyword == CronKeyword::kYearly) schedule.months.reset().set(1);
  return schedule;
}

Result<CronSchedule> ParseKeyword(std::string_view input, std::string_view text) {
  const std::vector<std::string_view> words = SplitOnBlanks(text);
  const std::optional<CronKeyword> keyword = FindKeyword(words[0]);
  if (!keyword && FindKeyword(Lower(words[0]))) {
    return Invalid(input, "The keyword " + Quoted(words[0]) + " must be written in lower case.");
  }
  if (!keyword) {
    return Invalid(input, "Unknown keyword " + Quoted(words[0]) +
                              "; expected @yearly, @annually, @monthly, @weekly, @daily, "
                              "@midnight, @hourly, @reboot or @restart.");
  }
  if (words.size() > 1) {
    return Invalid(input, "The keyword " + Quoted(words[0]) + " stands alone, but " +
                              Quoted(words[1]) + " follows it.");
  }
  return ExpandKeyword(*keyword);
}

// ---- five-field cron ----

using FieldBits = std::uint64_t;

struct FieldSpec {
  const char* name;  // as errors call it
  int min;           // value range; day of week allows 7 (Sunday again)
  int max;
  int max_step;              // cron.md: the field's maximum
  const char* const* names;  // three-letter names for values names_base..., or null
  int name_count;
  int names_base;
  const char* name_range;  // e.g. "jan to dec", for errors
};

constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

constexpr FieldSpec kFields[] = {
    {"minute", 0, 59, 59, nullptr, 0, 0, ""},
    {"hour", 0, 23, 23, nullptr, 0, 0, ""},
    {"day of month", 1, 31, 31, nullptr, 0, 0, ""},
    {"month", 1, 12, 12, kMonthNames, 12, 1, "jan to dec"},
    {"day of week", 0, 7, 7, kDayNames, 7, 0, "sun to sat"},
};
enum FieldIndex { kMinute, kHour, kDayOfMonth, kMonth, kDayOfWeek, kFieldCount };

// One field being parsed, and how to refuse it.
struct FieldContext {
  const FieldSpec& spec;
  std::string_view field;
  std::string_view input;

  std::string Prefix() const { return "Field \"" + std::string(spec.name) + "\" "; }
  Error Fail(const std::string& problem, const std::string& advice = "") const {
    const std::string in = " in " + Quoted(field);
    return Invalid(input, Prefix() + problem + in + (advice.empty() ? "." : "; " + advice + "."));
  }
};

struct Range {
  int low;
  int high;
  bool single;  // a lone value: "5", not "5-9" or "*"
};

Result<int> ParseNumber(const FieldContext& ctx, std::string_view rest, std::size_t& pos) {
  const std::string_view digits = rest.substr(0, RunLength(rest, IsDigit));
  pos += digits.size();
  const int value = DigitsValue(digits);
  if (value < ctx.spec.min || value > ctx.spec.max) {
    return ctx.Fail("value " + std::string(digits) + " is out of range " +
                    std::to_string(ctx.spec.min) + "-" + std::to_string(ctx.spec.max));
  }
  return value;
}

Result<int> ParseName(const FieldContext& ctx, std::string_view rest, std::size_t& pos) {
  const std::string_view word = rest.substr(0, RunLength(rest, IsLetter));
  pos += word.size();
  const std::string lower = Lower(word);
  for (int i = 0; i < ctx.spec.name_count; ++i) {
    if (lower == ctx.spec.names[i]) return ctx.spec.names_base + i;
  }
  return ctx.Fail("has an unknown name " + Quoted(word),
                  "names are " + std::string(ctx.spec.name_range));
}

Result<int> ParseValue(const FieldContext& ctx, std::string_view item, std::size_t& pos) {
  const std::string_view rest = item.substr(pos);
  if (!rest.empty() && IsDigit(rest[0])) return ParseNumber(ctx, rest, pos);
  if (!rest.empty() && IsLetter(rest[0]) && ctx.spec.names) return ParseName(ctx, rest, pos);
  const char* wanted = ctx.spec.names ? "a number or a name" : "a number";
  // Only a range's end can be empty: items are never empty.
  if (rest.empty()) return ctx.Fail("is missing " + std::string(wanted) + " after \"-\"");
  return ctx.Fail("expects " + std::string(wanted) + " at " + Quoted(rest));
}

Result<Range> ParseRange(const FieldContext& ctx, std::string_view item, std::size_t& pos) {
  if (item[0] == '*') {
    pos = 1;
    return Range{ctx.spec.min, ctx.spec.max, false};
  }
  const Result<int> low = ParseValue(ctx, item, pos);
  if (!low) return low.error();
  if (pos >= item.size() || item[pos] != '-') return Range{low.value(), low.value(), true};
  ++pos;
  const Result<int> high = ParseValue(ctx, item, pos);
  if (!high) return high.error();
  return Range{low.value(), high.value(), false};
}

Result<int> ParseStep(const FieldContext& ctx, std::string_view item, std::size_t& pos) {
  const std::string_view rest = item.substr(pos);
  if (!rest.empty() && IsLetter(rest[0])) {
    return ctx.Fail("has a name as a step", "steps are numbers");
  }
  if (rest.empty() || !IsDigit(rest[0])) {
    return ctx.Fail("expects a step number after \"/\" at " + Quoted(item));
  }
  const std::string_view digits = rest.substr(0, RunLength(rest, IsDigit));
  pos += digits.size();
  const int step = DigitsValue(digits);
  if (step < 1 || step > ctx.spec.max_step) {
    return ctx.Fail("step " + std::string(digits) + " is out of range 1-" +
                    std::to_string(ctx.spec.max_step));
  }
  return step;
}

// "5/10": pg_cron reads it as plain 5; say what was probably meant.
Error FailStepOnSingleValue(const FieldContext& ctx, std::string_view value,
                            std::string_view step) {
  const std::string range = std::string(value) + "-" + std::to_string(ctx.spec.max);
  return ctx.Fail(
      "has a step on the single value " + std::string(value),
      "steps need a range, such as " + range + std::string(step) + " or *" + std::string(step));
}

FieldBits RangeBits(int low, int high, int step) {
  FieldBits bits = 0;
  for (int value = low; value <= high; value += step) bits |= FieldBits{1} << value;
  return bits;
}

// item := range ["/" step]; range := "*" | value ["-" value]
Result<FieldBits> ParseItem(const FieldContext& ctx, std::string_view item) {
  std::size_t pos = 0;
  const Result<Range> range = ParseRange(ctx, item, pos);
  if (!range) return range.error();
  const std::string_view range_text = item.substr(0, pos);
  int step = 1;
  if (pos < item.size() && item[pos] == '/') {
    if (range.value().single) return FailStepOnSingleValue(ctx, range_text, item.substr(pos));
    const Result<int> parsed = ParseStep(ctx, item, ++pos);
    if (!parsed) return parsed.error();
    step = parsed.value();
  }
  if (pos < item.size()) return ctx.Fail("has trailing junk " + Quoted(item.substr(pos)));
  if (range.value().low > range.value().high) {
    return Invalid(ctx.input, "Range " + std::string(range_text) + " in field \"" + ctx.spec.name +
                                  "\" is reversed.");
  }
  return RangeBits(range.value().low, range.value().high, step);
}

// field := item ("," item)*
Result<FieldBits> ParseField(const FieldSpec& spec, std::string_view field,
                             std::string_view input) {
  const FieldContext ctx{spec, field, input};
  FieldBits bits = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = field.find(',', start);
    const std::string_view item = field.substr(start, comma - start);
    if (item.empty()) return ctx.Fail("has an empty list item");
    const Result<FieldBits> item_bits = ParseItem(ctx, item);
    if (!item_bits) return item_bits.error();
    bits |= item_bits.value();
    if (comma == std::string_view::npos) return bits;
    start = comma + 1;
  }
}

// `$` means the last day of the month, and only as the whole day-of-month field.
std::optional<Error> CheckLastDayField(std::string_view field, std::string_view input) {
  if (field == "$") return std::nullopt;
  return Invalid(input, "Field \"day of month\" has trailing junk " + Quoted(field.substr(1)) +
                            " in " + Quoted(field) + "; \"$\" (the last day) stands alone.");
}

std::string JoinWithOr(const std::vector<std::string>& words) {
  std::string text;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) text += i + 1 == words.size() ? " or " : ", ";
    text += words[i];
  }
  return text;
}

// With a star in the day-of-week field, the day-of-month days alone pick the dates; if none of
// them exists in any chosen month (31 February), pg_cron would accept a job that never runs.
std::optional<Error> CheckCanFire(const CronSchedule& schedule, std::string_view input) {
  if (!schedule.dow_star || schedule.dom_star || schedule.last_day_of_month) return std::nullopt;
  static const char* const kMonthFullNames[] = {"January",   "February", "March",    "April",
                                                "May",       "June",     "July",     "August",
                                                "September", "October",  "November", "December"};
  std::vector<std::string> days;
  std::vector<std::string> months;
  for (int month = 1; month <= 12; ++month) {
    if (!schedule.months[month]) continue;
    for (int day = 1; day <= 31; ++day) {
      if (schedule.days_of_month[day] && day <= DaysInMonth(2000, month)) return std::nullopt;
    }
    months.push_back(kMonthFullNames[month - 1]);
  }
  for (int day = 1; day <= 31; ++day) {
    if (schedule.days_of_month[day]) days.push_back(std::to_string(day));
  }
  const bool one_day = days.size() == 1;
  return Invalid(input, std::string("The schedule never fires: ") + (one_day ? "day " : "days ") +
                            JoinWithOr(days) + (one_day ? " does" : " do") + " not exist in " +
                            JoinWithOr(months) + ".");
}

void StoreFields(const FieldBits (&bits)[kFieldCount], CronSchedule& schedule) {
  schedule.minutes = std::bitset<60>(bits[kMinute]);
  schedule.hours = std::bitset<24>(bits[kHour]);
  schedule.days_of_month = std::bitset<32>(bits[kDayOfMonth]);
  schedule.months = std::bitset<13>(bits[kMonth]);
  // Day of week 7 is Sunday again: fold it onto 0.
  const FieldBits dow = bits[kDayOfWeek] | (bits[kDayOfWeek] >> 7);
  schedule.days_of_week = std::bitset<7>(dow & 0x7f);
}

Result<CronSchedule> ParseFields(std::string_view input,
                                 const std::vector<std::string_view>& fields) {
  CronSchedule schedule;
  FieldBits bits[kFieldCount] = {};
  for (int i = 0; i < kFieldCount; ++i) {
    if (i == kDayOfMonth && fields[i][0] == '$') {
      if (auto error = CheckLastDayField(fields[i], input)) return *error;
      schedule.last_day_of_month = true;
      continue;
    }
    const Result<FieldBits> field = ParseField(kFields[i], fields[i], input);
    if (!field) return field.error();
    bits[i] = field.value();
  }
  StoreFields(bits, schedule);
  schedule.minute_star = fields[kMinute][0] == '*';
  schedule.hour_star = fields[kHour][0] == '*';
  schedule.dom_star = fields[kDayOfMonth][0] == '*';
  schedule.dow_star = fields[kDayOfWeek][0] == '*';
  if (auto error = CheckCanFire(schedule, input)) return *error;
  return schedule;
}

Result<CronSchedule> ParseCron(std::string_view input, std::string_view text) {
  const std::vector<std::string_view> fields = SplitOnBlanks(text);
  if (fields.size() == kFieldCount) return ParseFields(input, fields);
  std::string detail = "The schedule has " + std::to_string(fields.size()) +
                       (fields.size() == 1 ? " field" : " fields") + "; expected 5 (" + kFieldList +
                       ").";
  return Invalid(input, std::move(detail), fields.size() == 6 ? kSixFieldHint : kHint);
}

// Intervals are the only inputs with a word in them besides month and day names.
bool LooksLikeInterval(std::string_view text) {
  return Lower(text).find("second") != std::string::npos;
}

}  // namespace

Result<CronSchedule> ParseCronSchedule(std::string_view input) {
  if (input.size() >= kMaxInputBytes) {
    return Invalid(input, "The schedule is " + std::to_string(input.size()) +
                              " bytes long; it must be shorter than " +
                              std::to_string(kMaxInputBytes) + ".");
  }
  const std::string_view text = TrimBlanks(input);
  if (text.empty()) return Invalid(input, "The schedule is empty.");
  if (text[0] == '@') return ParseKeyword(input, text);
  if (LooksLikeInterval(text)) return ParseInterval(input, text);
  return ParseCron(input, text);
}

}  // namespace immich_maint::core
