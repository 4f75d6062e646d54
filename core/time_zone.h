// Wall-clock (civil) time and the TimeZone interface that maps it to absolute instants.
// Core computes fire times against this interface so it needs no tz library: tz/ implements it
// with the system tz database, and FixedOffsetTimeZone below serves tests and UTC defaults.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace immich_maint::core {

// Seconds since the Unix epoch (C++20's std::chrono::sys_seconds).
using Instant = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

// A wall-clock reading: proleptic Gregorian date and time of day, in no particular zone.
struct CivilTime {
  int year = 1970;
  int month = 1;   // 1-12
  int day = 1;     // 1-31
  int hour = 0;    // 0-23
  int minute = 0;  // 0-59
  int second = 0;  // 0-59
};

bool operator==(const CivilTime& a, const CivilTime& b);
bool operator!=(const CivilTime& a, const CivilTime& b);
bool operator<(const CivilTime& a, const CivilTime& b);

// Calendar arithmetic, so callers never need a tz library for plain dates.
bool IsLeapYear(int year);
int DaysInMonth(int year, int month);
std::int64_t DaysFromCivil(int year, int month, int day);  // days since 1970-01-01
CivilTime CivilFromDays(std::int64_t days);                // midnight of that day
int Weekday(int year, int month, int day);                 // 0 = Sunday ... 6 = Saturday
// A reading as seconds since 1970-01-01 00:00:00 on the same calendar, and back.
std::int64_t SecondsFromCivil(const CivilTime& civil);
CivilTime CivilFromSeconds(std::int64_t seconds);

// How a wall-clock reading relates to real time on the day of an offset change.
enum class LocalTimeKind {
  kUnique,    // happens exactly once
  kSkipped,   // in a spring-forward gap: never happens
  kRepeated,  // in a fall-back overlap: happens twice
};

struct LocalTimeLookup {
  LocalTimeKind kind = LocalTimeKind::kUnique;
  Instant first;       // unique: the instant; repeated: the earlier one; skipped: == transition
  Instant second;      // unique: == first; repeated: the later one; skipped: == transition
  Instant transition;  // skipped, repeated: when the offset changed; unique: == first
};

// Civil <-> absolute conversion for one zone. Implementations are immutable and thread-safe.
class TimeZone {
 public:
  virtual ~TimeZone() = default;
  virtual std::string Name() const = 0;
  virtual LocalTimeLookup Lookup(const CivilTime& local) const = 0;
  virtual CivilTime ToCivil(Instant instant) const = 0;
};

// A zone with one offset forever, such as UTC or GMT: every local time is unique.
class FixedOffsetTimeZone final : public TimeZone {
 public:
  explicit FixedOffsetTimeZone(std::string name = "UTC",
                               std::chrono::seconds utc_offset = std::chrono::seconds(0));

  std::string Name() const override { return name_; }
  LocalTimeLookup Lookup(const CivilTime& local) const override;
  CivilTime ToCivil(Instant instant) const override;

 private:
  std::string name_;
  std::chrono::seconds utc_offset_;
};

}  // namespace immich_maint::core
