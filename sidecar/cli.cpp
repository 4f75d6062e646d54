// immich-maintd's command table and its one error boundary.
#include "sidecar/cli.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "sidecar/commands.h"
#include "sidecar/error_report.h"

namespace immich_maint::sidecar {

namespace {

void BuildApp(CLI::App& app) {
  app.description(
      "immich-maintd: backups, restores and storage checks for an Immich database.\n"
      "Configured like Immich's server: DB_URL or DB_HOSTNAME/DB_PORT/DB_USERNAME/\n"
      "DB_PASSWORD/DB_DATABASE_NAME, and IMMICH_MEDIA_LOCATION for the media folder.");
  app.set_version_flag("--version", "immich-maintd " IMMICH_MAINT_VERSION);
  app.require_subcommand(1);
  AddBackupCommand(app);
  AddHealthCommand(app);
  AddListCommand(app);
  AddServeCommand(app);
  AddVerifyCommand(app);
  AddImportCommand(app);
  AddRestoreCommand(app);
  AddCompressCommand(app);
  AddCheckStorageCommand(app);
  AddScanOrphansCommand(app);
}

std::vector<std::string> CommandNames(CLI::App& app) {
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

// CLI11 reports an unknown command only as "a subcommand is required"; name it instead.
std::optional<int> RejectUnknownCommand(CLI::App& app, int argc, char** argv) {
  if (argc < 2) return std::nullopt;
  const std::string first = argv[1];
  if (first[0] == '-') {
    if (first == "-h" || first == "--help" || first == "--version") return std::nullopt;
    ReportError(core::MakeError(core::ErrorCode::kInvalidArgument, "unknown option: " + first, {},
                                "Run with --help for more information."),
                std::cerr);
    return 2;
  }
  const auto names = CommandNames(app);
  if (std::find(names.begin(), names.end(), argv[1]) != names.end()) return std::nullopt;
  std::string list;
  for (const auto& name : names) list += (list.empty() ? "" : ", ") + name;
  ReportError(core::MakeError(core::ErrorCode::kInvalidArgument,
                              std::string("unknown command: ") + argv[1], {},
                              "Valid commands: " + list + ". Run with --help for more."),
              std::cerr);
  return 2;
}

// --help and --version print and exit 0; a command's own CLI::RuntimeError carries its exit
// status; every other parse error is a usage error: status 2, in the ERROR:/HINT: format.
int ReportParseError(CLI::App& app, const CLI::ParseError& e) {
  if (dynamic_cast<const CLI::CallForHelp*>(&e) || dynamic_cast<const CLI::CallForAllHelp*>(&e) ||
      dynamic_cast<const CLI::CallForVersion*>(&e)) {
    return app.exit(e);
  }
  if (dynamic_cast<const CLI::RuntimeError*>(&e)) return e.get_exit_code();
  ReportError(core::MakeError(core::ErrorCode::kInvalidArgument, e.what(), {},
                              "Run with --help for more information."),
              std::cerr);
  return 2;
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app;
  BuildApp(app);
  if (const auto status = RejectUnknownCommand(app, argc, argv)) return *status;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return ReportParseError(app, e);
  } catch (const core::Failure& failure) {
    return ReportError(failure.error(), std::cerr);
  } catch (const std::exception& e) {
    return ReportError(core::MakeError(core::ErrorCode::kInternal, e.what()), std::cerr);
  }
  return 0;
}

}  // namespace immich_maint::sidecar
