// Host name and worker name (see host_name.h).
#include "sidecar/host_name.h"

#include <unistd.h>

namespace immich_maint::sidecar {

std::string HostName() {
  char host[256] = "unknown";
  ::gethostname(host, sizeof(host) - 1);
  return host;
}

std::string HostAndProcessId() { return HostName() + ":" + std::to_string(::getpid()); }

}  // namespace immich_maint::sidecar
