// Database path -> media-relative path, and what the scan may do in each folder.
#include "core/media_paths.h"

#include "core/storage_folders.h"

namespace immich_maint::core {

const std::vector<PathColumn>& ReferencedPathColumns() {
  static const std::vector<PathColumn> kColumns = {
      {"asset", "originalPath"},   {"asset_file", "path"},         {"user", "profileImagePath"},
      {"person", "thumbnailPath"}, {"asset", "sidecarPath"},       {"asset", "encodedVideoPath"},
      {"asset", "thumbnailPath"},  {"asset", "previewPath"},       {"assets", "originalPath"},
      {"assets", "sidecarPath"},   {"assets", "encodedVideoPath"}, {"assets", "resizePath"},
      {"assets", "webpPath"},      {"assets", "thumbnailPath"},    {"assets", "previewPath"},
      {"asset_files", "path"},     {"users", "profileImagePath"},
  };
  return kColumns;
}

namespace {

std::string_view WithoutTrailingSlashes(std::string_view text) {
  while (text.size() > 1 && text.back() == '/') text.remove_suffix(1);
  return text;
}

// Appends the components of `rest`, skipping empty and "." ones; false on "..".
bool AppendNormalised(std::string_view rest, std::string& out) {
  while (!rest.empty()) {
    const std::size_t slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") return false;
    if (!out.empty()) out += '/';
    out.append(part);
  }
  return true;
}

}  // namespace

std::optional<std::string> RelativeUnderPrefix(std::string_view path, std::string_view prefix) {
  prefix = WithoutTrailingSlashes(prefix);
  const bool root = prefix == "/";
  if (path.substr(0, prefix.size()) != prefix) return std::nullopt;
  if (!root && (path.size() <= prefix.size() || path[prefix.size()] != '/')) return std::nullopt;
  std::string relative;
  if (!AppendNormalised(path.substr(prefix.size()), relative) || relative.empty())
    return std::nullopt;
  return relative;
}

std::string_view FolderOfRelative(std::string_view relative) {
  const std::size_t slash = relative.find('/');
  if (slash == std::string_view::npos || slash + 1 == relative.size()) return {};
  const std::string_view first = relative.substr(0, slash);
  return FindStorageFolder(first) != nullptr ? first : std::string_view();
}

bool MayDeleteOrphan(std::string_view folder) {
  const StorageFolderSpec* spec = FindStorageFolder(folder);
  return spec != nullptr && spec->regenerable;
}

bool IsSkippedName(std::string_view name) { return name == ".immich"; }

std::string QuarantineRelative(std::string_view stamp, std::string_view relative) {
  std::string out(kQuarantineFolder);
  out.append("/").append(stamp).append("/").append(relative);
  return out;
}

bool IsInQuarantine(std::string_view relative) {
  return relative.substr(0, kQuarantineFolder.size()) == kQuarantineFolder &&
         (relative.size() == kQuarantineFolder.size() || relative[kQuarantineFolder.size()] == '/');
}

std::optional<std::string> DetectDbMediaPrefix(const std::vector<std::string>& sample,
                                               const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_votes = 0;
  for (const std::string& candidate : candidates) {
    std::size_t votes = 0;
    for (const std::string& path : sample) {
      const auto relative = RelativeUnderPrefix(path, candidate);
      if (relative && !FolderOfRelative(*relative).empty()) ++votes;
    }
    if (votes > best_votes)
      best = std::string(WithoutTrailingSlashes(candidate)), best_votes = votes;
  }
  return best;
}

}  // namespace immich_maint::core
