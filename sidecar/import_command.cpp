// `immich-maintd import PATH`: bring a backup from elsewhere into <media>/backups the way
// Immich's upload does (as uploaded-<name>, never counted by retention), verified first and
// written durably (.tmp, fsync, rename), so a half-copied file never carries a backup's name.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <vector>

#include "core/backup_name.h"
#include "core/error.h"
#include "sidecar/backup_check.h"
#include "sidecar/commands.h"
#include "sidecar/durable_file.h"
#include "sidecar/media_location.h"
#include "sidecar/progress.h"

namespace immich_maint::sidecar {

namespace {

namespace fs = std::filesystem;

struct ImportCliOptions {
  std::string path;
  std::string media;
  bool replace = false;
  bool json = false;
};

std::string CheckedBasename(const std::string& path) {
  const std::string name = fs::path(path).filename().string();
  if (!core::IsValidBackupName(name)) {
    throw core::Failure(core::MakeError(
        core::ErrorCode::kInvalidBackupName, "invalid backup name: " + name,
        "Immich accepts only names of letters, digits, '-', '_' and '.' ending in .sql or .sql.gz "
        "(^[\\d\\w-.]+\\.sql(?:\\.gz)?$).",
        "Rename the file before importing it."));
  }
  return name;
}

std::string ReadyFolder(const std::string& media) {
  std::error_code ec;
  if (!fs::is_directory(media, ec)) {
    throw core::Failure(
        core::MakeError(core::ErrorCode::kNotFound, "media location does not exist: " + media, {},
                        "Set --media or IMMICH_MEDIA_LOCATION to Immich's media folder."));
  }
  const std::string folder = BackupsFolder(media);
  fs::create_directory(folder, ec);  // Immich creates it too
  return folder;
}

void RefuseOverwrite(const std::string& folder, const std::string& name) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(fs::path(folder) / name, ec))) return;
  throw core::Failure(core::MakeError(core::ErrorCode::kInvalidArgument,
                                      "backup already exists: " + name, {},
                                      "Pass --replace to overwrite it."));
}

void CopyInto(const std::string& source, DurableFile& file) {
  const int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) ThrowIoError("cannot open", source, errno);
  std::vector<std::uint8_t> buffer(std::size_t{1} << 20);
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int saved = errno;
      ::close(fd);
      ThrowIoError("cannot read", source, saved);
    }
    if (n == 0) break;
    file.Write(buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
}

void RunImport(const ImportCliOptions& cli) {
  const std::string name = "uploaded-" + CheckedBasename(cli.path);
  const std::string folder = ReadyFolder(ResolveMediaLocation(cli.media));
  if (!cli.replace) RefuseOverwrite(folder, name);
  ProgressLine progress("verifying");
  CheckOptions options;
  options.progress = [&](std::uint64_t done, std::uint64_t total) { progress.Update(done, total); };
  const BackupCheck check = CheckBackupFile(RequireBackupFile(cli.path), options);
  progress.Done();
  DurableFile file(folder, name);
  CopyInto(cli.path, file);
  file.Commit();
  if (cli.json) {
    std::cout << nlohmann::json{{"name", name},
                                {"path", file.final_path()},
                                {"check", BackupCheckJson(check)}}
                     .dump(2)
              << '\n';
  } else {
    std::printf("imported %s as %s (%s, verified)\n", cli.path.c_str(), file.final_path().c_str(),
                HumanBytes(check.size).c_str());
  }
}

}  // namespace

void AddImportCommand(CLI::App& app) {
  auto cli = std::make_shared<ImportCliOptions>();
  auto* cmd = app.add_subcommand(
      "import", "Verify a backup file and store it in <media>/backups as uploaded-<name>");
  cmd->footer(
      "The name must pass Immich's rule (letters, digits, '-', '_', '.', ending in .sql or\n"
      ".sql.gz). The copy is written as .tmp, fsynced and renamed; an existing file is kept\n"
      "unless --replace.");
  cmd->add_option("path", cli->path, "The backup file to import")->required();
  cmd->add_option(
      "--media", cli->media,
      "Media location (default: IMMICH_MEDIA_LOCATION, else /data or /usr/src/app/upload)");
  cmd->add_flag("--replace", cli->replace, "Overwrite an existing uploaded-<name>");
  cmd->add_flag("--json", cli->json, "Print the result as JSON");
  cmd->callback([cli] { RunImport(*cli); });
}

}  // namespace immich_maint::sidecar
