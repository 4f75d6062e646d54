// core::TimeZone backed by the system tz database through libcctz, so daylight-saving rules
// come from tzdata, not from our code. Values are cheap to copy and safe to share across threads.
#pragma once

#include <cctz/time_zone.h>

#include <string>

#include "core/error.h"
#include "core/time_zone.h"

namespace immich_maint::tz {

class CctzTimeZone final : public core::TimeZone {
 public:
  // A tz database name: "Europe/Berlin", "America/New_York", "GMT", "UTC". Anything else is
  // kInvalidArgument, message "unknown time zone: <name>".
  static core::Result<CctzTimeZone> Load(const std::string& name);

  std::string Name() const override { return name_; }
  core::LocalTimeLookup Lookup(const core::CivilTime& local) const override;
  core::CivilTime ToCivil(core::Instant instant) const override;

 private:
  CctzTimeZone(std::string name, cctz::time_zone zone);

  std::string name_;
  cctz::time_zone zone_;
};

}  // namespace immich_maint::tz
