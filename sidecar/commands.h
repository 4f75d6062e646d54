// Each command registers itself on the CLI::App; the registration functions are listed here
// so cli.cpp reads as the table of commands.
#pragma once

namespace CLI {
class App;
}

namespace immich_maint::sidecar {

void AddListCommand(CLI::App& app);
void AddBackupCommand(CLI::App& app);
void AddServeCommand(CLI::App& app);
void AddVerifyCommand(CLI::App& app);
void AddImportCommand(CLI::App& app);
void AddRestoreCommand(CLI::App& app);
void AddCompressCommand(CLI::App& app);
void AddHealthCommand(CLI::App& app);
void AddCheckStorageCommand(CLI::App& app);
void AddScanOrphansCommand(CLI::App& app);

}  // namespace immich_maint::sidecar
