// Adapts cctz's civil and absolute lookups to core::TimeZone. cctz already classifies a local
// time as unique, skipped or repeated, which is exactly what the cron DST policy needs.
#include "tz/cctz_time_zone.h"

#include <cctz/civil_time.h>

#include <utility>

namespace immich_maint::tz {
namespace {

// cctz would read a path such as "/etc/passwd" or "../x" as a zone file: only names qualify.
bool IsZoneName(const std::string& name) {
  return !name.empty() && name.front() != '/' && name.find("..") == std::string::npos;
}

}  // namespace

core::Result<CctzTimeZone> CctzTimeZone::Load(const std::string& name) {
  cctz::time_zone zone;
  if (!IsZoneName(name) || !cctz::load_time_zone(name, &zone)) {
    return core::MakeError(core::ErrorCode::kInvalidArgument, "unknown time zone: " + name,
                           "No zone of that name is in the tz database.",
                           "Use a tz database name such as Europe/Berlin, UTC or GMT.");
  }
  return CctzTimeZone(name, zone);
}

CctzTimeZone::CctzTimeZone(std::string name, cctz::time_zone zone)
    : name_(std::move(name)), zone_(zone) {}

core::LocalTimeLookup CctzTimeZone::Lookup(const core::CivilTime& local) const {
  const cctz::civil_second civil(local.year, local.month, local.day, local.hour, local.minute,
                                 local.second);
  const cctz::time_zone::civil_lookup found = zone_.lookup(civil);
  switch (found.kind) {
    case cctz::time_zone::civil_lookup::SKIPPED:
      return {core::LocalTimeKind::kSkipped, found.trans, found.trans, found.trans};
    case cctz::time_zone::civil_lookup::REPEATED:
      return {core::LocalTimeKind::kRepeated, found.pre, found.post, found.trans};
    case cctz::time_zone::civil_lookup::UNIQUE:
      break;
  }
  return {core::LocalTimeKind::kUnique, found.pre, found.pre, found.pre};
}

core::CivilTime CctzTimeZone::ToCivil(core::Instant instant) const {
  const cctz::civil_second civil = cctz::convert(instant, zone_);
  return {static_cast<int>(civil.year()),
          civil.month(),
          civil.day(),
          civil.hour(),
          civil.minute(),
          civil.second()};
}

}  // namespace immich_maint::tz
