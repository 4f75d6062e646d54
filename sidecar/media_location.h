// Where Immich keeps its files: the media location and the folders under it.
// Resolved exactly as Immich's server does (reference/immich.md §1), so a sidecar in Immich's
// compose file finds the same folder with the same environment.
#pragma once

#include <string>

namespace immich_maint::sidecar {

// --media wins, then IMMICH_MEDIA_LOCATION, then whichever of /data and /usr/src/app/upload
// exists (both or neither: /usr/src/app/upload).
std::string ResolveMediaLocation(const std::string& flag_value);

// <media>/backups
std::string BackupsFolder(const std::string& media);

}  // namespace immich_maint::sidecar
