// Carries out core's retention plan on the backups folder. Only names the plan marks for
// deletion (routine backups past keepLastAmount, failed .tmp partials) are ever removed; every
// deleted file is returned so the run can list it.
#pragma once

#include <string>
#include <vector>

#include "core/retention.h"

namespace immich_maint::sidecar {

struct RetentionOutcome {
  std::vector<core::RetentionDecision> deleted;
  std::vector<std::string> errors;  // files that could not be deleted, with the reason
};

// Callers hold the backup lock (no backup is writing a .tmp). Throws core::Failure for a bad
// keep count or an unreadable folder.
RetentionOutcome ApplyRetention(const std::string& folder, int keep_last_amount);

}  // namespace immich_maint::sidecar
