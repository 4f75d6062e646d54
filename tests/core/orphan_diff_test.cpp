// Pins core/orphan_diff.h: the compact path set (sorted, deduplicated, exact byte matches,
// marks) and the split of unseen paths into missing and unverified (under unreadable folders).
#include "core/orphan_diff.h"

#include <gtest/gtest.h>

namespace immich_maint::core {
namespace {

PathSet Sealed(const std::vector<std::string>& paths) {
  PathSet set;
  for (const auto& p : paths) set.Add(p);
  set.Seal();
  return set;
}

TEST(OrphanDiff, SetIsSortedDeduplicatedAndExact) {
  const PathSet set = Sealed({"upload/b", "upload/a", "upload/b", std::string("upload/\xff", 8)});
  ASSERT_EQ(set.size(), 3u);
  EXPECT_EQ(set.at(0), "upload/a");
  EXPECT_EQ(set.at(1), "upload/b");
  EXPECT_TRUE(set.Contains(std::string("upload/\xff", 8)));
  EXPECT_FALSE(set.Contains("upload/a "));
  EXPECT_FALSE(set.Contains("upload"));
}

TEST(OrphanDiff, UnseenPathsAreMissingUnlessUnderAnUnreadableFolder) {
  PathSet set = Sealed({"upload/u1/a.jpg", "upload/u1/b.jpg", "upload/u2/c.jpg", "upload/u2x/d.jpg",
                        "thumbs/u1/a.webp"});
  EXPECT_TRUE(set.MarkSeen("upload/u1/a.jpg"));
  EXPECT_FALSE(set.MarkSeen("upload/u1/orphan.jpg"));
  const MissingPaths result = FindMissing(set, {"upload/u2", "thumbs"});
  std::vector<std::string> missing, unverified;
  for (auto i : result.missing) missing.emplace_back(set.at(i));
  for (auto i : result.unverified) unverified.emplace_back(set.at(i));
  EXPECT_EQ(missing, (std::vector<std::string>{"upload/u1/b.jpg", "upload/u2x/d.jpg"}));
  EXPECT_EQ(unverified, (std::vector<std::string>{"thumbs/u1/a.webp", "upload/u2/c.jpg"}));
}

TEST(OrphanDiff, ManyPathsStayCompact) {
  PathSet set;
  const std::string dir = "upload/0b6f1c2e-5d1a-4c0e-9a51-3c6f2b7d8e90/ab/cd/";
  for (int i = 0; i < 400000; ++i) set.Add(dir + std::to_string(i) + ".jpg");
  set.Seal();
  EXPECT_EQ(set.size(), 400000u);
  EXPECT_TRUE(set.Contains(dir + "399999.jpg"));
  // ~60 bytes of text and 16 of index per path, in 4 MiB blocks; a std::set<std::string> would
  // take about twice that.
  EXPECT_LT(set.memory_bytes(), 400000u * 90);
}

}  // namespace
}  // namespace immich_maint::core
