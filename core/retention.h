// Immich's retention rule for the backups folder (reference §2) as a plan: which files a run
// would delete and why. Planning is kept apart from deleting so that both can be tested.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace immich_maint::core {

struct RetentionDecision {
  std::string name;
  bool keep;
  std::string reason;  // for a human, e.g. "routine backup 15 of 20 (newest first), past ..."
};

// Exactly Immich's cleanup: routine names only (new and old style) are sorted by name
// descending, the first keep_last_amount are kept and the rest deleted; every failed (.tmp) name
// is deleted; uploaded-, restore-point-, other and invalid names are kept (never counted by
// retention). Returns one decision per entry, in the order of `entries`. The sort is
// JavaScript's (see JsStringLess), and, like Immich's stable sort followed by a reverse, names
// that compare equal there end up in reverse input order. keep_last_amount < 1:
// kInvalidKeepCount, "keepLastAmount must be a positive integer, got <n>".
Result<std::vector<RetentionDecision>> PlanRetention(const std::vector<std::string>& entries,
                                                     int keep_last_amount);

// JavaScript's default sort order for names as Node reads them from a folder: the bytes decoded
// as UTF-8 (each invalid sequence becomes U+FFFD, as the WHATWG decoder does), then compared by
// UTF-16 code units. It differs from byte order only for non-ASCII names: U+FFFD sorts before
// U+1F600 by bytes but after it by UTF-16 units, and a stray byte 0x80 (read as U+FFFD) sorts
// after "é" here but before it by bytes.
bool JsStringLess(std::string_view a, std::string_view b);

}  // namespace immich_maint::core
