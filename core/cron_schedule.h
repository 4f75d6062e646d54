// Parses a pg_cron-compatible schedule (shared/reference/cron.md) into a CronSchedule value.
// Accepts what pg_cron accepts, with the same meaning, and refuses with kInvalidSchedule what
// pg_cron silently misreads (trailing junk, a sixth field, reversed ranges, impossible dates).
#pragma once

#include <bitset>
#include <string_view>

#include "core/error.h"

namespace immich_maint::core {

enum class ScheduleKind {
  kCron,      // five fields or an @keyword other than @reboot
  kInterval,  // "N seconds": N seconds after the previous start
  kReboot,    // @reboot, @restart: once, when the scheduler starts
};

// Which @keyword the input was, if any; aliases (@annually, @midnight, @restart) fold in.
enum class CronKeyword { kNone, kYearly, kMonthly, kWeekly, kDaily, kHourly, kReboot };

struct CronSchedule {
  ScheduleKind kind = ScheduleKind::kCron;
  CronKeyword keyword = CronKeyword::kNone;
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days_of_month;   // bits 1-31; bit 0 unused; empty when last_day_of_month
  std::bitset<13> months;          // bits 1-12; bit 0 unused
  std::bitset<7> days_of_week;     // 0 = Sunday; an input 7 sets bit 0
  bool last_day_of_month = false;  // the day-of-month field was `$`
  // A field starting with `*`. For days, the Vixie rule: if either day field is a star, a day
  // must match both; otherwise either. For minute and hour, it decides the DST policy
  // (IsFixedTime in cron_next.h).
  bool minute_star = false;
  bool hour_star = false;
  bool dom_star = false;
  bool dow_star = false;
  int interval_seconds = 0;  // kInterval only: 1-59
};

// Errors: kInvalidSchedule, message "invalid schedule: <input>", a detail naming the field and
// the problem, and pg_cron's hint.
Result<CronSchedule> ParseCronSchedule(std::string_view input);

}  // namespace immich_maint::core
