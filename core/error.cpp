// The table of error codes: SQLSTATE for the extension, exit status for the sidecar.
// Exit statuses start at 3: 1 is a generic failure and 2 is a usage error (CLI11's convention).
#include "error.h"

namespace immich_maint::core {

const ErrorInfo& Describe(ErrorCode code) {
  static const ErrorInfo kTable[] = {
      {"internal", "XX000", 70},
      {"invalid_argument", "22023", 3},
      {"invalid_backup_name", "22023", 4},
      {"invalid_keep_count", "22023", 5},
      {"invalid_schedule", "22023", 6},
      {"unknown_job", "22023", 7},
      {"not_found", "58P01", 8},
      {"permission_denied", "42501", 9},
      {"connection_failed", "08006", 10},
      {"unsupported_server", "0A000", 11},
      {"io_error", "58030", 12},
      {"corrupt_backup", "XX001", 13},
      {"dump_failed", "38000", 14},
      {"restore_failed", "38000", 15},
      {"timeout", "57014", 16},
      {"busy", "55P03", 17},
      {"not_mounted", "58P01", 18},
  };
  const auto index = static_cast<std::size_t>(code);
  if (index >= sizeof(kTable) / sizeof(kTable[0])) return kTable[0];
  return kTable[index];
}

Error MakeError(ErrorCode code, std::string message, std::string detail, std::string hint) {
  return Error{code, std::move(message), std::move(detail), std::move(hint)};
}

}  // namespace immich_maint::core
