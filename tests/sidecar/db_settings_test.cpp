// Immich's database environment variables, read as Immich's server reads them.
#include "sidecar/db_settings.h"

#include <gtest/gtest.h>

#include <map>

#include "core/error.h"

namespace immich_maint::sidecar {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(DbSettings, DefaultsAreImmichs) {
  const DbSettings s = DbSettingsFromEnvironment(Env({}));
  EXPECT_EQ(s.Describe(), "postgres@database:5432/immich");
  EXPECT_EQ(s.password, "postgres");
}

TEST(DbSettings, SeparateVariablesOverrideDefaults) {
  const DbSettings s = DbSettingsFromEnvironment(Env({{"DB_HOSTNAME", "db.local"},
                                                      {"DB_PORT", "6543"},
                                                      {"DB_USERNAME", "immich"},
                                                      {"DB_PASSWORD", "s3cret"},
                                                      {"DB_DATABASE_NAME", "photos"}}));
  EXPECT_EQ(s.Describe(), "immich@db.local:6543/photos");
  EXPECT_EQ(s.password, "s3cret");
  EXPECT_EQ(s.ConnInfoWithoutPassword().find("s3cret"), std::string::npos);
}

TEST(DbSettings, UrlWinsAndItsPasswordIsKeptApart) {
  const DbSettings s = DbSettingsFromEnvironment(
      Env({{"DB_URL", "postgresql://me:p%40ss@host:5433/lib?sslmode=disable"},
           {"DB_HOSTNAME", "ignored"}}));
  EXPECT_EQ(s.Describe(), "me@host:5433/lib");
  EXPECT_EQ(s.password, "p@ss");
  EXPECT_EQ(s.Get("sslmode"), "disable");
  EXPECT_EQ(s.ConnInfoWithoutPassword().find("p@ss"), std::string::npos);
  EXPECT_NE(s.ConnInfoWithoutPassword().find("host='host'"), std::string::npos);
}

TEST(DbSettings, ConnInfoQuotesValues) {
  const DbSettings s = DbSettingsFromEnvironment(Env({{"DB_DATABASE_NAME", "it's here"}}));
  EXPECT_NE(s.ConnInfoWithoutPassword().find("dbname='it\\'s here'"), std::string::npos)
      << s.ConnInfoWithoutPassword();
}

TEST(DbSettings, InvalidUrlIsAnErrorThatDoesNotEchoTheUrl) {
  try {
    DbSettingsFromEnvironment(Env({{"DB_URL", "postgresql://u:topsecret@host/db?nosuchoption=1"}}));
    FAIL() << "expected a Failure";
  } catch (const core::Failure& f) {
    EXPECT_EQ(f.error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_EQ(f.error().message, "DB_URL is not valid");
    EXPECT_EQ(f.error().detail.find("topsecret"), std::string::npos) << f.error().detail;
  }
}

}  // namespace
}  // namespace immich_maint::sidecar
