// Immich's backup-name rules as small explicit matchers, one per JavaScript regex, so that no
// locale or regex-engine difference can creep in. Each matcher names the regex it mirrors;
// "line terminator" below means what JavaScript's `.` refuses (see backup_name.h).
#include "core/backup_name.h"

#include <cstdint>
#include <cstdio>

#include "core/text_affix.h"

namespace immich_maint::core {
namespace {

constexpr std::string_view kRoutinePrefix = "immich-db-backup-";
constexpr std::string_view kUploadedPrefix = "uploaded-";
constexpr std::string_view kRestorePointPrefix = "restore-point-";

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

// JavaScript's \w without the u and i flags: [A-Za-z0-9_].
bool IsAsciiWord(char c) {
  return IsAsciiDigit(c) || c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool AllDigits(std::string_view s) {
  for (const char c : s) {
    if (!IsAsciiDigit(c)) return false;
  }
  return true;
}

// Where a line terminator starts at s[i], else false. U+2028/U+2029 are matched as their UTF-8
// bytes: E2 is never a continuation byte, so Node's decoder always reads E2 80 A8 as U+2028.
bool IsLineTerminatorAt(std::string_view s, std::size_t i) {
  if (s[i] == '\n' || s[i] == '\r') return true;
  return s[i] == '\xE2' && i + 2 < s.size() && s[i + 1] == '\x80' &&
         (s[i + 2] == '\xA8' || s[i + 2] == '\xA9');
}

// The end of the run that JavaScript's `.*` could cover starting at `from`.
std::size_t EndOfLine(std::string_view s, std::size_t from) {
  for (std::size_t i = from; i < s.size(); ++i) {
    if (IsLineTerminatorAt(s, i)) return i;
  }
  return s.size();
}

// True when the whole of s could be matched by `.*`.
bool MatchesDotStar(std::string_view s) { return EndOfLine(s, 0) == s.size(); }

std::string_view WithoutLeadingV(std::string_view version) {
  return StartsWith(version, "v") ? version.substr(1) : version;
}

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Years stop at four digits so that names keep sorting by time; there is no second 60.
bool IsValidCivilTime(const CivilTime& t) {
  if (t.year < 1 || t.year > 9999 || t.month < 1 || t.month > 12) return false;
  if (t.day < 1 || t.day > DaysInMonth(t.year, t.month)) return false;
  return t.hour >= 0 && t.hour <= 23 && t.minute >= 0 && t.minute <= 59 && t.second >= 0 &&
         t.second <= 59;
}

std::string CivilTimeText(const CivilTime& t) {
  char text[96];
  std::snprintf(text, sizeof text, "%d-%02d-%02d %02d:%02d:%02d", t.year, t.month, t.day, t.hour,
                t.minute, t.second);
  return text;
}

// Luxon's "yyyyLLdd'T'HHmmss".
std::string CompactTimestamp(const CivilTime& t) {
  char text[96];
  std::snprintf(text, sizeof text, "%04d%02d%02dT%02d%02d%02d", t.year, t.month, t.day, t.hour,
                t.minute, t.second);
  return text;
}

bool HasOnly(std::string_view s, bool allow_dash) {
  for (const char c : s) {
    if (!IsAsciiWord(c) && c != '.' && !(allow_dash && c == '-')) return false;
  }
  return true;
}

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// The first whitespace-separated word; Immich splits on ' ' and real values have no leading
// blank, so skipping leading blanks only spares a caller's stray space.
std::string_view FirstWord(std::string_view s) {
  std::size_t begin = 0;
  while (begin < s.size() && IsAsciiSpace(s[begin])) ++begin;
  std::size_t end = begin;
  while (end < s.size() && !IsAsciiSpace(s[end])) ++end;
  return s.substr(begin, end - begin);
}

std::optional<Error> CheckVersions(std::string_view immich, std::string_view server) {
  const char* const kDetail = "A backup name holds only ASCII letters, digits, '_', '-' and '.'.";
  if (immich.empty()) return MakeError(ErrorCode::kInvalidArgument, "immich version is empty");
  if (!HasOnly(immich, true)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "immich version contains a character not allowed in a backup name", kDetail);
  }
  if (server.empty()) return MakeError(ErrorCode::kInvalidArgument, "server version is empty");
  if (!HasOnly(server, false)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "server version contains a character not allowed in a backup name",
                     "Only ASCII letters, digits, '_' and '.' are allowed: a '-' would become "
                     "part of the Immich version read back from the name.");
  }
  return std::nullopt;
}

// Reads a decimal number at s[*i], saturating so that huge numbers stay large.
std::optional<std::int64_t> ReadNumber(std::string_view s, std::size_t* i) {
  const std::size_t start = *i;
  std::int64_t value = 0;
  for (; *i < s.size() && IsAsciiDigit(s[*i]); ++*i) {
    value = value > 100000000 ? value : value * 10 + (s[*i] - '0');
  }
  if (*i == start) return std::nullopt;
  return value;
}

}  // namespace

// ^[\d\w-.]+\.sql(?:\.gz)?$ : `[\d\w-.]` also holds `.`, so the part before the suffix is
// one or more characters of the class, and the suffix is whichever of the two the name ends in.
bool IsValidBackupName(std::string_view name) {
  for (const char c : name) {
    if (!IsAsciiWord(c) && c != '-' && c != '.') return false;
  }
  if (EndsWith(name, ".sql")) return name.size() > 4;
  if (EndsWith(name, ".sql.gz")) return name.size() > 7;
  return false;
}

// ^immich-db-backup-\d{8}T\d{6}-v.*-pg.*\.sql\.gz$ : after the fixed head, the tail is
// `.*-pg.*` then `.sql.gz`; it matches when the tail has no line terminator and "-pg" occurs
// wholly before the final ".sql.gz" (both `.*` may be empty).
bool IsNewStyleRoutineBackupName(std::string_view name) {
  if (!StartsWith(name, kRoutinePrefix)) return false;
  const std::string_view rest = name.substr(kRoutinePrefix.size());
  constexpr std::size_t kHeadSize = 8 + 1 + 6 + 2;  // \d{8} T \d{6} -v
  if (rest.size() < kHeadSize) return false;
  if (!AllDigits(rest.substr(0, 8)) || rest[8] != 'T' || !AllDigits(rest.substr(9, 6)) ||
      rest.substr(15, 2) != "-v") {
    return false;
  }
  const std::string_view tail = rest.substr(kHeadSize);
  constexpr std::string_view kSuffix = ".sql.gz";
  if (!EndsWith(tail, kSuffix) || !MatchesDotStar(tail)) return false;
  return tail.substr(0, tail.size() - kSuffix.size()).find("-pg") != std::string_view::npos;
}

// ^immich-db-backup-\d+\.sql\.gz$
bool IsOldStyleRoutineBackupName(std::string_view name) {
  constexpr std::string_view kSuffix = ".sql.gz";
  if (!StartsWith(name, kRoutinePrefix) || !EndsWith(name, kSuffix)) return false;
  if (name.size() < kRoutinePrefix.size() + kSuffix.size() + 1) return false;
  const std::size_t digits = name.size() - kRoutinePrefix.size() - kSuffix.size();
  return AllDigits(name.substr(kRoutinePrefix.size(), digits));
}

bool IsRoutineBackupName(std::string_view name) {
  return IsOldStyleRoutineBackupName(name) || IsNewStyleRoutineBackupName(name);
}

// ^immich-db-backup-.*\.sql\.gz\.tmp$
bool IsFailedBackupName(std::string_view name) {
  constexpr std::string_view kSuffix = ".sql.gz.tmp";
  if (!StartsWith(name, kRoutinePrefix) || !EndsWith(name, kSuffix)) return false;
  if (name.size() < kRoutinePrefix.size() + kSuffix.size()) return false;
  const std::size_t middle = name.size() - kRoutinePrefix.size() - kSuffix.size();
  return MatchesDotStar(name.substr(kRoutinePrefix.size(), middle));
}

bool IsUploadedBackupName(std::string_view name) {
  return StartsWith(name, kUploadedPrefix) && IsValidBackupName(name);
}

bool IsRestorePointName(std::string_view name) {
  return StartsWith(name, kRestorePointPrefix) && IsValidBackupName(name);
}

BackupKind ClassifyBackupName(std::string_view name) {
  if (IsFailedBackupName(name)) return BackupKind::kFailed;
  if (IsNewStyleRoutineBackupName(name)) return BackupKind::kRoutine;
  if (IsOldStyleRoutineBackupName(name)) return BackupKind::kRoutineLegacy;
  if (!IsValidBackupName(name)) return BackupKind::kInvalid;
  if (StartsWith(name, kUploadedPrefix)) return BackupKind::kUploaded;
  if (StartsWith(name, kRestorePointPrefix)) return BackupKind::kRestorePoint;
  return BackupKind::kOther;
}

const char* BackupKindName(BackupKind kind) {
  switch (kind) {
    case BackupKind::kRoutine:
      return "routine";
    case BackupKind::kRoutineLegacy:
      return "routine-legacy";
    case BackupKind::kUploaded:
      return "uploaded";
    case BackupKind::kRestorePoint:
      return "restore-point";
    case BackupKind::kFailed:
      return "failed";
    case BackupKind::kOther:
      return "other";
    case BackupKind::kInvalid:
      return "invalid";
  }
  return "invalid";
}

// /-v(.*)-/ : the engine tries start positions left to right; at each "-v" the greedy `.*`
// takes the whole line and backs off to its last "-". If that line has no "-", no later "-v"
// inside it can match either (it would contain one), so the search resumes past the line.
std::optional<std::string> BackupVersion(std::string_view name) {
  std::size_t at = name.find("-v");
  while (at != std::string_view::npos) {
    const std::size_t start = at + 2;
    const std::size_t line_end = EndOfLine(name, start);
    const std::size_t last_dash = name.substr(start, line_end - start).rfind('-');
    if (last_dash != std::string_view::npos) return std::string(name.substr(start, last_dash));
    at = name.find("-v", line_end);
  }
  return std::nullopt;
}

const char* CompatName(Compat c) {
  switch (c) {
    case Compat::kOk:
      return "ok";
    case Compat::kOtherVersion:
      return "other-version";
    case Compat::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::optional<std::string> BackupServerVersion(std::string_view name) {
  if (!IsNewStyleRoutineBackupName(name)) return std::nullopt;
  const std::string_view stem = name.substr(0, name.size() - std::string_view(".sql.gz").size());
  const std::size_t at = stem.rfind("-pg");
  if (at == std::string_view::npos) return std::nullopt;
  return std::string(stem.substr(at + 3));
}

Compat CompareBackupVersion(std::string_view name, std::string_view current_version) {
  const std::optional<std::string> version = BackupVersion(name);
  const std::string_view current = WithoutLeadingV(current_version);
  if (!version || current.empty()) return Compat::kUnknown;
  return WithoutLeadingV(*version) == current ? Compat::kOk : Compat::kOtherVersion;
}

// 255 (NAME_MAX) less "restore-point-" and ".tmp".
constexpr std::size_t kMaxRoutineNameBytes = 255 - 14 - 4;

Result<std::string> FormatBackupName(const CivilTime& local_time, std::string_view immich_version,
                                     std::string_view server_version) {
  if (!IsValidCivilTime(local_time)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "invalid backup time " + CivilTimeText(local_time),
                     "The date or time does not exist (years 1 to 9999, seconds 0 to 59).");
  }
  const std::string_view immich = WithoutLeadingV(immich_version);
  const std::string_view server = FirstWord(server_version);
  if (std::optional<Error> error = CheckVersions(immich, server)) return std::move(*error);
  std::string name(kRoutinePrefix);
  name += CompactTimestamp(local_time);
  name += "-v";
  name += immich;
  name += "-pg";
  name += server;
  name += ".sql.gz";
  if (name.size() > kMaxRoutineNameBytes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "backup name would be too long: " + std::to_string(name.size()) + " bytes",
                     "File names hold at most 255 bytes, and a restore point adds \"restore-point-\" "
                     "and \".tmp\" to the name, so versions may make it at most " +
                         std::to_string(kMaxRoutineNameBytes) + " bytes.");
  }
  return name;
}

bool IsClusterDumpByName(std::string_view name) {
  const std::optional<std::string> captured = BackupVersion(name);
  if (!captured) return false;
  const std::string_view version = WithoutLeadingV(*captured);
  std::size_t i = 0;
  const std::optional<std::int64_t> major = ReadNumber(version, &i);
  if (!major || i >= version.size() || version[i] != '.') return false;
  ++i;
  const std::optional<std::int64_t> minor = ReadNumber(version, &i);
  if (!minor) return false;
  if (i < version.size() && version[i] != '.' && version[i] != '-' && version[i] != '+') {
    return false;
  }
  return *major < 2 || (*major == 2 && *minor <= 4);
}

}  // namespace immich_maint::core
