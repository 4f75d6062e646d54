// Plans Immich's backup retention: one decision, with a reason, for every entry of the backups
// folder. Ordering mirrors `files.filter(routine).toSorted().toReversed()` in Node, including
// its UTF-16 string comparison, so a plan deletes exactly the files Immich would.
#include "core/retention.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/backup_name.h"

namespace immich_maint::core {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

bool InRange(unsigned char byte, unsigned char low, unsigned char high) {
  return byte >= low && byte <= high;
}

// The WHATWG UTF-8 decoder's bounds for the second byte after a given lead byte; the bytes
// after that are always 80-BF. Returns the sequence length, or 0 for a byte that cannot lead.
int SequenceBounds(unsigned char lead, unsigned char* low, unsigned char* high) {
  *low = 0x80;
  *high = 0xBF;
  if (InRange(lead, 0xC2, 0xDF)) return 2;
  if (InRange(lead, 0xE0, 0xEF)) {
    if (lead == 0xE0) *low = 0xA0;
    if (lead == 0xED) *high = 0x9F;
    return 3;
  }
  if (InRange(lead, 0xF0, 0xF4)) {
    if (lead == 0xF0) *low = 0x90;
    if (lead == 0xF4) *high = 0x8F;
    return 4;
  }
  return 0;
}

// Decodes one code point at s[*i] and advances past it. An invalid sequence yields U+FFFD and
// consumes only its valid prefix (at least one byte), as Node's decoder does.
char32_t DecodeOne(std::string_view s, std::size_t* i) {
  const auto lead = static_cast<unsigned char>(s[(*i)++]);
  if (lead < 0x80) return lead;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  const int length = SequenceBounds(lead, &low, &high);
  if (length == 0) return kReplacement;
  char32_t code = lead & (0xFF >> (length + 1));
  for (int k = 1; k < length; ++k) {
    if (*i >= s.size()) return kReplacement;
    const auto next = static_cast<unsigned char>(s[*i]);
    if (!InRange(next, k == 1 ? low : 0x80, k == 1 ? high : 0xBF)) return kReplacement;
    code = (code << 6) | (next & 0x3F);
    ++*i;
  }
  return code;
}

// The string Node would hold for these bytes, as UTF-16 code units.
std::u16string JsString(std::string_view bytes) {
  std::u16string units;
  units.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    const char32_t code = DecodeOne(bytes, &i);
    if (code < 0x10000) {
      units.push_back(static_cast<char16_t>(code));
    } else {
      units.push_back(static_cast<char16_t>(0xD800 + ((code - 0x10000) >> 10)));
      units.push_back(static_cast<char16_t>(0xDC00 + ((code - 0x10000) & 0x3FF)));
    }
  }
  return units;
}

// Indices of the routine names in `entries`, newest first: a stable ascending sort, then
// reversed, as Immich's toSorted().toReversed() does.
std::vector<std::size_t> RoutineNewestFirst(const std::vector<std::string>& entries) {
  std::vector<std::size_t> routine;
  std::vector<std::u16string> keys(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!IsRoutineBackupName(entries[i])) continue;
    routine.push_back(i);
    keys[i] = JsString(entries[i]);
  }
  std::stable_sort(routine.begin(), routine.end(),
                   [&keys](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
  std::reverse(routine.begin(), routine.end());
  return routine;
}

// Every entry that retention does not count: only failed partial files are deleted.
RetentionDecision DecideUncounted(const std::string& name) {
  switch (ClassifyBackupName(name)) {
    case BackupKind::kFailed:
      return {name, false, "failed backup: a partial .tmp file from a dump that did not finish"};
    case BackupKind::kUploaded:
      return {name, true, "uploaded backup: never counted by retention"};
    case BackupKind::kRestorePoint:
      return {name, true, "restore point: never counted by retention"};
    case BackupKind::kInvalid:
      return {name, true, "not a backup name: never counted by retention"};
    default:
      return {name, true, "not a routine backup: never counted by retention"};
  }
}

RetentionDecision DecideRoutine(const std::string& name, std::size_t rank, std::size_t count,
                                int keep_last_amount) {
  const bool keep = rank < static_cast<std::size_t>(keep_last_amount);
  std::string reason =
      IsOldStyleRoutineBackupName(name) ? "old-style routine backup " : "routine backup ";
  reason += std::to_string(rank + 1) + " of " + std::to_string(count) + " (newest first), ";
  reason += keep ? "within" : "past";
  reason += " keepLastAmount " + std::to_string(keep_last_amount);
  return {name, keep, std::move(reason)};
}

}  // namespace

bool JsStringLess(std::string_view a, std::string_view b) { return JsString(a) < JsString(b); }

Result<std::vector<RetentionDecision>> PlanRetention(const std::vector<std::string>& entries,
                                                     int keep_last_amount) {
  if (keep_last_amount < 1) {
    return MakeError(
        ErrorCode::kInvalidKeepCount,
        "keepLastAmount must be a positive integer, got " + std::to_string(keep_last_amount), "",
        "Set backup.database.keepLastAmount to 1 or more.");
  }
  std::vector<RetentionDecision> plan;
  plan.reserve(entries.size());
  for (const std::string& name : entries) plan.push_back(DecideUncounted(name));
  const std::vector<std::size_t> routine = RoutineNewestFirst(entries);
  for (std::size_t rank = 0; rank < routine.size(); ++rank) {
    const std::size_t index = routine[rank];
    plan[index] = DecideRoutine(entries[index], rank, routine.size(), keep_last_amount);
  }
  return plan;
}

}  // namespace immich_maint::core
