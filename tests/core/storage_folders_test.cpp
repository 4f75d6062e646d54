// Pins core/storage_folders.h: Immich's six folders with their properties (§5), Immich's entry
// count rule, and the verdict on each folder with the exact message and exit code.
#include "core/storage_folders.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace immich_maint::core {
namespace {

FolderObservation Good(const std::string& folder) {
  FolderObservation seen;
  seen.folder = folder;
  seen.path = "/data/" + folder;
  seen.exists = seen.readable = seen.writable = seen.marker = seen.mount_checked = true;
  return seen;
}

TEST(StorageFolders, SixFoldersInImmichsOrderWithTheirProperties) {
  std::string names, critical, regenerable, scanned;
  for (const auto& f : StorageFolders()) {
    names += std::string(f.name) + " ";
    if (f.critical) critical += std::string(f.name) + " ";
    if (f.regenerable) regenerable += std::string(f.name) + " ";
    if (f.scanned_for_orphans) scanned += std::string(f.name) + " ";
  }
  EXPECT_EQ(names, "upload library profile backups thumbs encoded-video ");
  EXPECT_EQ(critical, "upload library profile backups ");
  EXPECT_EQ(regenerable, "thumbs encoded-video ");
  EXPECT_EQ(scanned, "upload library profile thumbs encoded-video ");
  EXPECT_EQ(FindStorageFolder("thumbs")->name, std::string("thumbs"));
  EXPECT_EQ(FindStorageFolder("Thumbs"), nullptr);
}

TEST(StorageFolders, EntryCountExcludesOnlyTheMarker) {
  EXPECT_FALSE(CountsAsFolderEntry(".immich"));
  EXPECT_FALSE(CountsAsFolderEntry("."));
  EXPECT_FALSE(CountsAsFolderEntry(".."));
  EXPECT_TRUE(CountsAsFolderEntry(".immich.tmp"));
  EXPECT_TRUE(CountsAsFolderEntry("0b6f1c2e-user"));
}

TEST(StorageFolders, HealthyFolderIsOk) {
  const FolderVerdict v = JudgeFolder(Good("upload"));
  EXPECT_EQ(FolderStatusName(v.status), std::string("ok"));
  EXPECT_FALSE(v.fails_run);
  EXPECT_EQ(v.problem, "");
}

TEST(StorageFolders, MarkerMissingOnFlaggedFolderIsNotMountedAndFailsCriticalOnly) {
  FolderObservation upload = Good("upload");
  upload.marker = false;
  const FolderVerdict v = JudgeFolder(upload);
  EXPECT_EQ(FolderStatusName(v.status), std::string("not_mounted"));
  EXPECT_TRUE(v.fails_run);
  EXPECT_EQ(v.problem, "the upload folder is not mounted: /data/upload/.immich is missing");
  FolderObservation thumbs = Good("thumbs");
  thumbs.marker = false;
  EXPECT_EQ(JudgeFolder(thumbs).status, FolderStatus::kNotMounted);
  EXPECT_FALSE(JudgeFolder(thumbs).fails_run);
}

TEST(StorageFolders, MarkerMissingOnFolderImmichNeverSawIsFine) {
  FolderObservation seen = Good("library");
  seen.marker = seen.mount_checked = false;
  EXPECT_EQ(JudgeFolder(seen).status, FolderStatus::kOk);
}

TEST(StorageFolders, MissingFolderFailsOnlyWhenImmichSawItMounted) {
  FolderObservation seen = Good("profile");
  seen.exists = seen.readable = seen.writable = seen.marker = seen.mount_checked = false;
  FolderVerdict v = JudgeFolder(seen);
  EXPECT_EQ(FolderStatusName(v.status), std::string("missing"));
  EXPECT_FALSE(v.fails_run);
  EXPECT_EQ(v.problem, "the profile folder does not exist: /data/profile");
  seen.mount_checked = true;
  v = JudgeFolder(seen);
  EXPECT_EQ(v.status, FolderStatus::kNotMounted);
  EXPECT_TRUE(v.fails_run);
}

TEST(StorageFolders, UnreadableAndNotWritableNameThePathAndReason) {
  FolderObservation seen = Good("backups");
  seen.writable = false;
  seen.write_errno = EACCES;
  seen.write_path = "/data/backups/.immich";
  FolderVerdict v = JudgeFolder(seen);
  EXPECT_EQ(v.problem,
            "the backups folder is not writable: /data/backups/.immich: Permission denied");
  EXPECT_TRUE(v.fails_run);
  seen.readable = false;
  seen.read_errno = EACCES;
  seen.read_path = "/data/backups";
  v = JudgeFolder(seen);
  EXPECT_EQ(FolderStatusName(v.status), std::string("unreadable"));
  EXPECT_EQ(v.problem, "the backups folder is not readable: /data/backups: Permission denied");
}

TEST(StorageFolders, RunErrorIsTheFirstFailingCriticalFolderNamingTheOthers) {
  std::vector<FolderObservation> seen;
  for (const auto& f : StorageFolders()) seen.push_back(Good(f.name));
  seen[1].marker = false;                                 // library: not mounted
  seen[3].writable = false, seen[3].write_errno = EROFS;  // backups: read-only
  seen[3].write_path = "/data/backups/.immich";
  seen[4].marker = false;  // thumbs: not critical
  std::vector<FolderVerdict> verdicts;
  for (const auto& s : seen) verdicts.push_back(JudgeFolder(s));
  const auto error = StorageCheckError(seen, verdicts);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, ErrorCode::kNotMounted);
  EXPECT_EQ(Describe(error->code).exit_status, 18);
  EXPECT_EQ(error->message, "the library folder is not mounted: /data/library/.immich is missing");
  EXPECT_EQ(error->detail,
            "Immich saw this folder mounted before (system-flags.mountChecks.library). "
            "Also failing: backups (not_writable).");
  EXPECT_EQ(error->hint, "Mount the volume that holds /data/library and try again.");
}

TEST(StorageFolders, PermissionProblemsArePermissionDeniedOthersIoErrors) {
  std::vector<FolderObservation> seen = {Good("profile")};
  seen[0].writable = false;
  seen[0].write_errno = EACCES;
  EXPECT_EQ(StorageCheckError(seen, {JudgeFolder(seen[0])})->code, ErrorCode::kPermissionDenied);
  seen[0].write_errno = EROFS;
  EXPECT_EQ(StorageCheckError(seen, {JudgeFolder(seen[0])})->code, ErrorCode::kIoError);
  seen[0] = Good("encoded-video");
  seen[0].writable = false;
  EXPECT_FALSE(StorageCheckError(seen, {JudgeFolder(seen[0])}).has_value());
}

}  // namespace
}  // namespace immich_maint::core
