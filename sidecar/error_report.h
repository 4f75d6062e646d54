// Prints a core::Error the way every sidecar command reports failure:
// `ERROR: <message>`, then `DETAIL:` and `HINT:` lines when present; returns the exit status.
#pragma once

#include <ostream>

#include "core/error.h"

namespace immich_maint::sidecar {

int ReportError(const core::Error& error, std::ostream& err);

// The same text on one line, as stored in job_run.error.
std::string ErrorText(const core::Error& error);

}  // namespace immich_maint::sidecar
