// Facts about the database server a job needs before it touches a file: the PostgreSQL major
// (Immich supports 14-18), the client binaries of that major, the Immich version, and whether
// Immich once saw the backups folder mounted.
#pragma once

#include <string>

#include "sidecar/pg_connection.h"

namespace immich_maint::sidecar {

// Whether a table exists (search_path applies, as for Immich's unqualified names).
bool TableExists(PgConnection& conn, const std::string& name);

// Major version from `SHOW server_version` ("15.20 (Debian ...)" -> 15). Throws
// kUnsupportedServer "unsupported PostgreSQL version: <v>" outside 14-18.
int SupportedServerMajor(const std::string& server_version);

// <bin_dir or /usr/lib/postgresql/<major>/bin>/<tool>; throws kUnsupportedServer when missing.
std::string ClientBinary(const std::string& tool, int major, const std::string& bin_dir);

// The running Immich version: override if given, else the newest version_history row, else
// the IMMICH_VERSION environment variable when it holds a version (not a tag like "release"),
// else "0.0.0" (a database Immich never migrated).
std::string ImmichVersion(PgConnection& conn, const std::string& override_version);

// Throws kNotMounted when <folder>/.immich is missing although Immich's system-flags say the
// folder was mounted (its volume is probably not mounted now).
void CheckFolderMounted(PgConnection& conn, const std::string& media, const std::string& folder_name);

}  // namespace immich_maint::sidecar
