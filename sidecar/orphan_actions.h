// What the orphan scan does with orphans when asked: with --delete-regenerable, orphans in
// thumbs and encoded-video are deleted (Immich rebuilds those); with --quarantine, the others are
// moved by rename to <media>/.immich_maint-quarantine/<stamp>/<relative path> (folders mode
// 0700), reversible by moving them back. Originals are never deleted. Every folder touched is
// fsynced at the end, so each file is durably in one place or the other.
#pragma once

#include <string>
#include <vector>

#include "sidecar/orphan_scan.h"

namespace immich_maint::sidecar {

// "YYYYMMDDTHHMMSS" in local time, with "-2", "-3", ... when that run folder already exists.
std::string QuarantineStamp(const std::string& media);

// Sets action, moved_to and error on each orphan acted on; returns the media-relative run
// folder when something was moved there, else "".
std::string ApplyOrphanActions(const std::string& media, const OrphanScanOptions& options,
                               std::vector<OrphanFile>& orphans);

}  // namespace immich_maint::sidecar
