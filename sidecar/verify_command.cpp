// `immich-maintd verify NAME|PATH`: read a whole backup and say whether it can be restored.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "sidecar/backup_check.h"
#include "sidecar/commands.h"
#include "sidecar/media_location.h"
#include "sidecar/progress.h"

namespace immich_maint::sidecar {

namespace {

struct VerifyCliOptions {
  std::string backup;
  std::string media;
  bool json = false;
};

std::string Versions(const DumpInfo& dump) {
  std::string text;
  if (!dump.server_version.empty()) text += "from PostgreSQL " + dump.server_version;
  if (!dump.pg_dump_version.empty())
    text += (text.empty() ? "" : ", ") + std::string("pg_dump ") + dump.pg_dump_version;
  return text.empty() ? "versions unknown" : text;
}

void PrintSummary(const BackupCheck& c) {
  std::printf(
      "ok %s: %s dump (%s)\n", c.name.c_str(),
      c.dump.kind == DumpKind::kCluster ? "cluster (pg_dumpall)" : "single-database (pg_dump)",
      Versions(c.dump).c_str());
  if (c.gzip) {
    std::printf("   %s gzip in %u member(s), %s of SQL, complete; read in %.1f s\n",
                HumanBytes(c.size).c_str(), c.members, HumanBytes(c.sql_bytes).c_str(), c.seconds);
  } else {
    std::printf("   %s of plain SQL, complete; read in %.1f s\n", HumanBytes(c.sql_bytes).c_str(),
                c.seconds);
  }
  if (c.cluster_by_name != (c.dump.kind == DumpKind::kCluster)) {
    std::printf(
        "   note: Immich would treat it as a %s dump by its name; its header says otherwise\n",
        c.cluster_by_name ? "cluster" : "single-database");
  }
}

void RunVerify(const VerifyCliOptions& cli) {
  const std::string folder = BackupsFolder(ResolveMediaLocation(cli.media));
  const std::string path = ResolveBackupArgument(folder, cli.backup);
  ProgressLine progress("verifying");
  CheckOptions options;
  options.progress = [&](std::uint64_t done, std::uint64_t total) { progress.Update(done, total); };
  const BackupCheck check = CheckBackupFile(path, options);
  progress.Done();
  if (cli.json) {
    std::cout << BackupCheckJson(check).dump(2) << '\n';
  } else {
    PrintSummary(check);
  }
}

}  // namespace

void AddVerifyCommand(CLI::App& app) {
  auto cli = std::make_shared<VerifyCliOptions>();
  auto* cmd = app.add_subcommand(
      "verify", "Read a whole backup: gzip CRC and length, and the dump's completion line");
  cmd->footer(
      "A NAME is a file in <media>/backups and must pass Immich's name rule; an argument with a\n"
      "'/' is a path (./dump.sql.gz). Exit status 0: good; 13: corrupt (the message says what\n"
      "and where); 8: not found; 4: invalid name.");
  cmd->add_option("backup", cli->backup, "Backup name in <media>/backups, or a path")->required();
  cmd->add_option(
      "--media", cli->media,
      "Media location (default: IMMICH_MEDIA_LOCATION, else /data or /usr/src/app/upload)");
  cmd->add_flag("--json", cli->json, "Print the result as JSON");
  cmd->callback([cli] { RunVerify(*cli); });
}

}  // namespace immich_maint::sidecar
