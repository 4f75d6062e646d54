// Tests for the content-defined reset finder: the points depend on the bytes alone (not on how
// they arrive), keep their minimum distance and mean spacing, and survive an insertion upstream.
#include "sidecar/content_resets.h"

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"

namespace immich_maint::sidecar {
namespace {

std::vector<std::uint8_t> RandomBytes(std::size_t size, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> bytes(size);
  for (auto& byte : bytes) byte = static_cast<std::uint8_t>(rng());
  return bytes;
}

// Text with dump-like lines: repetitive structure, varying values.
std::vector<std::uint8_t> TextBytes(std::size_t size, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string text;
  while (text.size() < size) {
    text += "INSERT INTO public.tag (id, value) VALUES (" + std::to_string(rng() % 100000000) +
            ", 'place/" + std::to_string(rng() % 9999) + "/album " + std::to_string(rng() % 777) +
            "');\n";
  }
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

// Feeds data in chunks of random sizes from 1 to max_chunk.
std::vector<std::uint64_t> OffsetsInChunks(const std::vector<std::uint8_t>& data,
                                           std::size_t max_chunk, std::uint64_t seed) {
  ContentResets finder;
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> offsets;
  for (std::size_t pos = 0; pos < data.size();) {
    std::size_t chunk = std::min<std::size_t>(1 + rng() % max_chunk, data.size() - pos);
    while (chunk > 0) {
      const ResetStep step = finder.Next(data.data() + pos, chunk);
      if (step.reset_after) offsets.push_back(finder.offset());
      pos += step.length;
      chunk -= step.length;
    }
  }
  return offsets;
}

std::vector<std::uint64_t> Offsets(const std::vector<std::uint8_t>& data,
                                   ResetOptions options = {}) {
  return FindResetOffsets(data.data(), data.size(), options);
}

// The reset points are part of the backup format (yesterday's file must share today's bytes,
// across versions of immich-maintd): the definition, written plainly here with its own copy of
// the gear table, pins them.
std::vector<std::uint64_t> ReferenceOffsets(const std::vector<std::uint8_t>& data, ResetOptions o) {
  std::array<std::uint64_t, 256> gear{};
  std::uint64_t state = 0x696D6D6963685F6DULL;
  for (auto& entry : gear) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    entry = z ^ (z >> 31);
  }
  const std::uint64_t top = ~std::uint64_t{0} << (64 - o.mask_bits);
  std::vector<std::uint64_t> offsets;
  std::uint64_t hash = 0;
  std::uint64_t last = 0;
  for (std::uint64_t i = 0; i < data.size(); ++i) {
    hash = (hash << 1) + gear[data[i]];
    if ((hash & top) == 0 && i + 1 - last >= o.min_distance) offsets.push_back(last = i + 1);
  }
  return offsets;
}

TEST(ContentResets, PointsAreTheFormatsDefinition) {
  for (const ResetOptions options : {ResetOptions{}, ResetOptions{64, 8}, ResetOptions{100, 12}}) {
    for (const auto& data : {RandomBytes(3 << 20, 5), TextBytes(3 << 20, 6)}) {
      const auto expected = ReferenceOffsets(data, options);
      EXPECT_GT(expected.size(), 3u);
      EXPECT_EQ(Offsets(data, options), expected) << options.min_distance << "/" << options.mask_bits;
    }
  }
}

TEST(ContentResets, PointsDoNotDependOnHowInputIsSplit) {
  for (const auto& data : {RandomBytes(8 << 20, 1), TextBytes(8 << 20, 2)}) {
    const auto whole = Offsets(data);
    ASSERT_GT(whole.size(), 5u);
    EXPECT_EQ(OffsetsInChunks(data, 1, 3), whole) << "byte-at-a-time feeding moved points";
    EXPECT_EQ(OffsetsInChunks(data, 100, 4), whole) << "small chunks moved points";
    EXPECT_EQ(OffsetsInChunks(data, 1 << 20, 5), whole) << "large chunks moved points";
  }
}

TEST(ContentResets, KeepTheMinimumDistance) {
  ResetOptions options;
  options.min_distance = 100000;
  options.mask_bits = 12;  // would trigger every ~4 KB without the minimum
  const auto offsets = Offsets(RandomBytes(4 << 20, 6), options);
  ASSERT_FALSE(offsets.empty());
  std::uint64_t previous = 0;
  for (std::uint64_t offset : offsets) {
    EXPECT_GE(offset - previous, options.min_distance) << "reset at " << offset;
    previous = offset;
  }
}

TEST(ContentResets, MeanSpacingIsAFewHundredKilobytes) {
  for (const auto& data : {RandomBytes(64 << 20, 7), TextBytes(64 << 20, 8)}) {
    const auto offsets = Offsets(data);
    ASSERT_GT(offsets.size(), 50u);
    const double mean = static_cast<double>(offsets.back()) / static_cast<double>(offsets.size());
    // Expected: 64 KiB minimum + 256 KiB mean wait = 320 KiB.
    EXPECT_GT(mean, 0.7 * 320 * 1024) << "mean spacing " << mean;
    EXPECT_LT(mean, 1.4 * 320 * 1024) << "mean spacing " << mean;
  }
}

TEST(ContentResets, NoneInInputShorterThanTheMinimumDistance) {
  EXPECT_TRUE(Offsets(RandomBytes(64 * 1024 - 1, 9)).empty());
}

TEST(ContentResets, ResynchroniseAfterAnInsertion) {
  const auto original = TextBytes(16 << 20, 10);
  auto modified = original;
  const std::string row = "INSERT INTO public.tag (id, value) VALUES (1, 'new');\n";
  const std::size_t at = 5000;
  modified.insert(modified.begin() + at, row.begin(), row.end());
  const auto before = Offsets(original);
  const auto after = Offsets(modified);
  ASSERT_GT(before.size(), 10u);
  // Every point after the first two downstream of the edit is the same point, shifted.
  std::vector<std::uint64_t> shifted_tail;
  for (std::uint64_t offset : before) {
    if (offset > before[1]) shifted_tail.push_back(offset + row.size());
  }
  std::vector<std::uint64_t> after_tail(after.end() - shifted_tail.size(), after.end());
  EXPECT_EQ(after_tail, shifted_tail);
}

TEST(ContentResets, DifferentContentGivesDifferentPoints) {
  EXPECT_NE(Offsets(RandomBytes(4 << 20, 11)), Offsets(RandomBytes(4 << 20, 12)));
}

TEST(ContentResets, RefuseOptionsOutsideTheirRanges) {
  ResetOptions small;
  small.min_distance = 63;
  EXPECT_THROW(ContentResets{small}, core::Failure);
  ResetOptions no_bits;
  no_bits.mask_bits = 0;
  EXPECT_THROW(ContentResets{no_bits}, core::Failure);
  ResetOptions too_many;
  too_many.mask_bits = 41;
  try {
    ContentResets finder(too_many);
    FAIL() << "mask_bits 41 accepted";
  } catch (const core::Failure& failure) {
    EXPECT_EQ(failure.error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_EQ(failure.error().message, "reset mask_bits 41 is out of range");
  }
}

TEST(ContentResets, CountsAndOffsetTrackTheStream) {
  const auto data = RandomBytes(2 << 20, 13);
  ContentResets finder;
  std::size_t found = 0;
  for (std::size_t pos = 0; pos < data.size();) {
    const ResetStep step = finder.Next(data.data() + pos, data.size() - pos);
    ASSERT_GT(step.length, 0u);
    pos += step.length;
    found += step.reset_after ? 1 : 0;
    EXPECT_EQ(finder.offset(), pos);
  }
  EXPECT_EQ(finder.resets(), found);
}

}  // namespace
}  // namespace immich_maint::sidecar
