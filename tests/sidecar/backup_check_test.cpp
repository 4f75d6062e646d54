// Which file a backup name means (Immich's rule, no way out of the folder), the whole-file check
// of gzip and plain SQL backups with its exact messages, and the restore journal's round trip.
#include "sidecar/backup_check.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>

#include "core/error.h"
#include "sidecar/restore_journal.h"
#include "tests/support/run_command.h"

namespace immich_maint::sidecar {
namespace {

using testing::TempDir;

const std::string kDump =
    "--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 15.20 (Debian)\n"
    "-- Dumped by pg_dump version 15.20 (Debian)\n\nSELECT 1;\n\n--\n"
    "-- PostgreSQL database dump complete\n--\n\n";

std::string Gzip(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

core::Error FailureOf(const std::function<void()>& body) {
  try {
    body();
  } catch (const core::Failure& failure) {
    return failure.error();
  }
  ADD_FAILURE() << "no failure";
  return {};
}

class BackupNames : public ::testing::Test {
 protected:
  std::string folder() const { return dir_.path() + "/backups"; }
  TempDir dir_;
};

TEST_F(BackupNames, AValidNameInTheFolderIsItsPath) {
  dir_.Write("backups/uploaded-x.sql.gz", "x");
  EXPECT_EQ(BackupPathForName(folder(), "uploaded-x.sql.gz"), folder() + "/uploaded-x.sql.gz");
}

TEST_F(BackupNames, ImmichsRuleRefusesFoldersTraversalAndOtherEndings) {
  dir_.Write("outside.sql.gz", "x");
  for (const std::string name :
       {"../outside.sql.gz", "/etc/passwd", "a/b.sql", "x.txt", "x.sql.gz.tmp", ""}) {
    const core::Error e = FailureOf([&] { BackupPathForName(folder(), name); });
    EXPECT_EQ(e.code, core::ErrorCode::kInvalidBackupName) << name;
    EXPECT_EQ(e.message, "invalid backup name: " + name);
  }
}

TEST_F(BackupNames, MissingNamesAreNotFound) {
  dir_.Write("backups/.immich", "1");
  const core::Error e = FailureOf([&] { BackupPathForName(folder(), "nope.sql.gz"); });
  EXPECT_EQ(e.code, core::ErrorCode::kNotFound);
  EXPECT_EQ(e.message, "backup not found: nope.sql.gz");
  EXPECT_EQ(e.detail, "There is no such file in " + folder() + ".");
}

TEST_F(BackupNames, ASymbolicLinkMayPointInsideTheFolderOnly) {
  const std::string outside = dir_.Write("outside.sql.gz", "x");
  dir_.Write("backups/real.sql.gz", "x");
  ASSERT_EQ(::symlink(outside.c_str(), (folder() + "/out.sql.gz").c_str()), 0);
  ASSERT_EQ(::symlink("real.sql.gz", (folder() + "/in.sql.gz").c_str()), 0);
  ASSERT_EQ(::symlink("../backups/../outside.sql.gz", (folder() + "/sneaky.sql.gz").c_str()), 0);
  EXPECT_EQ(BackupPathForName(folder(), "in.sql.gz"), folder() + "/in.sql.gz");
  for (const std::string name : {"out.sql.gz", "sneaky.sql.gz"}) {
    const core::Error e = FailureOf([&] { BackupPathForName(folder(), name); });
    EXPECT_EQ(e.code, core::ErrorCode::kInvalidBackupName) << name;
    EXPECT_EQ(e.message, "backup name leads out of the backups folder: " + name);
    EXPECT_EQ(e.detail,
              "It is a symbolic link to " + std::filesystem::canonical(outside).string() + ".");
  }
}

TEST_F(BackupNames, AFolderIsNotABackup) {
  std::filesystem::create_directories(folder() + "/dir.sql");
  EXPECT_EQ(FailureOf([&] { BackupPathForName(folder(), "dir.sql"); }).message,
            "backup is not a file: dir.sql");
}

TEST_F(BackupNames, VerifyTakesPathsWithASlashAndNamesWithout) {
  const std::string path = dir_.Write("elsewhere/x.sql", "x");
  dir_.Write("backups/y.sql", "y");
  EXPECT_EQ(ResolveBackupArgument(folder(), path), path);
  EXPECT_EQ(ResolveBackupArgument(folder(), "y.sql"), folder() + "/y.sql");
  EXPECT_EQ(FailureOf([&] { ResolveBackupArgument(folder(), "./missing.sql"); }).message,
            "backup not found: ./missing.sql");
}

TEST(BackupCheck, GzipAndPlainDumpsPassWithKindVersionsAndSizes) {
  TempDir dir;
  const BackupCheck gz = CheckBackupFile(dir.Write("a.sql.gz", Gzip(kDump)));
  EXPECT_TRUE(gz.gzip);
  EXPECT_EQ(gz.members, 1u);
  EXPECT_EQ(gz.sql_bytes, kDump.size());
  EXPECT_EQ(gz.dump.kind, DumpKind::kDatabase);
  EXPECT_EQ(gz.dump.server_version, "15.20");
  const BackupCheck plain = CheckBackupFile(dir.Write("b.sql", kDump));
  EXPECT_FALSE(plain.gzip);
  EXPECT_EQ(plain.size, kDump.size());
  EXPECT_EQ(plain.sql_bytes, kDump.size());
  EXPECT_TRUE(plain.dump.complete);
}

TEST(BackupCheck, HandsTheWholeSqlOverInOrder) {
  TempDir dir;
  std::string big;
  while (big.size() < 3u << 20)
    big += "INSERT INTO t VALUES (" + std::to_string(big.size()) + ");\n";
  const std::size_t at = kDump.find("SELECT 1;\n") + 10;
  const std::string dump = kDump.substr(0, at) + big + kDump.substr(at);
  for (const std::string name : {"c.sql.gz", "c.sql"}) {
    std::string seen;
    CheckOptions options;
    options.on_sql = [&](const std::uint8_t* d, std::size_t n) {
      seen.append(reinterpret_cast<const char*>(d), n);
    };
    CheckBackupFile(dir.Write(name, name == "c.sql" ? dump : Gzip(dump)), options);
    EXPECT_EQ(seen, dump) << name;
  }
}

TEST(BackupCheck, EachDefectHasItsMessage) {
  TempDir dir;
  const auto message = [&](const std::string& name, const std::string& content) {
    return FailureOf([&] { CheckBackupFile(dir.Write(name, content)); }).message;
  };
  const std::string gz = Gzip(kDump);
  EXPECT_EQ(
      message("t.sql.gz", gz.substr(0, gz.size() / 2)),
      "corrupt backup t.sql.gz: truncated gzip data at offset " + std::to_string(gz.size() / 2));
  EXPECT_EQ(message("p.sql.gz", kDump), "corrupt backup p.sql.gz: not a gzip file");
  EXPECT_EQ(message("e.sql.gz", ""), "corrupt backup e.sql.gz: not a gzip file");
  EXPECT_EQ(message("e.sql", ""), "corrupt backup e.sql: the file is empty");
  EXPECT_EQ(message("z.sql.gz", Gzip("")), "corrupt backup z.sql.gz: the file is empty");
  EXPECT_EQ(message("s.sql", "SELECT 1;\n"),
            "corrupt backup s.sql: not a pg_dump or pg_dumpall dump");
  EXPECT_EQ(message("h.sql.gz", Gzip(kDump.substr(0, 120))),
            "corrupt backup h.sql.gz: the dump is incomplete");
  const core::Error e = FailureOf([&] { CheckBackupFile(dir.path() + "/missing.sql"); });
  EXPECT_EQ(e.code, core::ErrorCode::kNotFound);
}

TEST(RestoreJournal, RoundTripsThroughJson) {
  RestoreJournal j;
  j.database = "immich";
  j.backup = "x.sql.gz";
  j.run_id = 42;
  j.pid = 7;
  j.host = "h";
  j.started = "2026-01-01T00:00:00Z";
  j.phase = "restore";
  j.connections_blocked = true;
  j.maintenance_set = true;
  j.maintenance_before = R"({"isMaintenanceMode": false})";
  j.public_schema_oid = "2200";
  const RestoreJournal back = RestoreJournalFromJson(RestoreJournalJson(j), "p");
  EXPECT_EQ(RestoreJournalJson(back), RestoreJournalJson(j));
  EXPECT_EQ(back.public_schema_oid.value_or("?"), "2200");
  // a journal written before public's OID was recorded still reads, without it
  nlohmann::json older = RestoreJournalJson(j);
  older.erase("public_schema_oid");
  EXPECT_FALSE(RestoreJournalFromJson(older, "p").public_schema_oid.has_value());
  j.maintenance_before.reset();
  EXPECT_FALSE(RestoreJournalFromJson(RestoreJournalJson(j), "p").maintenance_before.has_value());
}

TEST(RestoreJournal, AnUnreadableJournalSaysWhatToUndoByHand) {
  TempDir dir;
  dir.Write("backups/.immich-maintd-restore.json", "{not json");
  const core::Error e = FailureOf([&] { ReadRestoreJournal(dir.path() + "/backups"); });
  EXPECT_EQ(
      e.message.rfind(
          "unreadable restore journal " + dir.path() + "/backups/.immich-maintd-restore.json: ", 0),
      0u)
      << e.message;
  EXPECT_FALSE(ReadRestoreJournal(dir.path()).has_value());
}

}  // namespace
}  // namespace immich_maint::sidecar
