// Deletes what the retention plan says, and nothing else.
#include "sidecar/retention_apply.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sidecar/backup_inventory.h"
#include "sidecar/durable_file.h"

namespace immich_maint::sidecar {

RetentionOutcome ApplyRetention(const std::string& folder, int keep_last_amount) {
  const auto plan = core::PlanRetention(ListFolderNames(folder), keep_last_amount).value();
  RetentionOutcome outcome;
  for (const auto& decision : plan) {
    if (decision.keep) continue;
    const std::string path = folder + "/" + decision.name;
    if (::unlink(path.c_str()) == 0 || errno == ENOENT) {
      outcome.deleted.push_back(decision);
    } else {
      outcome.errors.push_back(path + ": " + std::strerror(errno));
    }
  }
  if (!outcome.deleted.empty()) SyncFolder(folder);
  return outcome;
}

}  // namespace immich_maint::sidecar
