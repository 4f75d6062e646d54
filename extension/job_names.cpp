// Job-name validation against core's catalogue.
#include "extension/job_names.h"

#include <cstring>

#include "core/job_catalog.h"
#include "extension/guard.h"

extern "C" {
#include "postgres.h"
}

namespace immich_maint::pg {

void RequireKnownJob(const char* job) {
  if (Guard([&] { return core::FindJob(job) != nullptr; })) return;
  char names[1024];  // filled inside the guard: no std::string is alive when ereport jumps
  Guard([&] { strlcpy(names, core::JobNamesList().c_str(), sizeof(names)); });
  ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown job: %s", job),
                  errdetail("Valid jobs: %s.", names)));
}

}  // namespace immich_maint::pg
