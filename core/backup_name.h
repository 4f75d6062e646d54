// Immich's backup file names: the exact name rules Immich applies (reference §1), the version
// carried in a name, and the name a routine backup gets. Names are byte strings (any bytes,
// NUL included); every rule mirrors Immich's JavaScript regex as Node applies it to readdir().
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/time_zone.h"

namespace immich_maint::core {

// A wall-clock time in the server's local zone, as printed into a routine backup name.
// CivilTime (a local date and time) is core's one definition, in time_zone.h.

// About `.*` in the rules below: JavaScript's `.` matches every character except the line
// terminators \n, \r, U+2028 and U+2029. Node decodes file names as UTF-8 (invalid bytes become
// U+FFFD, which `.` matches), so here `.` matches every byte except \n and \r, and the UTF-8
// sequences E2 80 A8 (U+2028) and E2 80 A9 (U+2029) stop it too. `\d` and `\w` are ASCII-only.

// ^[\d\w-.]+\.sql(?:\.gz)?$ : the filter for list, delete, download, upload and restore.
bool IsValidBackupName(std::string_view name);
// ^immich-db-backup-\d{8}T\d{6}-v.*-pg.*\.sql\.gz$
bool IsNewStyleRoutineBackupName(std::string_view name);
// ^immich-db-backup-\d+\.sql\.gz$ (epoch millis, Immich v1.120 - v1.136)
bool IsOldStyleRoutineBackupName(std::string_view name);
// Either routine style: the names retention counts. Note a new-style routine name need not be
// a valid name (`.*` admits spaces, `/`, non-ASCII): Immich rotates such a file but never lists
// or restores it.
bool IsRoutineBackupName(std::string_view name);
// ^immich-db-backup-.*\.sql\.gz\.tmp$ : a partial file; retention deletes it.
bool IsFailedBackupName(std::string_view name);
// Valid and starts with "uploaded-".
bool IsUploadedBackupName(std::string_view name);
// Valid and starts with "restore-point-".
bool IsRestorePointName(std::string_view name);

enum class BackupKind {
  kRoutine,        // new-style routine name
  kRoutineLegacy,  // old-style (epoch millis) routine name
  kUploaded,
  kRestorePoint,
  kFailed,
  kOther,    // a valid name of no special kind
  kInvalid,  // fails IsValidBackupName and is none of the above
};

// First match wins: failed, routine (new style), routine-legacy (old style), invalid (fails
// IsValidBackupName), uploaded, restore-point, other (a valid name of no special kind).
// Routine kinds come before the validity check because retention counts them regardless.
BackupKind ClassifyBackupName(std::string_view name);
// "routine", "routine-legacy", "uploaded", "restore-point", "failed", "other", "invalid".
const char* BackupKindName(BackupKind kind);

// The first capture of /-v(.*)-/ on the whole name: from the leftmost "-v" that is followed
// (before any line terminator) by a "-", up to the LAST such "-". So
// "immich-db-backup-20250729T114018-v1.136.0-pg14.17.sql.gz" yields "1.136.0", but a server
// version with a dash ("-pg16.1-beta") makes it "1.136.0-pg16.1". nullopt when nothing matches
// (old-style names). The result may be empty ("x-v-y" yields "").
std::optional<std::string> BackupVersion(std::string_view name);

// The PostgreSQL version in a new-style routine name (what follows the last "-pg" before
// ".sql.gz"), e.g. "14.17"; nullopt for other names. Informational: Immich does not read it.
std::optional<std::string> BackupServerVersion(std::string_view name);

enum class Compat { kOk, kOtherVersion, kUnknown };
// "ok", "other-version", "unknown".
const char* CompatName(Compat c);
// The indicator Immich shows next to a backup. One leading 'v' is dropped on both sides, then:
// equal -> kOk, different -> kOtherVersion (migrations will run), no version in the name or an
// empty current_version -> kUnknown.
Compat CompareBackupVersion(std::string_view name, std::string_view current_version);

// immich-db-backup-YYYYMMDDTHHmmss-v<immich>-pg<first word of server_version>.sql.gz
// immich_version may carry one leading 'v' (dropped: Immich's own name has exactly one 'v').
// server_version is what `SHOW server_version` returns; its first whitespace-separated word is
// used ("15.20 (Debian 15.20-0+deb12u1)" -> "pg15.20"). kInvalidArgument for: a date or time
// that does not exist (years 1-9999, no leap second), an empty version, an Immich version with a
// character outside [A-Za-z0-9_.-], or a server word outside [A-Za-z0-9_.] (a '-' there would
// move the greedy version capture, so the name would no longer round-trip through BackupVersion).
// The result always satisfies IsValidBackupName and IsNewStyleRoutineBackupName.
Result<std::string> FormatBackupName(const CivilTime& local_time, std::string_view immich_version,
                                     std::string_view server_version);

// Immich's restore rule: a name whose version is <= 2.4 holds a cluster dump (pg_dumpall); any
// other version or none means one database (pg_dump). The version (one leading 'v' dropped)
// must start with <major>.<minor> in decimal, followed by its end or '.', '-' or '+';
// "2.4.1", "1.136.0" and "2.4.0-rc.1" -> true, "2.5.0", "10.0", "abc", none -> false. Unlike
// Immich's semver.satisfies, a prerelease suffix does not turn a <= 2.4 version into "single".
// Old-style names carry no version, so they read as single-database although Immich made them
// with pg_dumpall; that is Immich's rule and is mirrored here.
bool IsClusterDumpByName(std::string_view name);

}  // namespace immich_maint::core
