// `immich-maintd list`: the backups in <media>/backups as Immich lists them.
#include <CLI/CLI.hpp>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "sidecar/backup_inventory.h"
#include "sidecar/commands.h"
#include "sidecar/media_location.h"

namespace immich_maint::sidecar {

namespace {

struct ListOptions {
  std::string media;
  std::string immich_version;
  bool json = false;
};

nlohmann::json ToJson(const std::string& folder, const std::vector<BackupEntry>& entries) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : entries) {
    list.push_back({{"name", e.name},
                    {"size", e.size},
                    {"modified", FormatUtc(e.modified_epoch)},
                    {"kind", e.kind},
                    {"version", e.version ? nlohmann::json(*e.version) : nlohmann::json()},
                    {"compat", e.compat}});
  }
  return {{"folder", folder}, {"backups", list}};
}

void PrintTable(const std::string& folder, const std::vector<BackupEntry>& entries) {
  std::cout << entries.size() << " backup(s) in " << folder << '\n';
  for (const auto& e : entries) {
    std::cout << std::left << std::setw(64) << e.name << ' ' << std::right << std::setw(14)
              << e.size << "  " << FormatUtc(e.modified_epoch) << "  " << std::setw(14)
              << std::left << e.kind << ' ' << e.compat << '\n';
  }
}

void RunList(const ListOptions& options) {
  const std::string folder = BackupsFolder(ResolveMediaLocation(options.media));
  const auto entries = ListBackups(folder, options.immich_version);
  if (options.json) {
    std::cout << ToJson(folder, entries).dump(2) << '\n';
  } else {
    PrintTable(folder, entries);
  }
}

}  // namespace

void AddListCommand(CLI::App& app) {
  auto options = std::make_shared<ListOptions>();
  auto* cmd = app.add_subcommand("list", "List the backups in <media>/backups, newest first");
  cmd->add_option("--media", options->media,
                  "Media location (default: IMMICH_MEDIA_LOCATION, else /data or /usr/src/app/upload)");
  cmd->add_option("--immich-version", options->immich_version,
                  "Running Immich version, to mark each backup ok / other-version / unknown");
  cmd->add_flag("--json", options->json, "Print JSON instead of a table");
  cmd->callback([options] { RunList(*options); });
}

}  // namespace immich_maint::sidecar
