// Content-defined reset points: a gear rolling hash (one shift and one table add per byte)
// whose top bits, all zero, mark a reset. The table is fixed, so every run of every build picks
// the same points and yesterday's backup shares its compressed bytes with today's.
#include "sidecar/content_resets.h"

#include <algorithm>
#include <array>
#include <string>

#include "core/error.h"

namespace immich_maint::sidecar {
namespace {

// A 64-bit hash shifted left once per byte forgets a byte after 64 steps: the window.
constexpr std::uint64_t kWindow = 64;

// splitmix64: a fixed, well-mixed sequence for the byte table. Changing the seed would move
// every reset point and break dedupe against older backups, so it is part of the format.
constexpr std::uint64_t SplitMix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

constexpr std::array<std::uint64_t, 256> MakeGearTable() {
  std::array<std::uint64_t, 256> table{};
  std::uint64_t state = 0x696D6D6963685F6DULL;  // "immich_m"
  for (auto& entry : table) entry = SplitMix64(state);
  return table;
}

constexpr std::array<std::uint64_t, 256> kGear = MakeGearTable();

void CheckOptions(const ResetOptions& options) {
  if (options.min_distance < kWindow) {
    throw core::Failure(core::MakeError(
        core::ErrorCode::kInvalidArgument,
        "reset min_distance " + std::to_string(options.min_distance) + " is too small", "",
        "Use a min_distance of at least 64 bytes."));
  }
  if (options.mask_bits < 1 || options.mask_bits > 40) {
    throw core::Failure(
        core::MakeError(core::ErrorCode::kInvalidArgument,
                        "reset mask_bits " + std::to_string(options.mask_bits) + " is out of range",
                        "", "Use mask_bits from 1 to 40."));
  }
}

}  // namespace

ContentResets::ContentResets(ResetOptions options) : options_(options), top_mask_(0) {
  CheckOptions(options_);
  top_mask_ = ~std::uint64_t{0} << (64 - options_.mask_bits);
}

// Bytes more than a window before the first allowed reset cannot influence any hash that is
// checked, so they are skipped unhashed: the points found are the same, the scan is faster.
std::size_t ContentResets::SkipUnhashed(std::size_t size) {
  const std::uint64_t hash_from = last_reset_ + options_.min_distance - kWindow;
  if (offset_ >= hash_from) return 0;
  const auto skip = static_cast<std::size_t>(std::min<std::uint64_t>(size, hash_from - offset_));
  offset_ += skip;
  return skip;
}

// The hot loop works on locals: data may alias the members (it is a byte pointer), so hashing
// into hash_ directly would store it on every byte.
ResetStep ContentResets::Next(const std::uint8_t* data, std::size_t size) {
  const std::size_t skipped = SkipUnhashed(size);
  const std::uint64_t start = offset_ - skipped;  // offset before data[0]
  const std::uint64_t allowed = last_reset_ + options_.min_distance;  // first offset that may reset
  const std::uint64_t mask = top_mask_;
  std::uint64_t hash = hash_;
  for (std::size_t i = skipped; i < size; ++i) {
    hash = (hash << 1) + kGear[data[i]];
    if ((hash & mask) == 0 && start + i + 1 >= allowed) {
      hash_ = hash;
      offset_ = start + i + 1;
      last_reset_ = offset_;
      ++resets_;
      return {i + 1, true};
    }
  }
  hash_ = hash;
  offset_ = start + size;
  return {size, false};
}

std::vector<std::uint64_t> FindResetOffsets(const std::uint8_t* data, std::size_t size,
                                            ResetOptions options) {
  ContentResets finder(options);
  std::vector<std::uint64_t> offsets;
  while (size > 0) {
    const ResetStep step = finder.Next(data, size);
    if (step.reset_after) offsets.push_back(finder.offset());
    data += step.length;
    size -= step.length;
  }
  return offsets;
}

}  // namespace immich_maint::sidecar
