// How the sidecar reaches PostgreSQL: Immich's environment variables (DB_URL, or DB_HOSTNAME,
// DB_PORT, DB_USERNAME, DB_PASSWORD, DB_DATABASE_NAME with Immich's defaults). The password is
// kept apart from everything that may be shown or passed on a command line.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace immich_maint::sidecar {

struct DbSettings {
  std::vector<std::pair<std::string, std::string>> params;  // libpq keywords, never "password"
  std::string password;                                     // empty: none given

  std::string Get(const std::string& keyword) const;  // "" when absent
  // "user@host:port/dbname" for messages; never holds the password.
  std::string Describe() const;
  // A libpq connection string without the password (safe for a child's argv).
  std::string ConnInfoWithoutPassword() const;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// From Immich's variables; DB_URL wins. A DB_URL libpq cannot parse is a Failure
// (kInvalidArgument) that does not echo the URL (it may hold the password).
DbSettings DbSettingsFromEnvironment(const EnvLookup& env);
DbSettings DbSettingsFromProcessEnvironment();

}  // namespace immich_maint::sidecar
