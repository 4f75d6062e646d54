// Immich-compatible database settings, parsed with libpq's own conninfo parser.
#include "sidecar/db_settings.h"

#include <libpq-fe.h>

#include <cstdlib>

#include "core/error.h"

namespace immich_maint::sidecar {

namespace {

std::string Quote(const std::string& value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

// libpq's parse errors quote what they could not parse, which may hold the password.
std::string WithoutQuotedParts(const std::string& text) {
  std::string out;
  bool quoted = false;
  for (const char c : text) {
    if (c == '"') {
      out += quoted ? "(hidden)\"" : "\"";
      quoted = !quoted;
    } else if (!quoted) {
      out += c;
    }
  }
  return quoted ? out + "(hidden)" : out;
}

DbSettings FromUrl(const std::string& url) {
  char* message = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &message);
  if (options == nullptr) {
    std::string reason = message ? message : "out of memory";
    PQfreemem(message);
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == '.')) reason.pop_back();
    reason = WithoutQuotedParts(reason);  // libpq quotes the URL or a piece of it: the password
    throw core::Failure(core::MakeError(core::ErrorCode::kInvalidArgument, "DB_URL is not valid",
                                        "libpq said: " + reason + ".",
                                        "Use postgresql://user:password@host:port/database."));
  }
  DbSettings settings;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') continue;
    if (std::string(o->keyword) == "password") {
      settings.password = o->val;
    } else {
      settings.params.emplace_back(o->keyword, o->val);
    }
  }
  PQconninfoFree(options);
  return settings;
}

}  // namespace

std::string DbSettings::Get(const std::string& keyword) const {
  for (const auto& [key, value] : params) {
    if (key == keyword) return value;
  }
  return {};
}

std::string DbSettings::Describe() const {
  const std::string port = Get("port");
  return Get("user") + "@" + Get("host") + (port.empty() ? "" : ":" + port) + "/" + Get("dbname");
}

std::string DbSettings::ConnInfoWithoutPassword() const {
  std::string conninfo;
  for (const auto& [key, value] : params) {
    conninfo += (conninfo.empty() ? "" : " ") + key + "=" + Quote(value);
  }
  return conninfo;
}

DbSettings DbSettingsFromEnvironment(const EnvLookup& env) {
  const auto get = [&](const char* name, const char* fallback) {
    const auto value = env(name);
    return value && !value->empty() ? *value : std::string(fallback);
  };
  if (const auto url = env("DB_URL"); url && !url->empty()) return FromUrl(*url);
  DbSettings settings;
  settings.params = {{"host", get("DB_HOSTNAME", "database")},
                     {"port", get("DB_PORT", "5432")},
                     {"user", get("DB_USERNAME", "postgres")},
                     {"dbname", get("DB_DATABASE_NAME", "immich")}};
  settings.password = get("DB_PASSWORD", "postgres");
  return settings;
}

DbSettings DbSettingsFromProcessEnvironment() {
  return DbSettingsFromEnvironment([](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
}

}  // namespace immich_maint::sidecar
