// immich-maintd given bad command lines (issue 9, "Bad input"): each gets its exact exit status
// and stderr, and nothing is written. No database runs during ctest, so DB_PORT=1 makes every
// connection fail at once: a case that ends in "cannot connect" is one checked only after
// connecting.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/run_command.h"

namespace immich_maint::testing {
namespace {

const std::string kMaintd = IMMICH_MAINTD_PATH;
const std::string kRunWithHelp = "Run with --help for more information.\n";
const std::string kConnectRefused = "ERROR: cannot connect to postgres@127.0.0.1:1/nodb\n";
const std::string kConnectHint =
    "HINT: Check DB_URL or DB_HOSTNAME, DB_PORT, DB_USERNAME, DB_PASSWORD and DB_DATABASE_NAME.\n";

std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// immich-maintd with an unreachable database and IMMICH_MEDIA_LOCATION set to `env_media`.
CommandResult Maintd(const std::string& args, const std::string& env_media = "/nonexistent") {
  return RunCommand(
      "env -u DB_URL DB_HOSTNAME=127.0.0.1 DB_PORT=1 DB_USERNAME=postgres "
      "DB_PASSWORD=unused DB_DATABASE_NAME=nodb IMMICH_MEDIA_LOCATION=" +
      ShellQuote(env_media) + " " + kMaintd + " " + args);
}

std::vector<std::string> FolderEntries(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

class BadBackupOptions : public ::testing::Test {
 protected:
  void SetUp() override { media_.Write("backups/.immich", "1"); }
  CommandResult Backup(const std::string& options) const {
    return Maintd("backup --media " + ShellQuote(media_.path()) + " " + options);
  }
  void ExpectNothingWritten() const {
    EXPECT_EQ(FolderEntries(media_.path() + "/backups"), std::vector<std::string>{".immich"});
  }
  TempDir media_;
};

struct OptionCase {
  std::string options;
  int status;
  std::string err;
};

// Usage errors: refused while parsing, exit status 2 (core/error.cpp's usage status), in the
// same ERROR:/HINT: format as every other error.
TEST_F(BadBackupOptions, MalformedValuesAreUsageErrorsBeforeConnecting) {
  const std::string hint = "HINT: " + kRunWithHelp;
  const std::vector<OptionCase> cases = {
      {"--keep 99999999999", 2, "ERROR: --keep: Value 99999999999 not in range 1 to 1000000\n" + hint},
      {"--keep -1", 2, "ERROR: --keep: Value -1 not in range 1 to 1000000\n" + hint},
      {"--keep 0", 2, "ERROR: --keep: Value 0 not in range 1 to 1000000\n" + hint},
      {"--keep", 2, "ERROR: --keep: 1 required INT:INT in [1 - 1000000] missing\n" + hint},
      {"--keep 1 --keep 2", 2, "ERROR: --keep: At Most 1 required but received 2\n" + hint},
      {"--level 1.5", 2, "ERROR: Could not convert: --level = 1.5\n" + hint},
      {"--stall-timeout 0", 2, "ERROR: --stall-timeout: Value 0 not in range 1 to 604800\n" + hint},
      {"--stall-timeout -5", 2, "ERROR: --stall-timeout: Value -5 not in range 1 to 604800\n" + hint},
      {"--stall-timeout 2147484", 2,
       "ERROR: --stall-timeout: Value 2147484 not in range 1 to 604800\n" + hint},
      {"--keep abc", 2, "ERROR: --keep: Value abc not in range 1 to 1000000\n" + hint},
      {"--bogus", 2, "ERROR: The following argument was not expected: --bogus\n" + hint},
      {"extra-arg", 2, "ERROR: The following argument was not expected: extra-arg\n" + hint},
  };
  for (const OptionCase& c : cases) {
    const CommandResult r = Backup(c.options);
    EXPECT_EQ(r.status, c.status) << "backup " << c.options << "\n" << r.err;
    EXPECT_EQ(r.err, c.err) << "backup " << c.options;
    EXPECT_EQ(r.out, "") << "backup " << c.options;
  }
  ExpectNothingWritten();
}

// Values only the backup can judge are still refused before connecting (exit 3).
TEST_F(BadBackupOptions, BadCompressionAndVersionAreRefusedBeforeConnecting) {
  const std::vector<OptionCase> cases = {
      {"--compressor ''", 3, "ERROR: unknown compressor: \nHINT: Valid compressors are isal and zlib.\n"},
      {"--level 99", 3,
       "ERROR: invalid compression level 99 for isal\nHINT: Use a level from 0 to 3 for isal (default 2).\n"},
      {"--compressor zlib --level 0", 3,
       "ERROR: invalid compression level 0 for zlib\nHINT: Use a level from 1 to 9 for zlib (default 6).\n"},
      {"--immich-version ../x", 3,
       "ERROR: immich version contains a character not allowed in a backup name\n"
       "DETAIL: A backup name holds only ASCII letters, digits, '_', '-' and '.'.\n"},
      {"--immich-version " + std::string(300, 'v'), 3,
       "ERROR: backup name would be too long: 347 bytes\n"
       "DETAIL: File names hold at most 255 bytes, and a restore point adds \"restore-point-\" and "
       "\".tmp\" to the name, so versions may make it at most 237 bytes.\n"},
  };
  for (const OptionCase& c : cases) {
    const CommandResult r = Backup(c.options);
    EXPECT_EQ(r.status, c.status) << "backup " << c.options << "\n" << r.err;
    EXPECT_EQ(r.err, c.err) << "backup " << c.options;
  }
  ExpectNothingWritten();
}

TEST(BadListInput, MediaThatIsAFileIsRefusedAsNotADirectory) {
  TempDir dir;
  const std::string file = dir.Write("media", "a file, not a folder");
  const CommandResult r = Maintd("list --media " + ShellQuote(file));
  EXPECT_EQ(r.status, 8);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "ERROR: backups folder does not exist: " + file +
                       "/backups\nDETAIL: The system said: Not a directory.\n"
                       "HINT: Check --media or IMMICH_MEDIA_LOCATION; Immich keeps backups in "
                       "<media>/backups.\n");
}

// Spaces, quotes, '$', a newline, non-ASCII and a leading '-' are all legal in a folder name.
TEST(BadListInput, WeirdButLegalFolderNameIsListedLikeAnyOther) {
  TempDir dir;
  const std::string media = dir.path() + "/-we ird 'q\"$HOME;`x`\n\xc3\xbc";
  const std::string name = "immich-db-backup-20250729T114018-v1.136.0-pg14.17.sql.gz";
  dir.Write("-we ird 'q\"$HOME;`x`\n\xc3\xbc/backups/" + name, "gz");
  const CommandResult r = Maintd("list --media " + ShellQuote(media));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("1 backup(s) in " + media + "/backups\n" + name, 0), 0u) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST(BadListInput, EmptyMediaFallsBackToImmichMediaLocation) {
  TempDir env_media;
  const CommandResult r = Maintd("list --media ''", env_media.path());
  EXPECT_EQ(r.status, 8);
  EXPECT_EQ(
      r.err.rfind("ERROR: backups folder does not exist: " + env_media.path() + "/backups\n", 0),
      0u)
      << r.err;
}

TEST(BadListInput, MissingValueAndUnknownOptionsAreUsageErrors) {
  const std::vector<OptionCase> cases = {
      {"list --media", 2, "ERROR: --media: 1 required TEXT missing\nHINT: " + kRunWithHelp},
      {"list --bogus", 2, "ERROR: The following argument was not expected: --bogus\nHINT: " + kRunWithHelp},
      {"list -- --media", 2, "ERROR: The following argument was not expected: --media\nHINT: " + kRunWithHelp},
      {"--bogus", 2, "ERROR: unknown option: --bogus\nHINT: " + kRunWithHelp},
  };
  for (const OptionCase& c : cases) {
    const CommandResult r = Maintd(c.options);
    EXPECT_EQ(r.status, c.status) << c.options << "\n" << r.err;
    EXPECT_EQ(r.err, c.err) << c.options;
  }
}

TEST(BadListInput, EmptyCommandNameIsAnUnknownCommand) {
  const CommandResult r = Maintd("''");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err.rfind("ERROR: unknown command: \nHINT: Valid commands: backup, ", 0), 0u)
      << r.err;
}

// A name is a file in <media>/backups: a symlink out of the folder, a dangling one and a name
// outside Immich's rule are refused before anything is read (no database needed).
TEST(BadBackupNameArgument, SymlinksOutOfTheFolderAndInvalidNamesAreRefused) {
  TempDir dir;
  const std::string media = dir.path() + "/media";
  dir.Write("media/backups/.immich", "1");
  const std::string outside = dir.Write("outside.sql", "-- not a backup\n");
  ASSERT_EQ(::symlink(outside.c_str(), (media + "/backups/evil.sql").c_str()), 0);
  ASSERT_EQ(::symlink("/nonexistent", (media + "/backups/dangling.sql").c_str()), 0);
  const std::vector<OptionCase> cases = {
      {"evil.sql", 4, "ERROR: backup name leads out of the backups folder: evil.sql\n"},
      {"dangling.sql", 8, "ERROR: backup not found: dangling.sql\n"},
      {"'bad name.sql'", 4, "ERROR: invalid backup name: bad name.sql\n"},
  };
  for (const OptionCase& c : cases) {
    const CommandResult r = Maintd("verify --media " + ShellQuote(media) + " " + c.options);
    EXPECT_EQ(r.status, c.status) << "verify " << c.options << "\n" << r.err;
    EXPECT_EQ(r.err.substr(0, c.err.size()), c.err) << "verify " << c.options;
  }
}

}  // namespace
}  // namespace immich_maint::testing
