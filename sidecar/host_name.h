// This machine's (container's) host name, as restore journals and job_run.worker record it.
#pragma once

#include <string>

namespace immich_maint::sidecar {

std::string HostName();          // "unknown" if the system cannot say
std::string HostAndProcessId();  // "<host>:<pid>", the default worker name

}  // namespace immich_maint::sidecar
