// Pins core/media_paths.h: database paths mapped under the media location (moved installs,
// odd spellings, escapes refused), folder of a path, what may be deleted, quarantine paths,
// and the detection of the prefix the database's paths use.
#include "core/media_paths.h"

#include <gtest/gtest.h>

namespace immich_maint::core {
namespace {

TEST(MediaPaths, RelativeUnderPrefixStripsAndNormalises) {
  EXPECT_EQ(RelativeUnderPrefix("/data/upload/u1/a.jpg", "/data").value(), "upload/u1/a.jpg");
  EXPECT_EQ(RelativeUnderPrefix("/data//upload/./u1/a.jpg", "/data/").value(), "upload/u1/a.jpg");
  EXPECT_EQ(RelativeUnderPrefix("/upload/u1/a.jpg", "/").value(), "upload/u1/a.jpg");
  EXPECT_EQ(RelativeUnderPrefix("upload/library/admin/a.jpg", "upload").value(),
            "library/admin/a.jpg");
}

TEST(MediaPaths, RelativeUnderPrefixRefusesOtherTreesAndEscapes) {
  EXPECT_FALSE(RelativeUnderPrefix("/database/upload/a.jpg", "/data"));
  EXPECT_FALSE(RelativeUnderPrefix("/mnt/photos/a.jpg", "/data"));
  EXPECT_FALSE(RelativeUnderPrefix("/data", "/data"));
  EXPECT_FALSE(RelativeUnderPrefix("/data/", "/data"));
  EXPECT_FALSE(RelativeUnderPrefix("/data/upload/../../etc/passwd", "/data"));
}

TEST(MediaPaths, FolderOfRelativeIsOneOfTheSix) {
  EXPECT_EQ(FolderOfRelative("upload/u1/a.jpg"), "upload");
  EXPECT_EQ(FolderOfRelative("encoded-video/u1/a.mp4"), "encoded-video");
  EXPECT_EQ(FolderOfRelative("other/a.jpg"), "");
  EXPECT_EQ(FolderOfRelative("upload"), "");
  EXPECT_EQ(FolderOfRelative("upload/"), "");
}

TEST(MediaPaths, OnlyRegenerableFoldersMayHaveOrphansDeleted) {
  EXPECT_TRUE(MayDeleteOrphan("thumbs"));
  EXPECT_TRUE(MayDeleteOrphan("encoded-video"));
  for (const char* folder : {"upload", "library", "profile", "backups", "elsewhere"}) {
    EXPECT_FALSE(MayDeleteOrphan(folder)) << folder;
  }
}

TEST(MediaPaths, MarkersSkippedQuarantineRecognised) {
  EXPECT_TRUE(IsSkippedName(".immich"));
  EXPECT_FALSE(IsSkippedName(".immich2"));
  EXPECT_EQ(QuarantineRelative("20250730T020000", "upload/u1/a b.jpg"),
            ".immich_maint-quarantine/20250730T020000/upload/u1/a b.jpg");
  EXPECT_TRUE(IsInQuarantine(".immich_maint-quarantine/x/upload/a"));
  EXPECT_TRUE(IsInQuarantine(".immich_maint-quarantine"));
  EXPECT_FALSE(IsInQuarantine(".immich_maint-quarantined/a"));
}

TEST(MediaPaths, CurrentColumnsComeFirst) {
  const auto& columns = ReferencedPathColumns();
  ASSERT_GE(columns.size(), 4u);
  EXPECT_EQ(std::string(columns[0].table) + "." + columns[0].column, "asset.originalPath");
  EXPECT_EQ(std::string(columns[1].table) + "." + columns[1].column, "asset_file.path");
  EXPECT_EQ(std::string(columns[2].table) + "." + columns[2].column, "user.profileImagePath");
  EXPECT_EQ(std::string(columns[3].table) + "." + columns[3].column, "person.thumbnailPath");
}

TEST(MediaPaths, PrefixDetectionPicksTheCandidateMostPathsUse) {
  const std::vector<std::string> candidates = {"/srv/immich", "/data", "/usr/src/app/upload",
                                               "upload"};
  EXPECT_EQ(DetectDbMediaPrefix({"/usr/src/app/upload/upload/u1/a.jpg",
                                 "/usr/src/app/upload/thumbs/u1/a.webp", "/data/notes.txt"},
                                candidates)
                .value(),
            "/usr/src/app/upload");
  EXPECT_EQ(DetectDbMediaPrefix({"upload/library/admin/a.jpg"}, candidates).value(), "upload");
  EXPECT_EQ(DetectDbMediaPrefix({"/srv/immich/profile/u1/p.jpg"}, candidates).value(),
            "/srv/immich");
  EXPECT_FALSE(DetectDbMediaPrefix({"/mnt/photos/a.jpg"}, candidates).has_value());
  EXPECT_FALSE(DetectDbMediaPrefix({}, candidates).has_value());
}

}  // namespace
}  // namespace immich_maint::core
