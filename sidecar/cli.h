// The command line of immich-maintd: one table of commands, one place that turns a Failure
// into `ERROR:`/`HINT:` lines on stderr and the exit status from core's error table.
#pragma once

namespace immich_maint::sidecar {

int RunCli(int argc, char** argv);

}  // namespace immich_maint::sidecar
