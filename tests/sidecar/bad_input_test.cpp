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

// CLI11 refuses these while parsing, with its own exit codes (104 could not convert, 109
// unexpected argument, 114 missing value), not the 2 that core/error.cpp names for usage errors.
TEST_F(BadBackupOptions, MalformedValuesAreRefusedBeforeConnecting) {
  const std::vector<OptionCase> cases = {
      {"--keep 99999999999", 104, "Could not convert: --keep = 99999999999\n" + kRunWithHelp},
      {"--keep abc", 104, "Could not convert: --keep = abc\n" + kRunWithHelp},
      {"--keep", 114, "--keep: 1 required INT missing\n" + kRunWithHelp},
      {"--keep 1 --keep 2", 114, "--keep: At Most 1 required but received 2\n" + kRunWithHelp},
      {"--level 1.5", 104, "Could not convert: --level = 1.5\n" + kRunWithHelp},
      {"--stall-timeout 99999999999", 104,
       "Could not convert: --stall-timeout = 99999999999\n" + kRunWithHelp},
      {"--bogus", 109, "The following argument was not expected: --bogus\n" + kRunWithHelp},
      {"extra-arg", 109, "The following argument was not expected: extra-arg\n" + kRunWithHelp},
      {"--compressor ''", 3,
       "ERROR: unknown compressor: \nHINT: Valid compressors are isal and zlib.\n"},
  };
  for (const OptionCase& c : cases) {
    const CommandResult r = Backup(c.options);
    EXPECT_EQ(r.status, c.status) << "backup " << c.options << "\n" << r.err;
    EXPECT_EQ(r.err, c.err) << "backup " << c.options;
    EXPECT_EQ(r.out, "") << "backup " << c.options;
  }
  ExpectNothingWritten();
}

// Out-of-range numbers pass parsing and are only checked once connected (a keep count below 1
// then exits 5, a bad level 3) or never: --stall-timeout 0 kills pg_dump at once and a negative
// one disables the stall check. tests/faults/README.md has the outcomes with a database.
TEST_F(BadBackupOptions, OutOfRangeNumbersAreCheckedOnlyAfterConnecting) {
  for (const std::string options :
       {"--keep -1", "--keep 0", "--level 99", "--level -5", "--stall-timeout -5",
        "--stall-timeout 0", "--immich-version ../x"}) {
    const CommandResult r = Backup(options);
    EXPECT_EQ(r.status, 10) << "backup " << options << "\n" << r.err;
    EXPECT_EQ(r.err.rfind(kConnectRefused, 0), 0u) << "backup " << options << "\n" << r.err;
    EXPECT_EQ(r.err.substr(r.err.size() - std::min(r.err.size(), kConnectHint.size())),
              kConnectHint);
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
      {"list --media", 114, "--media: 1 required TEXT missing\n" + kRunWithHelp},
      {"list --bogus", 109, "The following argument was not expected: --bogus\n" + kRunWithHelp},
      {"list -- --media", 109, "The following argument was not expected: --media\n" + kRunWithHelp},
      // the unknown option is not named: CLI11 only sees that no command was given
      {"--bogus", 106, "A subcommand is required\n" + kRunWithHelp},
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
