// immich-maintd entry point: hands argv to the command table and returns its exit status.
#include "sidecar/cli.h"

int main(int argc, char** argv) { return immich_maint::sidecar::RunCli(argc, argv); }
