// Quarantine by rename and deletion of regenerable orphans, then fsync of the folders touched.
#include "sidecar/orphan_actions.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <set>

#include "core/media_paths.h"
#include "sidecar/durable_file.h"

namespace immich_maint::sidecar {

namespace {

std::string Parent(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// mkdir -p; every folder it creates gets mode 0700 (set explicitly: the umask applies to
// mkdir) and its parent is remembered for the fsync. errno value on failure.
int MakeFolders(const std::string& path, std::set<std::string>& touched) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
  if (const int error_number = MakeFolders(Parent(path), touched)) return error_number;
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return errno;
  ::chmod(path.c_str(), 0700);
  touched.insert(Parent(path));
  return 0;
}

void Fail(OrphanFile& orphan, const std::string& what, int error_number) {
  orphan.action = "failed";
  orphan.error = what + ": " + std::strerror(error_number);
}

void Delete(const std::string& media, OrphanFile& orphan, std::set<std::string>& touched) {
  const std::string path = media + "/" + orphan.relative;
  if (::unlink(path.c_str()) != 0) return Fail(orphan, "cannot delete", errno);
  orphan.action = "deleted";
  touched.insert(Parent(path));
}

void Quarantine(const std::string& media, const std::string& stamp, OrphanFile& orphan,
                std::set<std::string>& touched) {
  const std::string source = media + "/" + orphan.relative;
  const std::string moved_to = core::QuarantineRelative(stamp, orphan.relative);
  const std::string target = media + "/" + moved_to;
  if (const int error_number = MakeFolders(Parent(target), touched)) {
    return Fail(orphan, "cannot create the quarantine folder", error_number);
  }
  if (::rename(source.c_str(), target.c_str()) != 0) {
    return Fail(orphan,
                errno == EXDEV ? "cannot move to quarantine (another file system)"
                               : "cannot move to quarantine",
                errno);
  }
  orphan.action = "quarantined";
  orphan.moved_to = moved_to;
  touched.insert(Parent(source));
  touched.insert(Parent(target));
}

}  // namespace

std::string QuarantineStamp(const std::string& media) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char base[32];
  std::strftime(base, sizeof(base), "%Y%m%dT%H%M%S", &tm);
  const std::string root = media + "/" + std::string(core::kQuarantineFolder) + "/";
  std::string stamp = base;
  for (int n = 2; Exists(root + stamp); ++n) stamp = std::string(base) + "-" + std::to_string(n);
  return stamp;
}

std::string ApplyOrphanActions(const std::string& media, const OrphanScanOptions& options,
                               std::vector<OrphanFile>& orphans) {
  std::set<std::string> touched;
  std::string stamp;
  bool moved = false;
  for (OrphanFile& orphan : orphans) {
    if (options.delete_regenerable && core::MayDeleteOrphan(orphan.folder)) {
      Delete(media, orphan, touched);
    } else if (options.quarantine) {
      if (stamp.empty()) stamp = QuarantineStamp(media);
      Quarantine(media, stamp, orphan, touched);
      moved = moved || orphan.action == "quarantined";
    }
  }
  for (const std::string& folder : touched) SyncFolder(folder);
  return moved ? std::string(core::kQuarantineFolder) + "/" + stamp : "";
}

}  // namespace immich_maint::sidecar
