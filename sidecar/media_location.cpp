// Media location resolution, matching Immich's server.
#include "sidecar/media_location.h"

#include <cstdlib>
#include <filesystem>

namespace immich_maint::sidecar {

namespace {
bool IsFolder(const char* path) {
  std::error_code ignored;
  return std::filesystem::is_directory(path, ignored);
}
}  // namespace

std::string ResolveMediaLocation(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  const char* env = std::getenv("IMMICH_MEDIA_LOCATION");
  if (env != nullptr && *env != '\0') return env;
  const bool data = IsFolder("/data");
  const bool legacy = IsFolder("/usr/src/app/upload");
  if (data && !legacy) return "/data";
  return "/usr/src/app/upload";
}

std::string BackupsFolder(const std::string& media) {
  return (std::filesystem::path(media) / "backups").string();
}

}  // namespace immich_maint::sidecar
