// Compact path set and the missing-file split.
#include "core/orphan_diff.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace immich_maint::core {

namespace {
constexpr std::size_t kBlockBytes = 4 << 20;
}  // namespace

void PathSet::Add(std::string_view path) {
  if (path.size() > 0xffffffffu) throw std::length_error("path too long");
  if (block_used_ + path.size() > block_size_) {
    block_size_ = std::max(kBlockBytes, path.size());
    blocks_.emplace_back(new char[block_size_]);
    block_used_ = 0;
  }
  char* data = blocks_.back().get() + block_used_;
  std::memcpy(data, path.data(), path.size());
  block_used_ += path.size();
  entries_.push_back({data, static_cast<std::uint32_t>(path.size())});
}

void PathSet::Seal() {
  const auto view = [](const Entry& e) { return std::string_view(e.data, e.length); };
  std::sort(entries_.begin(), entries_.end(),
            [&](const Entry& a, const Entry& b) { return view(a) < view(b); });
  entries_.erase(std::unique(entries_.begin(), entries_.end(),
                             [&](const Entry& a, const Entry& b) { return view(a) == view(b); }),
                 entries_.end());
  entries_.shrink_to_fit();
  seen_.assign(entries_.size(), 0);
}

std::size_t PathSet::Find(std::string_view path) const {
  const auto it = std::lower_bound(
      entries_.begin(), entries_.end(), path,
      [](const Entry& e, std::string_view p) { return std::string_view(e.data, e.length) < p; });
  if (it == entries_.end() || std::string_view(it->data, it->length) != path)
    return entries_.size();
  return static_cast<std::size_t>(it - entries_.begin());
}

bool PathSet::MarkSeen(std::string_view path) {
  const std::size_t index = Find(path);
  if (index == entries_.size()) return false;
  seen_[index] = 1;
  return true;
}

bool PathSet::Contains(std::string_view path) const { return Find(path) != entries_.size(); }

std::size_t PathSet::memory_bytes() const {
  return blocks_.size() * kBlockBytes + entries_.capacity() * sizeof(Entry) + seen_.capacity();
}

namespace {

// Whether `path` lies under one of the sorted folders (a folder is under itself too).
bool UnderAny(std::string_view path, const std::vector<std::string>& folders) {
  auto it = std::upper_bound(folders.begin(), folders.end(), path,
                             [](std::string_view p, const std::string& f) { return p < f; });
  while (it != folders.begin()) {
    --it;
    const std::string_view folder = *it;
    if (path.substr(0, folder.size()) != folder) continue;
    if (path.size() == folder.size() || path[folder.size()] == '/') return true;
  }
  return false;
}

}  // namespace

MissingPaths FindMissing(const PathSet& set, std::vector<std::string> unreadable) {
  std::sort(unreadable.begin(), unreadable.end());
  MissingPaths result;
  for (std::size_t i = 0; i < set.size(); ++i) {
    if (set.seen(i)) continue;
    (UnderAny(set.at(i), unreadable) ? result.unverified : result.missing).push_back(i);
  }
  return result;
}

}  // namespace immich_maint::core
