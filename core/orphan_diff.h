// The two sides of the orphan scan compared: the database's paths are held in a compact sorted
// set (one byte arena and 17 bytes per path, no object per path), each marked when the walk
// sees it on disk; what the walk finds unmarked is an orphan, what stays unmarked is missing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace immich_maint::core {

class PathSet {
 public:
  void Add(std::string_view path);  // before Seal only
  void Seal();                      // sorts and drops duplicates
  std::size_t size() const { return entries_.size(); }
  std::string_view at(std::size_t index) const {
    return {entries_[index].data, entries_[index].length};
  }
  bool seen(std::size_t index) const { return seen_[index] != 0; }
  // Marks the path as seen on disk; false when the set does not hold it. Threads may mark
  // different paths at once.
  bool MarkSeen(std::string_view path);
  bool Contains(std::string_view path) const;
  std::size_t memory_bytes() const;

 private:
  struct Entry {
    const char* data;
    std::uint32_t length;
  };
  std::size_t Find(std::string_view path) const;  // index, or size() when absent

  std::vector<std::unique_ptr<char[]>> blocks_;  // never moved, so entries point into them
  std::size_t block_used_ = 0;
  std::size_t block_size_ = 0;
  std::vector<Entry> entries_;
  std::vector<std::uint8_t> seen_;  // bytes, not bits: threads mark different paths at once
};

struct MissingPaths {
  std::vector<std::size_t> missing;     // indexes into the set, in path order
  std::vector<std::size_t> unverified;  // unseen, but under a folder the walk could not read
};

// The set's unseen paths, split by whether they lie under one of `unreadable` (media-relative
// folder paths the walk could not list).
MissingPaths FindMissing(const PathSet& set, std::vector<std::string> unreadable);

}  // namespace immich_maint::core
