// SQL wrappers for Immich's backup-name rules (core/backup_name.h).
#include <optional>
#include <string>

#include "core/backup_name.h"
#include "extension/guard.h"
#include "extension/pg_values.h"

extern "C" {
#include "datatype/timestamp.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(immich_is_valid_backup_name);
PG_FUNCTION_INFO_V1(immich_is_routine_backup_name);
PG_FUNCTION_INFO_V1(immich_is_failed_backup_name);
PG_FUNCTION_INFO_V1(immich_backup_version);
PG_FUNCTION_INFO_V1(immich_backup_name);
PG_FUNCTION_INFO_V1(immich_backup_compat);
PG_FUNCTION_INFO_V1(immich_backup_kind);
}

namespace core = immich_maint::core;
namespace pg = immich_maint::pg;

namespace {

using NamePredicate = bool (*)(std::string_view);

Datum NamePredicateDatum(FunctionCallInfo fcinfo, NamePredicate predicate) {
  const std::string_view name = pg::ArgTextView(fcinfo, 0);
  return BoolGetDatum(pg::Guard([&] { return predicate(name); }));
}

core::CivilTime TimestampArgToCivil(FunctionCallInfo fcinfo, int index) {
  const Timestamp at = PG_GETARG_TIMESTAMP(index);
  struct pg_tm tm {};
  fsec_t fsec = 0;
  if (TIMESTAMP_NOT_FINITE(at) || timestamp2tm(at, nullptr, &tm, &fsec, nullptr, nullptr) != 0) {
    ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
                    errmsg("backup time must be a finite timestamp")));
  }
  return core::CivilTime{tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
}

}  // namespace

extern "C" Datum immich_is_valid_backup_name(PG_FUNCTION_ARGS) {
  return NamePredicateDatum(fcinfo, core::IsValidBackupName);
}

extern "C" Datum immich_is_routine_backup_name(PG_FUNCTION_ARGS) {
  return NamePredicateDatum(fcinfo, core::IsRoutineBackupName);
}

extern "C" Datum immich_is_failed_backup_name(PG_FUNCTION_ARGS) {
  return NamePredicateDatum(fcinfo, core::IsFailedBackupName);
}

extern "C" Datum immich_backup_version(PG_FUNCTION_ARGS) {
  const std::string_view name = pg::ArgTextView(fcinfo, 0);
  const std::optional<std::string> version = pg::Guard([&] { return core::BackupVersion(name); });
  if (!version) PG_RETURN_NULL();
  return pg::TextDatum(*version);
}

extern "C" Datum immich_backup_kind(PG_FUNCTION_ARGS) {
  const std::string_view name = pg::ArgTextView(fcinfo, 0);
  return pg::TextDatum(
      pg::Guard([&] { return core::BackupKindName(core::ClassifyBackupName(name)); }));
}

extern "C" Datum immich_backup_name(PG_FUNCTION_ARGS) {
  const core::CivilTime at = TimestampArgToCivil(fcinfo, 0);
  const std::string_view immich_version = pg::ArgTextView(fcinfo, 1);
  const std::string_view server_version = pg::ArgTextView(fcinfo, 2);
  const std::string name = pg::Guard(
      [&] { return core::FormatBackupName(at, immich_version, server_version).value(); });
  return pg::TextDatum(name);
}

extern "C" Datum immich_backup_compat(PG_FUNCTION_ARGS) {
  const std::string_view name = pg::ArgTextView(fcinfo, 0);
  const std::string_view current = pg::ArgTextView(fcinfo, 1);
  return pg::TextDatum(
      pg::Guard([&] { return core::CompatName(core::CompareBackupVersion(name, current)); }));
}
