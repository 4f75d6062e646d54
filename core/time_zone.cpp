// Calendar arithmetic on the proleptic Gregorian calendar, and the fixed-offset zone.
// Day numbers count from 1970-01-01 so they line up with Instant's epoch.
#include "core/time_zone.h"

#include <tuple>
#include <utility>

namespace immich_maint::core {
namespace {

constexpr std::int64_t kSecondsPerDay = 86400;
// Days in one 400-year Gregorian cycle, and from 0000-03-01 to 1970-01-01.
constexpr std::int64_t kDaysPerEra = 146097;
constexpr std::int64_t kEpochShift = 719468;

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return (a / b) - ((a % b) < 0 ? 1 : 0); }

auto Fields(const CivilTime& t) {
  return std::tie(t.year, t.month, t.day, t.hour, t.minute, t.second);
}

}  // namespace

bool operator==(const CivilTime& a, const CivilTime& b) { return Fields(a) == Fields(b); }
bool operator!=(const CivilTime& a, const CivilTime& b) { return !(a == b); }
bool operator<(const CivilTime& a, const CivilTime& b) { return Fields(a) < Fields(b); }

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[month - 1];
}

// Years are counted from March so the leap day falls at the end of a year, which makes the
// day-of-year a closed formula (153 days per 5 months from March).
std::int64_t DaysFromCivil(int year, int month, int day) {
  const std::int64_t march_year = year - (month <= 2 ? 1 : 0);
  const std::int64_t era = FloorDiv(march_year, 400);
  const std::int64_t year_of_era = march_year - era * 400;
  const std::int64_t month_from_march = (month + 9) % 12;
  const std::int64_t day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
  const std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * kDaysPerEra + day_of_era - kEpochShift;
}

CivilTime CivilFromDays(std::int64_t days) {
  const std::int64_t shifted = days + kEpochShift;
  const std::int64_t era = FloorDiv(shifted, kDaysPerEra);
  const std::int64_t day_of_era = shifted - era * kDaysPerEra;
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t month_from_march = (5 * day_of_year + 2) / 153;
  CivilTime civil;
  civil.day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  civil.month =
      static_cast<int>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  civil.year = static_cast<int>(year_of_era + era * 400 + (civil.month <= 2 ? 1 : 0));
  return civil;
}

std::int64_t SecondsFromCivil(const CivilTime& civil) {
  const std::int64_t time_of_day =
      std::int64_t{civil.hour} * 3600 + civil.minute * 60 + civil.second;
  return DaysFromCivil(civil.year, civil.month, civil.day) * kSecondsPerDay + time_of_day;
}

CivilTime CivilFromSeconds(std::int64_t seconds) {
  const std::int64_t days = FloorDiv(seconds, kSecondsPerDay);
  const std::int64_t second_of_day = seconds - days * kSecondsPerDay;
  CivilTime civil = CivilFromDays(days);
  civil.hour = static_cast<int>(second_of_day / 3600);
  civil.minute = static_cast<int>(second_of_day / 60 % 60);
  civil.second = static_cast<int>(second_of_day % 60);
  return civil;
}

int Weekday(int year, int month, int day) {
  // 1970-01-01 was a Thursday.
  const std::int64_t days = DaysFromCivil(year, month, day);
  return static_cast<int>(((days % 7) + 7 + 4) % 7);
}

FixedOffsetTimeZone::FixedOffsetTimeZone(std::string name, std::chrono::seconds utc_offset)
    : name_(std::move(name)), utc_offset_(utc_offset) {}

LocalTimeLookup FixedOffsetTimeZone::Lookup(const CivilTime& local) const {
  const Instant instant{std::chrono::seconds(SecondsFromCivil(local)) - utc_offset_};
  return {LocalTimeKind::kUnique, instant, instant, instant};
}

CivilTime FixedOffsetTimeZone::ToCivil(Instant instant) const {
  return CivilFromSeconds((instant.time_since_epoch() + utc_offset_).count());
}

}  // namespace immich_maint::core
