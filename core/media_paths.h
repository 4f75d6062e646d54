// Path rules of the orphan scan, kept apart from the file system: which database columns name
// files, how a database path maps to a path under the media location (Immich installs move:
// /usr/src/app/upload became /data), and what the scan may do with a file in each folder.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace immich_maint::core {

struct PathColumn {
  const char* table;   // unquoted name, e.g. "user"
  const char* column;  // unquoted name, e.g. "profileImagePath"
};

// The columns that name files (reference §5) and their older Immich names (plural tables,
// per-asset path columns). The scan reads those that exist and skips the rest.
const std::vector<PathColumn>& ReferencedPathColumns();

// `path` relative to `prefix` (a trailing slash on prefix is ignored), with "//" and "."
// components collapsed; nullopt when path is not under prefix + "/", or has a ".." component.
std::optional<std::string> RelativeUnderPrefix(std::string_view path, std::string_view prefix);

// The storage folder a media-relative path lies in ("upload/u1/a.jpg" -> "upload"); empty
// when its first component is not one of the six, or nothing lies below it.
std::string_view FolderOfRelative(std::string_view relative);

// --delete-regenerable may delete orphans in thumbs and encoded-video only: Immich rebuilds
// those. Originals, avatars and backups are never deleted by the scan.
bool MayDeleteOrphan(std::string_view folder);

// Names the scan never reports or moves: Immich's `.immich` markers (at any depth).
bool IsSkippedName(std::string_view name);

inline constexpr std::string_view kQuarantineFolder = ".immich_maint-quarantine";

// ".immich_maint-quarantine/<stamp>/<relative>"
std::string QuarantineRelative(std::string_view stamp, std::string_view relative);

// Whether a media-relative path lies in the quarantine folder (never scanned).
bool IsInQuarantine(std::string_view relative);

// The media location the database's paths start with: the candidate that most sample paths
// start with as <candidate>/<one of the six folders>/...; ties go to the earlier candidate;
// nullopt when no sample path starts with any candidate.
std::optional<std::string> DetectDbMediaPrefix(const std::vector<std::string>& sample,
                                               const std::vector<std::string>& candidates);

}  // namespace immich_maint::core
