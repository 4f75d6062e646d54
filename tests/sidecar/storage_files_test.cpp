// The file side of the storage jobs without a database: the storage check on a temp media
// folder, the walk (symlinks reported, never followed), quarantine and deletion of orphans, and
// JSON of names that are not UTF-8 (nlohmann::json would throw on them unescaped).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/path_text.h"
#include "sidecar/media_walk.h"
#include "sidecar/orphan_actions.h"
#include "sidecar/orphan_scan.h"
#include "sidecar/storage_check.h"
#include "tests/support/run_command.h"

namespace immich_maint::sidecar {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class StorageCheckFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* f : {"upload", "library", "profile", "backups", "thumbs", "encoded-video"}) {
      media_.Write(std::string(f) + "/.immich", "1700000000000");
    }
    media_.Write("upload/u1/a.jpg", "a");
    media_.Write("upload/u2/b.jpg", "b");
  }
  std::map<std::string, const FolderReport*> ByName(const StorageReport& report) {
    std::map<std::string, const FolderReport*> by;
    for (const auto& f : report.folders) by[f.seen.folder] = &f;
    return by;
  }
  TempDir media_;
};

TEST_F(StorageCheckFiles, GoodTreeIsOkWithImmichsEntryCountAndRewrittenMarkers) {
  const StorageReport report = CheckStorage(media_.path(), {"upload", "library"});
  EXPECT_FALSE(report.failure.has_value());
  auto by = ByName(report);
  ASSERT_EQ(by.size(), 6u);
  EXPECT_EQ(*by["upload"]->entries, 2u);  // u1, u2; .immich excluded
  EXPECT_EQ(*by["library"]->entries, 0u);
  EXPECT_TRUE(by["upload"]->free_bytes.has_value());
  const std::string marker = Read(media_.path() + "/upload/.immich");
  EXPECT_GT(std::stoll(marker), 1700000000000LL) << marker;
  const auto left =
      std::distance(fs::directory_iterator(media_.path() + "/library"), fs::directory_iterator());
  EXPECT_EQ(left, 1) << "only the marker: the write probe is removed";
}

TEST_F(StorageCheckFiles, FlaggedFolderWithoutMarkerIsNotMountedAndLeftUntouched) {
  fs::remove(media_.path() + "/profile/.immich");
  const StorageReport report = CheckStorage(media_.path(), {"profile"});
  ASSERT_TRUE(report.failure.has_value());
  EXPECT_EQ(report.failure->message,
            "the profile folder is not mounted: " + media_.path() + "/profile/.immich is missing");
  EXPECT_FALSE(fs::exists(media_.path() + "/profile/.immich"))
      << "a check must not recreate the marker";
  const nlohmann::json json = StorageReportJson(report);
  EXPECT_EQ(json["ok"], false);
  EXPECT_EQ(json["folders"][2]["status"], "not_mounted");
  EXPECT_EQ(json["folders"][2]["writable"], false);
}

TEST_F(StorageCheckFiles, MarkerlessFolderImmichNeverSawIsOkAndMissingFolderReported) {
  fs::remove(media_.path() + "/thumbs/.immich");
  fs::remove_all(media_.path() + "/encoded-video");
  const StorageReport report = CheckStorage(media_.path(), {});
  EXPECT_FALSE(report.failure.has_value());
  auto by = ByName(report);
  EXPECT_EQ(by["thumbs"]->verdict.status, core::FolderStatus::kOk);
  EXPECT_FALSE(by["thumbs"]->seen.marker);
  EXPECT_EQ(by["encoded-video"]->verdict.status, core::FolderStatus::kMissing);
  EXPECT_FALSE(by["encoded-video"]->entries.has_value());
}

TEST(StorageCheckMedia, MissingMediaLocationIsNotFound) {
  try {
    CheckStorage("/nonexistent/media", {});
    FAIL() << "expected a failure";
  } catch (const core::Failure& failure) {
    EXPECT_EQ(failure.error().message, "media location does not exist: /nonexistent/media");
    EXPECT_EQ(core::Describe(failure.error().code).exit_status, 8);
  }
}

TEST(MediaWalk, ReportsSymlinksWithoutFollowingThem) {
  TempDir media, outside;
  outside.Write("secret/deep.txt", "x");
  media.Write("upload/u1/a.jpg", "a");
  fs::create_directory_symlink(outside.path() + "/secret", media.path() + "/upload/u1/dir-link");
  fs::create_symlink("/etc/passwd", media.path() + "/upload/u1/file-link");
  std::map<std::string, std::string> seen;
  const bool present = WalkStorageFolder(
      media.path(), "upload",
      {[&](const WalkEntry& e) { seen[std::string(e.relative)] = EntryTypeName(e.type); },
       [&](const std::string& r, int) { seen[r] = "unreadable"; }});
  EXPECT_TRUE(present);
  EXPECT_EQ(seen, (std::map<std::string, std::string>{{"upload/u1/a.jpg", "file"},
                                                      {"upload/u1/dir-link", "symlink"},
                                                      {"upload/u1/file-link", "symlink"}}));
  EXPECT_FALSE(WalkStorageFolder(media.path(), "library",
                                 {[](const WalkEntry&) {}, [](const std::string&, int) {}}));
}

TEST(MediaWalk, ThreadsShareTheFoldersAndSeeEachFileOnce) {
  TempDir media;
  std::set<std::string> expected;
  for (int i = 0; i < 400; ++i) {
    const std::string folder = i % 2 ? "thumbs" : "upload";
    const std::string relative = folder + "/user" + std::to_string(i % 3) + "/" +
                                 std::to_string(i % 17) + "/" + std::to_string(i % 5) + "/f" +
                                 std::to_string(i);
    media.Write(relative, "x");
    expected.insert(relative);
  }
  media.Write("upload/top.txt", "t");
  expected.insert("upload/top.txt");
  std::vector<std::vector<std::string>> seen(4);
  std::vector<WalkVisitor> visitors;
  for (auto& list : seen) {
    visitors.push_back({[&list](const WalkEntry& e) { list.emplace_back(e.relative); },
                        [](const std::string& r, int) { ADD_FAILURE() << "unreadable " << r; }});
  }
  const auto present = WalkStorageFolders(media.path(), {"upload", "thumbs", "profile"}, visitors);
  EXPECT_EQ(present, (std::vector<bool>{true, true, false}));
  std::multiset<std::string> all;
  for (const auto& list : seen) all.insert(list.begin(), list.end());
  EXPECT_EQ(all.size(), expected.size()) << "each file exactly once";
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()), expected);
}

OrphanFile Orphan(const std::string& relative, const std::string& folder) {
  OrphanFile o;
  o.relative = relative;
  o.folder = folder;
  return o;
}

TEST(OrphanActions, QuarantineMovesOriginalsDeleteOnlyRegenerable) {
  TempDir media;
  media.Write("upload/u1/x.jpg", "xx");
  media.Write("thumbs/u1/t.webp", "t");
  std::vector<OrphanFile> orphans = {Orphan("upload/u1/x.jpg", "upload"),
                                     Orphan("thumbs/u1/t.webp", "thumbs")};
  OrphanScanOptions options;
  options.quarantine = options.delete_regenerable = true;
  const std::string run_folder = ApplyOrphanActions(media.path(), options, orphans);
  ASSERT_EQ(run_folder.rfind(".immich_maint-quarantine/", 0), 0u) << run_folder;
  EXPECT_EQ(orphans[0].action, "quarantined");
  EXPECT_EQ(orphans[0].moved_to, run_folder + "/upload/u1/x.jpg");
  EXPECT_EQ(Read(media.path() + "/" + orphans[0].moved_to), "xx");
  EXPECT_FALSE(fs::exists(media.path() + "/upload/u1/x.jpg"));
  EXPECT_EQ(orphans[1].action, "deleted");
  EXPECT_FALSE(fs::exists(media.path() + "/thumbs/u1/t.webp"));
  struct stat st {};
  ASSERT_EQ(::stat((media.path() + "/.immich_maint-quarantine").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(OrphanActions, WithoutQuarantineOriginalsStayAndFailuresAreRecorded) {
  TempDir media;
  media.Write("library/a/y.mov", "y");
  std::vector<OrphanFile> orphans = {Orphan("library/a/y.mov", "library"),
                                     Orphan("thumbs/gone.webp", "thumbs")};
  OrphanScanOptions options;
  options.delete_regenerable = true;
  EXPECT_EQ(ApplyOrphanActions(media.path(), options, orphans), "");
  EXPECT_EQ(orphans[0].action, "");
  EXPECT_TRUE(fs::exists(media.path() + "/library/a/y.mov"));
  EXPECT_EQ(orphans[1].action, "failed");
  EXPECT_EQ(orphans[1].error, "cannot delete: No such file or directory");
}

TEST(OrphanReport, NamesThatAreNotUtf8AreEscapedWithTheirBytes) {
  OrphanScanResult result;
  result.media = "/media";
  OrphanFile bad = Orphan(std::string("upload/u1/bad\xff.jpg"), "upload");
  bad.action = "deleted";
  result.orphans.push_back(bad);
  result.missing.push_back(std::string("thumbs/\xfe\n.webp"));
  result.unreadable.emplace_back(std::string("upload/\xfd"), "Permission denied");
  const nlohmann::json json = OrphanScanJson(result, true);
  const std::string text = json.dump();  // throws type_error 316 on invalid UTF-8
  EXPECT_EQ(json["orphan_files"][0]["path"], "upload/u1/bad\\xff.jpg");
  EXPECT_EQ(json["orphan_files"][0]["path_hex"], "75706c6f61642f75312f626164ff2e6a7067");
  EXPECT_EQ(json["missing_files"][0]["path"], "thumbs/\\xfe\n.webp");
  EXPECT_EQ(json["deleted"][0], "upload/u1/bad\\xff.jpg");
  EXPECT_EQ(json["unreadable"][0]["path"], "upload/\\xfd");
  EXPECT_TRUE(core::IsValidUtf8(text));
  const auto rows = FileReportRows(result);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].path, std::string("upload/u1/bad\xff.jpg")) << "rows keep the exact bytes";
  EXPECT_EQ(rows[1].kind, "missing");
  EXPECT_EQ(rows[1].folder, "thumbs");
}

TEST(OrphanReport, FailedActionsFailTheRunNamingTheFirst) {
  OrphanScanResult result;
  result.orphans = {Orphan("upload/a.jpg", "upload"), Orphan("upload/b.jpg", "upload")};
  result.orphans[1].action = "failed";
  result.orphans[1].error = "cannot move to quarantine: Permission denied";
  try {
    ThrowIfActionsFailed(result);
    FAIL() << "expected a failure";
  } catch (const core::Failure& failure) {
    EXPECT_EQ(failure.error().message, "could not move or delete 1 of 2 orphan files");
    EXPECT_EQ(failure.error().detail,
              "The first: upload/b.jpg: cannot move to quarantine: Permission denied.");
    EXPECT_EQ(core::Describe(failure.error().code).exit_status, 12);
  }
}

}  // namespace
}  // namespace immich_maint::sidecar
