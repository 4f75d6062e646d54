// Content-defined reset points for the gzip encoder: the idea of `gzip --rsyncable`, but sparse.
// A rolling hash over the last 64 input bytes picks reset offsets from the content itself, so an
// edit early in a dump moves no reset point after it and the compressed bytes resynchronise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace immich_maint::sidecar {

struct ResetOptions {
  // No reset closer than this to the previous one (or to the start). Each reset costs space
  // (a plain full flush, as zlib does, ~750 bytes: design.md, Pitfalls; ISA-L restarting from a
  // dictionary ~40 bytes), so clustering resets would waste it. >= 64.
  std::uint64_t min_distance = std::uint64_t{64} * 1024;
  // Past min_distance, a reset comes on average every 2^mask_bits bytes: 18 gives ~256 KiB,
  // so the mean spacing is ~320 KiB. 1..40.
  unsigned mask_bits = 18;
};

// One step of a scan: `length` bytes were consumed; if `reset_after`, a reset belongs right
// after them.
struct ResetStep {
  std::size_t length = 0;
  bool reset_after = false;
};

// Stateful finder. Its answers depend only on the bytes fed so far, never on how they were split
// into calls: the same stream always yields the same reset offsets.
class ContentResets {
 public:
  // Throws core::Failure (kInvalidArgument) on options outside the documented ranges.
  explicit ContentResets(ResetOptions options = {});

  // Consumes bytes from the front of data up to and including the next reset point, or all of
  // them if none falls inside. Empty data consumes nothing.
  ResetStep Next(const std::uint8_t* data, std::size_t size);

  std::uint64_t offset() const { return offset_; }  // bytes consumed so far
  std::uint64_t resets() const { return resets_; }  // reset points found so far

 private:
  std::size_t SkipUnhashed(std::size_t size);

  ResetOptions options_;
  std::uint64_t top_mask_;
  std::uint64_t hash_ = 0;
  std::uint64_t offset_ = 0;
  std::uint64_t last_reset_ = 0;
  std::uint64_t resets_ = 0;
};

// Every reset offset (bytes before the reset) in one buffer: for tests and benchmarks.
std::vector<std::uint64_t> FindResetOffsets(const std::uint8_t* data, std::size_t size,
                                            ResetOptions options = {});

}  // namespace immich_maint::sidecar
