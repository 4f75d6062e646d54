// The one "unknown job" error, shared by every SQL function that takes a job name.
#pragma once

namespace immich_maint::pg {

// ERROR 22023 "unknown job: <name>" with the valid names in the detail, unless the catalogue
// knows the name.
void RequireKnownJob(const char* job);

}  // namespace immich_maint::pg
