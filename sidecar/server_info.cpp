// Server and installation checks shared by backup, restore and storage jobs.
#include "sidecar/server_info.h"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "core/error.h"

namespace immich_maint::sidecar {

int SupportedServerMajor(const std::string& server_version) {
  const int major = std::atoi(server_version.c_str());
  if (major < 14 || major > 18) {
    throw core::Failure(core::MakeError(core::ErrorCode::kUnsupportedServer,
                                        "unsupported PostgreSQL version: " + server_version, {},
                                        "Immich supports PostgreSQL 14 to 18."));
  }
  return major;
}

std::string ClientBinary(const std::string& tool, int major, const std::string& bin_dir) {
  const std::string dir =
      bin_dir.empty() ? "/usr/lib/postgresql/" + std::to_string(major) + "/bin" : bin_dir;
  const std::string path = dir + "/" + tool;
  if (::access(path.c_str(), X_OK) != 0) {
    throw core::Failure(core::MakeError(
        core::ErrorCode::kUnsupportedServer,
        tool + " for PostgreSQL " + std::to_string(major) + " not found: " + path,
        "A dump must be made with the client of the server's major version.",
        "Install postgresql-client-" + std::to_string(major) + ", or point --pg-bin at its bin folder."));
  }
  return path;
}

bool TableExists(PgConnection& conn, const std::string& name) {
  return conn.Value("SELECT to_regclass($1) IS NOT NULL", {name}) == std::optional<std::string>("t");
}

std::string ImmichVersion(PgConnection& conn, const std::string& override_version) {
  if (!override_version.empty()) return override_version;
  if (TableExists(conn, "version_history")) {
    const auto version = conn.Value(
        "SELECT version FROM version_history ORDER BY \"createdAt\" DESC, id DESC LIMIT 1");
    if (version && !version->empty()) return *version;
  }
  // Immich's .env sets IMMICH_VERSION to an image tag ("release", "v2.5.0"): only a version is
  // usable in a file name.
  const char* env = std::getenv("IMMICH_VERSION");
  const std::string tag = env == nullptr ? "" : env;
  const std::size_t digit = tag.rfind('v', 0) == 0 ? 1 : 0;
  if (tag.size() > digit && std::isdigit(static_cast<unsigned char>(tag[digit]))) return tag;
  return "0.0.0";
}

void CheckFolderMounted(PgConnection& conn, const std::string& media, const std::string& folder_name) {
  const std::string marker = media + "/" + folder_name + "/.immich";
  std::error_code unreadable;  // a folder we may not search fails later, when we write to it
  const bool present = std::filesystem::exists(marker, unreadable);
  if (present || unreadable || !TableExists(conn, "system_metadata")) return;
  const auto flag = conn.Value(
      "SELECT value->'mountChecks'->>$1 FROM system_metadata WHERE key = 'system-flags'",
      {folder_name});
  if (flag && *flag == "true") {
    throw core::Failure(core::MakeError(
        core::ErrorCode::kNotMounted,
        "the " + folder_name + " folder is not mounted: " + marker + " is missing",
        "Immich saw this folder mounted before (system-flags.mountChecks." + folder_name + ").",
        "Mount the volume that holds " + media + "/" + folder_name + " and try again."));
  }
}

}  // namespace immich_maint::sidecar
