// libFuzzer target for backup names and retention: the input is checked as one name, split on
// '/' into folder entries for PlanRetention, and its first two entries become the versions of a
// routine name that FormatBackupName must make valid, routine and round-trippable.
#include <algorithm>
#include <climits>
#include <cstring>
#include <string>
#include <vector>

#include "core/backup_name.h"
#include "core/retention.h"
#include "tests/fuzz/fuzz_check.h"

namespace core = immich_maint::core;
using immich_maint::fuzz::InputHash;

namespace {

std::vector<std::string> SplitEntries(std::string_view input) {
  std::vector<std::string> entries;
  std::size_t start = 0;
  for (std::size_t slash; (slash = input.find('/', start)) != std::string_view::npos;) {
    entries.emplace_back(input.substr(start, slash - start));
    start = slash + 1;
  }
  entries.emplace_back(input.substr(start));
  return entries;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view WithoutLeadingV(std::string_view s) {
  return StartsWith(s, "v") ? s.substr(1) : s;
}

// A valid name can never leave the backups folder or hide a NUL from the C library.
void CheckValidIsSafe(std::string_view name) {
  if (!core::IsValidBackupName(name)) return;
  FUZZ_CHECK(name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos,
             "a valid name holds '/' or NUL");
  FUZZ_CHECK(name != "." && name != ".." && !name.empty(), "a valid name is . or ..");
  FUZZ_CHECK(EndsWith(name, ".sql") || EndsWith(name, ".sql.gz"), "valid without .sql");
}

void CheckKind(std::string_view name) {
  const core::BackupKind kind = core::ClassifyBackupName(name);
  const bool failed = core::IsFailedBackupName(name), valid = core::IsValidBackupName(name);
  const bool fresh = core::IsNewStyleRoutineBackupName(name);
  const bool legacy = core::IsOldStyleRoutineBackupName(name);
  FUZZ_CHECK(core::IsRoutineBackupName(name) == (fresh || legacy), "routine != new || old");
  FUZZ_CHECK(!(failed && (fresh || legacy)), "both failed and routine");
  FUZZ_CHECK(!legacy || valid, "an old-style routine name is not valid");
  FUZZ_CHECK((kind == core::BackupKind::kFailed) == failed, "kind vs failed");
  FUZZ_CHECK((kind == core::BackupKind::kRoutine) == fresh, "kind vs new style");
  FUZZ_CHECK((kind == core::BackupKind::kRoutineLegacy) == legacy, "kind vs old style");
  FUZZ_CHECK((kind == core::BackupKind::kInvalid) == (!valid && !failed && !fresh && !legacy),
             "kind vs invalid");
  FUZZ_CHECK(kind != core::BackupKind::kUploaded || core::IsUploadedBackupName(name), "uploaded");
  FUZZ_CHECK(kind != core::BackupKind::kRestorePoint || core::IsRestorePointName(name), "rp");
  FUZZ_CHECK(!core::IsUploadedBackupName(name) || valid, "uploaded but not valid");
  FUZZ_CHECK(!core::IsRestorePointName(name) || valid, "restore point but not valid");
  static const char* const kNames[] = {"routine", "routine-legacy", "uploaded", "restore-point",
                                       "failed",  "other",          "invalid"};
  const char* text = core::BackupKindName(kind);
  FUZZ_CHECK(std::any_of(std::begin(kNames), std::end(kNames),
                         [text](const char* k) { return std::strcmp(k, text) == 0; }),
             "kind name %s", text);
}

void CheckVersions(std::string_view name) {
  const std::optional<std::string> version = core::BackupVersion(name);
  if (version) {
    FUZZ_CHECK(name.find("-v" + *version + "-") != std::string_view::npos, "version not in name");
    FUZZ_CHECK(version->find_first_of("\n\r") == std::string::npos, "version crosses a line");
    const std::string_view bare = WithoutLeadingV(*version);
    const core::Compat expected = bare.empty() ? core::Compat::kUnknown : core::Compat::kOk;
    FUZZ_CHECK(core::CompareBackupVersion(name, *version) == expected, "own version not ok");
  } else {
    FUZZ_CHECK(!core::IsClusterDumpByName(name), "a cluster dump without a version");
  }
  FUZZ_CHECK(core::CompareBackupVersion(name, "") == core::Compat::kUnknown, "empty current");
  const std::optional<std::string> server = core::BackupServerVersion(name);
  FUZZ_CHECK(server.has_value() == core::IsNewStyleRoutineBackupName(name), "server vs new");
  if (server) FUZZ_CHECK(EndsWith(name, "-pg" + *server + ".sql.gz"), "server not at the end");
  FUZZ_CHECK(!core::JsStringLess(name, name), "JsStringLess is not irreflexive");
}

void CheckName(std::string_view name) {
  CheckValidIsSafe(name);
  CheckKind(name);
  CheckVersions(name);
}

// Sometimes a date that does not exist, to reach FormatBackupName's refusal.
core::CivilTime PickTime(InputHash& hash) {
  core::CivilTime t{};
  const bool wild = hash.Between(0, 7) == 0;
  t.year = static_cast<int>(wild ? hash.Between(-2, 10001) : hash.Between(1, 9999));
  t.month = static_cast<int>(wild ? hash.Between(0, 13) : hash.Between(1, 12));
  t.day = static_cast<int>(wild ? hash.Between(0, 32) : hash.Between(1, 28));
  t.hour = static_cast<int>(wild ? hash.Between(-1, 24) : hash.Between(0, 23));
  t.minute = static_cast<int>(wild ? hash.Between(-1, 60) : hash.Between(0, 59));
  t.second = static_cast<int>(wild ? hash.Between(-1, 61) : hash.Between(0, 59));
  return t;
}

bool Earlier(const core::CivilTime& a, const core::CivilTime& b) {
  const int x[] = {a.year, a.month, a.day, a.hour, a.minute, a.second};
  const int y[] = {b.year, b.month, b.day, b.hour, b.minute, b.second};
  return std::lexicographical_compare(std::begin(x), std::end(x), std::begin(y), std::end(y));
}

void CheckFormattedName(const std::string& name, std::string_view immich, std::string_view pg) {
  FUZZ_CHECK(core::IsValidBackupName(name), "formatted name not valid: %s", name.c_str());
  FUZZ_CHECK(core::IsNewStyleRoutineBackupName(name), "not new-style: %s", name.c_str());
  FUZZ_CHECK(core::ClassifyBackupName(name) == core::BackupKind::kRoutine, "not routine");
  FUZZ_CHECK(core::BackupVersion(name) == std::string(WithoutLeadingV(immich)),
             "version of %s is not %.*s", name.c_str(), int(immich.size()), immich.data());
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  const std::string_view rest = pg.substr(std::min(pg.size(), pg.find_first_not_of(kSpace)));
  const std::string word(rest.substr(0, rest.find_first_of(kSpace)));
  FUZZ_CHECK(core::BackupServerVersion(name) == word, "server version of %s is not %s",
             name.c_str(), word.c_str());
}

void CheckFormat(InputHash& hash, std::string_view immich, std::string_view pg) {
  const core::CivilTime t1 = PickTime(hash), t2 = PickTime(hash);
  const core::Result<std::string> a = core::FormatBackupName(t1, immich, pg);
  const core::Result<std::string> b = core::FormatBackupName(t2, immich, pg);
  if (!a.ok()) {
    FUZZ_CHECK(a.error().code == core::ErrorCode::kInvalidArgument, "code %d", int(a.error().code));
    return;
  }
  CheckFormattedName(a.value(), immich, pg);
  CheckName(a.value());
  // Years have four digits, so names sort by time.
  if (b.ok() && Earlier(t1, t2)) FUZZ_CHECK(core::JsStringLess(a.value(), b.value()), "order");
}

int PickKeep(InputHash& hash) {
  switch (hash.Between(0, 7)) {
    case 0:
      return static_cast<int>(hash.Between(INT_MIN, 0));
    case 1:
      return INT_MAX;
    default:
      return static_cast<int>(hash.Between(1, 6));
  }
}

// Kept routine names are the newest: none sorts below a deleted routine name.
void CheckNewestKept(const std::vector<core::RetentionDecision>& plan) {
  const core::RetentionDecision* oldest_kept = nullptr;
  const core::RetentionDecision* newest_deleted = nullptr;
  for (const core::RetentionDecision& d : plan) {
    if (!core::IsRoutineBackupName(d.name)) continue;
    if (d.keep && (!oldest_kept || core::JsStringLess(d.name, oldest_kept->name))) oldest_kept = &d;
    if (!d.keep && (!newest_deleted || core::JsStringLess(newest_deleted->name, d.name))) {
      newest_deleted = &d;
    }
  }
  if (oldest_kept && newest_deleted) {
    FUZZ_CHECK(!core::JsStringLess(oldest_kept->name, newest_deleted->name),
               "kept %s but deleted newer %s", oldest_kept->name.c_str(),
               newest_deleted->name.c_str());
  }
}

void CheckRetention(const std::vector<std::string>& entries, int keep) {
  const auto plan = core::PlanRetention(entries, keep);
  if (keep < 1) {
    FUZZ_CHECK(!plan.ok() && plan.error().code == core::ErrorCode::kInvalidKeepCount, "keep<1");
    FUZZ_CHECK(plan.error().message ==
                   "keepLastAmount must be a positive integer, got " + std::to_string(keep),
               "message %s", plan.error().message.c_str());
    return;
  }
  FUZZ_CHECK(plan.ok() && plan.value().size() == entries.size(), "not one decision per entry");
  std::size_t routine = 0, kept = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const core::RetentionDecision& d = plan.value()[i];
    FUZZ_CHECK(d.name == entries[i] && !d.reason.empty(), "decision %zu out of order", i);
    if (core::IsRoutineBackupName(d.name)) {
      ++routine;
      kept += d.keep;
    } else {
      FUZZ_CHECK(d.keep == !core::IsFailedBackupName(d.name), "uncounted %s", d.name.c_str());
    }
  }
  FUZZ_CHECK(kept == std::min<std::size_t>(routine, std::size_t(keep)), "kept %zu", kept);
  CheckNewestKept(plan.value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> entries = SplitEntries(input);
  CheckName(input);
  for (const std::string& entry : entries) CheckName(entry);
  InputHash hash(input);
  CheckFormat(hash, entries[0], entries.size() > 1 ? entries[1] : "15.20 (Debian)");
  CheckRetention(entries, PickKeep(hash));
  return 0;
}
