// Pins core/backup_name.h to Immich's JavaScript name rules, byte for byte: hostile names
// (unicode, NUL, 4 KB, line terminators), the greedy version capture, and the name format.
// Expected values were worked out by hand and checked against Node's own RegExp.
#include "core/backup_name.h"

#include <gtest/gtest.h>

#include <string>

namespace immich_maint::core {
namespace {

using namespace std::string_literals;

const std::string kRoutine = "immich-db-backup-20250729T114018-v1.136.0-pg14.17.sql.gz";
const std::string kLegacy = "immich-db-backup-1730000000000.sql.gz";
const std::string kHead = "immich-db-backup-20250729T114018-v";  // new-style name up to `.*`

// --- IsValidBackupName: ^[\d\w-.]+\.sql(?:\.gz)?$ -------------------------------------------

TEST(BackupNameValid, AcceptsRoutineLegacyUploadedAndPlainSqlNames) {
  EXPECT_TRUE(IsValidBackupName(kRoutine));
  EXPECT_TRUE(IsValidBackupName(kLegacy));
  EXPECT_TRUE(IsValidBackupName("uploaded-" + kRoutine));
  EXPECT_TRUE(IsValidBackupName("restore-point-" + kRoutine));
  EXPECT_TRUE(IsValidBackupName("my_dump-2.sql"));
  EXPECT_TRUE(IsValidBackupName("A.sql.gz"));
}

TEST(BackupNameValid, AcceptsOnlyDotSqlAndDotSqlGzEndings) {
  EXPECT_TRUE(IsValidBackupName("x.sql"));
  EXPECT_TRUE(IsValidBackupName("x.sql.gz"));
  EXPECT_FALSE(IsValidBackupName("x.sql.gz.tmp"));
  EXPECT_FALSE(IsValidBackupName(kRoutine + ".tmp"));
  EXPECT_FALSE(IsValidBackupName("x.sql.bz2"));
  EXPECT_FALSE(IsValidBackupName("x.SQL"));
  EXPECT_FALSE(IsValidBackupName("x.gz"));
  EXPECT_FALSE(IsValidBackupName("x.sql."));
}

TEST(BackupNameValid, NeedsAtLeastOneCharacterBeforeTheSuffix) {
  EXPECT_FALSE(IsValidBackupName(".sql"));
  EXPECT_FALSE(IsValidBackupName(".sql.gz"));
  EXPECT_TRUE(IsValidBackupName(".sql.sql"));  // `+` takes ".sql", then `\.sql`
  EXPECT_TRUE(IsValidBackupName("..sql"));     // the class holds '.', so one '.' is enough
}

TEST(BackupNameValid, RejectsEmptyString) { EXPECT_FALSE(IsValidBackupName("")); }

TEST(BackupNameValid, RejectsUnicodeLettersBecauseJsWordIsAscii) {
  EXPECT_FALSE(IsValidBackupName("caf\xC3\xA9.sql"));                               // café
  EXPECT_FALSE(IsValidBackupName("\xD0\xB1\xD1\x8D\xD0\xBA\xD0\xB0\xD0\xBF.sql"));  // бэкап
  EXPECT_FALSE(IsValidBackupName("x\xFF.sql"));                                     // not UTF-8
}

TEST(BackupNameValid, RejectsSpacesSlashesAndPathTraversal) {
  EXPECT_FALSE(IsValidBackupName("my dump.sql"));
  EXPECT_FALSE(IsValidBackupName("a/b.sql"));
  EXPECT_FALSE(IsValidBackupName("../etc.sql"));
  EXPECT_FALSE(IsValidBackupName(".."));
  EXPECT_FALSE(IsValidBackupName("a\\b.sql"));
  EXPECT_FALSE(IsValidBackupName("x.sql\n"));  // JS `$` does not match before a final newline
}

TEST(BackupNameValid, RejectsNulBytesAnywhere) {
  EXPECT_FALSE(IsValidBackupName("a\0b.sql"s));
  EXPECT_FALSE(IsValidBackupName("ab.sql\0"s));
  EXPECT_FALSE(IsValidBackupName("\0.sql"s));
}

TEST(BackupNameValid, HandlesFourKilobyteNames) {
  const std::string long_name = std::string(4096 - 4, 'a') + ".sql";
  ASSERT_EQ(long_name.size(), 4096u);
  EXPECT_TRUE(IsValidBackupName(long_name));
  EXPECT_FALSE(IsValidBackupName(std::string(4092, 'a') + " .sql"));
  EXPECT_FALSE(IsValidBackupName(std::string(4096, '.')));
}

// --- routine names ------------------------------------------------------------------------

TEST(BackupNameRoutine, AcceptsImmichsOwnNewStyleName) {
  EXPECT_TRUE(IsNewStyleRoutineBackupName(kRoutine));
  EXPECT_FALSE(IsOldStyleRoutineBackupName(kRoutine));
  EXPECT_TRUE(IsRoutineBackupName(kRoutine));
}

TEST(BackupNameRoutine, AcceptsOldStyleEpochMillisName) {
  EXPECT_TRUE(IsOldStyleRoutineBackupName(kLegacy));
  EXPECT_FALSE(IsNewStyleRoutineBackupName(kLegacy));
  EXPECT_TRUE(IsRoutineBackupName(kLegacy));
  EXPECT_TRUE(IsOldStyleRoutineBackupName("immich-db-backup-0.sql.gz"));
}

TEST(BackupNameRoutine, OldStyleNeedsDigitsOnlyAndGz) {
  EXPECT_FALSE(IsOldStyleRoutineBackupName("immich-db-backup-.sql.gz"));
  EXPECT_FALSE(IsOldStyleRoutineBackupName("immich-db-backup-12a.sql.gz"));
  EXPECT_FALSE(IsOldStyleRoutineBackupName("immich-db-backup-1730000000000.sql"));
  EXPECT_FALSE(IsOldStyleRoutineBackupName(kLegacy + ".tmp"));
  EXPECT_FALSE(IsOldStyleRoutineBackupName("uploaded-" + kLegacy));
}

TEST(BackupNameRoutine, NewStyleNeedsEightDigitsTSixDigits) {
  EXPECT_FALSE(IsNewStyleRoutineBackupName("immich-db-backup-2025072T114018-v1-pg14.sql.gz"));
  EXPECT_FALSE(IsNewStyleRoutineBackupName("immich-db-backup-20250729t114018-v1-pg14.sql.gz"));
  EXPECT_FALSE(IsNewStyleRoutineBackupName("immich-db-backup-20250729T11401-v1-pg14.sql.gz"));
  EXPECT_FALSE(IsNewStyleRoutineBackupName("immich-db-backup-20250729T114018v1-pg14.sql.gz"));
  EXPECT_FALSE(IsNewStyleRoutineBackupName("Immich-db-backup-20250729T114018-v1-pg14.sql.gz"));
}

TEST(BackupNameRoutine, NewStyleNeedsDashPgBeforeTheSuffix) {
  EXPECT_TRUE(IsNewStyleRoutineBackupName(kHead + "-pg.sql.gz"));  // both `.*` empty
  EXPECT_FALSE(IsNewStyleRoutineBackupName(kHead + "1.136.0.sql.gz"));
  EXPECT_FALSE(IsNewStyleRoutineBackupName(kHead + "1-p.sql.gz"));
  EXPECT_FALSE(IsNewStyleRoutineBackupName(kHead + "1-pg14.sql"));
  EXPECT_FALSE(IsNewStyleRoutineBackupName(kRoutine + ".tmp"));
  EXPECT_FALSE(IsNewStyleRoutineBackupName(kHead + "1-pg14.sql.gz "));
}

TEST(BackupNameRoutine, NewStyleDotStarTakesAnythingButLineTerminators) {
  EXPECT_TRUE(IsNewStyleRoutineBackupName(kHead + "1 2/3\0x-pg14.sql.gz"s));
  EXPECT_TRUE(IsNewStyleRoutineBackupName(kHead + "caf\xC3\xA9-pg14.sql.gz"));
  EXPECT_TRUE(IsNewStyleRoutineBackupName(kHead + "1\xFF-pg14.sql.gz"));          // read as U+FFFD
  EXPECT_TRUE(IsNewStyleRoutineBackupName(kHead + "1\xE2\x80\xA7-pg14.sql.gz"));  // U+2027
  EXPECT_FALSE(IsNewStyleRoutineBackupName(kHead + "1\n-pg14.sql.gz"));
  EXPECT_FALSE(IsNewStyleRoutineBackupName(kHead + "1-pg14\r.sql.gz"));
  EXPECT_FALSE(IsNewStyleRoutineBackupName(kHead + "1\xE2\x80\xA8-pg14.sql.gz"));  // U+2028
  EXPECT_FALSE(IsNewStyleRoutineBackupName(kHead + "1-pg\xE2\x80\xA9.sql.gz"));    // U+2029
}

TEST(BackupNameRoutine, RoutineNameNeedNotBeValid) {
  const std::string spaced = kHead + "1 2-pg14.sql.gz";
  EXPECT_TRUE(IsRoutineBackupName(spaced));
  EXPECT_FALSE(IsValidBackupName(spaced));
}

TEST(BackupNameRoutine, HandlesFourKilobyteNames) {
  const std::string tail = "-pg14.sql.gz";
  const std::string name = kHead + std::string(4096 - kHead.size() - tail.size(), '9') + tail;
  ASSERT_EQ(name.size(), 4096u);
  EXPECT_TRUE(IsNewStyleRoutineBackupName(name));
  EXPECT_TRUE(
      IsOldStyleRoutineBackupName("immich-db-backup-" + std::string(4072, '1') + ".sql.gz"));
}

TEST(BackupNameRoutine, EmptyStringIsNoKindOfBackup) {
  EXPECT_FALSE(IsRoutineBackupName(""));
  EXPECT_FALSE(IsFailedBackupName(""));
  EXPECT_FALSE(IsUploadedBackupName(""));
  EXPECT_FALSE(IsRestorePointName(""));
  EXPECT_EQ(ClassifyBackupName(""), BackupKind::kInvalid);
}

// --- failed, uploaded, restore point --------------------------------------------------------

TEST(BackupNameFailed, MatchesPartialFilesOfAnyRoutineName) {
  EXPECT_TRUE(IsFailedBackupName(kRoutine + ".tmp"));
  EXPECT_TRUE(IsFailedBackupName(kLegacy + ".tmp"));
  EXPECT_TRUE(IsFailedBackupName("immich-db-backup-.sql.gz.tmp"));  // `.*` may be empty
  EXPECT_TRUE(IsFailedBackupName("immich-db-backup-a b\0c.sql.gz.tmp"s));
}

TEST(BackupNameFailed, RejectsOtherEndingsPrefixesAndLineTerminators) {
  EXPECT_FALSE(IsFailedBackupName(kRoutine));
  EXPECT_FALSE(IsFailedBackupName("immich-db-backup-x.sql.tmp"));
  EXPECT_FALSE(IsFailedBackupName("immich-db-backup-x.sql.gz.tmp.tmp"));
  EXPECT_FALSE(IsFailedBackupName("restore-point-" + kRoutine + ".tmp"));  // anchored at ^
  EXPECT_FALSE(IsFailedBackupName("immich-db-backup-x\n.sql.gz.tmp"));
  EXPECT_FALSE(IsFailedBackupName("immich-db-backup-sql.gz.tmp"));  // needs the `.` of .sql
}

TEST(BackupNamePrefixes, UploadedAndRestorePointMustAlsoBeValid) {
  EXPECT_TRUE(IsUploadedBackupName("uploaded-" + kRoutine));
  EXPECT_TRUE(IsUploadedBackupName("uploaded-mine.sql"));
  EXPECT_FALSE(IsUploadedBackupName("uploaded-my dump.sql"));
  EXPECT_FALSE(IsUploadedBackupName("uploaded-" + kRoutine + ".tmp"));
  EXPECT_FALSE(IsUploadedBackupName("Uploaded-mine.sql"));
  EXPECT_TRUE(IsRestorePointName("restore-point-" + kRoutine));
  EXPECT_FALSE(IsRestorePointName("restore-point-caf\xC3\xA9.sql"));
  EXPECT_FALSE(IsRestorePointName("restore-point" + kRoutine));
}

// --- classification ---------------------------------------------------------------------

TEST(BackupNameClassify, NamesEveryKind) {
  EXPECT_STREQ(BackupKindName(ClassifyBackupName(kRoutine)), "routine");
  EXPECT_STREQ(BackupKindName(ClassifyBackupName(kLegacy)), "routine-legacy");
  EXPECT_STREQ(BackupKindName(ClassifyBackupName("uploaded-" + kRoutine)), "uploaded");
  EXPECT_STREQ(BackupKindName(ClassifyBackupName("restore-point-" + kRoutine)), "restore-point");
  EXPECT_STREQ(BackupKindName(ClassifyBackupName(kRoutine + ".tmp")), "failed");
  EXPECT_STREQ(BackupKindName(ClassifyBackupName("mine.sql")), "other");
  EXPECT_STREQ(BackupKindName(ClassifyBackupName("notes.txt")), "invalid");
  EXPECT_STREQ(BackupKindName(ClassifyBackupName("")), "invalid");
}

TEST(BackupNameClassify, RoutineWinsOverValidity) {
  EXPECT_EQ(ClassifyBackupName(kHead + "1 2-pg14.sql.gz"), BackupKind::kRoutine);
  EXPECT_EQ(ClassifyBackupName("uploaded-my dump.sql"), BackupKind::kInvalid);
  EXPECT_EQ(ClassifyBackupName("uploaded-immich-db-backup-1.sql.gz.tmp"), BackupKind::kInvalid);
}

// --- version: first capture of /-v(.*)-/ ----------------------------------------------------

TEST(BackupNameVersion, ReadsImmichsVersionFromItsOwnName) {
  // Greedy `.*` stops at the last '-' of the name, which here is the one before "pg".
  EXPECT_EQ(BackupVersion(kRoutine), "1.136.0");
}

TEST(BackupNameVersion, KeepsDashesInsideTheVersion) {
  EXPECT_EQ(BackupVersion(kHead + "1.136.0-rc-1-pg14.17.sql.gz"), "1.136.0-rc-1");
}

TEST(BackupNameVersion, GreedyCaptureSwallowsADashedServerVersion) {
  EXPECT_EQ(BackupVersion(kHead + "1.136.0-pg16.1-beta.sql.gz"), "1.136.0-pg16.1");
}

TEST(BackupNameVersion, OldStyleAndDashlessNamesHaveNone) {
  EXPECT_EQ(BackupVersion(kLegacy), std::nullopt);
  EXPECT_EQ(BackupVersion(""), std::nullopt);
  EXPECT_EQ(BackupVersion("mine.sql"), std::nullopt);
  EXPECT_EQ(BackupVersion("x-v1.2.sql"), std::nullopt);  // no '-' after the "-v"
}

TEST(BackupNameVersion, StartsAtTheFirstDashVAnywhereInTheName) {
  EXPECT_EQ(BackupVersion("uploaded-" + kRoutine), "1.136.0");
  EXPECT_EQ(BackupVersion("restore-point-" + kRoutine), "1.136.0");
  EXPECT_EQ(BackupVersion("my-video-v1.2-x.sql"), "ideo-v1.2");
}

TEST(BackupNameVersion, MayBeEmpty) { EXPECT_EQ(BackupVersion("x-v-y.sql"), ""); }

TEST(BackupNameVersion, StopsAtLineTerminatorsAndRetriesLaterDashV) {
  EXPECT_EQ(BackupVersion("a-v1-2\n-3"), "1");
  EXPECT_EQ(BackupVersion("a-v1\n-v2-x"), "2");
  EXPECT_EQ(BackupVersion("a-v1\xE2\x80\xA8-x"), std::nullopt);
  EXPECT_EQ(BackupVersion("a-v1\xE2\x80\xA7-x"), "1\xE2\x80\xA7");
}

TEST(BackupNameVersion, KeepsNulAndNonUtf8BytesAsTheyAre) {
  EXPECT_EQ(BackupVersion(kHead + "1\0x-pg14.sql.gz"s), "1\0x"s);
  EXPECT_EQ(BackupVersion(kHead + "1\xFF-pg14.sql.gz"), "1\xFF");
}

TEST(BackupNameVersion, HandlesFourKilobyteNames) {
  const std::string version(4000, '7');
  EXPECT_EQ(BackupVersion(kHead + version + "-pg14.sql.gz"), version);
  EXPECT_EQ(BackupVersion(std::string(2048, '-') + "v" + std::string(2047, 'x')), std::nullopt);
}

// --- compatibility indicator --------------------------------------------------------------

TEST(BackupNameCompat, SameVersionIsOkWithOrWithoutLeadingV) {
  EXPECT_EQ(CompareBackupVersion(kRoutine, "1.136.0"), Compat::kOk);
  EXPECT_EQ(CompareBackupVersion(kRoutine, "v1.136.0"), Compat::kOk);
  EXPECT_EQ(CompareBackupVersion(kHead + "v1.136.0-pg14.sql.gz", "1.136.0"), Compat::kOk);
}

TEST(BackupNameCompat, DifferentVersionIsOtherVersion) {
  EXPECT_EQ(CompareBackupVersion(kRoutine, "2.5.0"), Compat::kOtherVersion);
  EXPECT_EQ(CompareBackupVersion(kRoutine, "1.136"), Compat::kOtherVersion);
  EXPECT_EQ(CompareBackupVersion(kHead + "1.136.0-pg16.1-beta.sql.gz", "1.136.0"),
            Compat::kOtherVersion);  // greedy capture read "1.136.0-pg16.1"
}

TEST(BackupNameCompat, NoVersionOrNoCurrentVersionIsUnknown) {
  EXPECT_EQ(CompareBackupVersion(kLegacy, "1.136.0"), Compat::kUnknown);
  EXPECT_EQ(CompareBackupVersion("", "1.136.0"), Compat::kUnknown);
  EXPECT_EQ(CompareBackupVersion(kRoutine, ""), Compat::kUnknown);
  EXPECT_EQ(CompareBackupVersion(kRoutine, "v"), Compat::kUnknown);
}

TEST(BackupNameCompat, NamesEveryIndicator) {
  EXPECT_STREQ(CompatName(Compat::kOk), "ok");
  EXPECT_STREQ(CompatName(Compat::kOtherVersion), "other-version");
  EXPECT_STREQ(CompatName(Compat::kUnknown), "unknown");
}

// --- format ---------------------------------------------------------------------------------

constexpr CivilTime kAt{2025, 7, 29, 11, 40, 18};

TEST(BackupNameFormat, WritesImmichsExampleName) {
  const Result<std::string> name = FormatBackupName(kAt, "1.136.0", "14.17");
  ASSERT_TRUE(name.ok()) << name.error().message;
  EXPECT_EQ(name.value(), kRoutine);
}

TEST(BackupNameFormat, DropsOneLeadingVFromTheImmichVersion) {
  EXPECT_EQ(FormatBackupName(kAt, "v1.136.0", "14.17").value(), kRoutine);
}

TEST(BackupNameFormat, UsesTheFirstWordOfServerVersion) {
  EXPECT_EQ(FormatBackupName(kAt, "2.5.0", "15.20 (Debian 15.20-0+deb12u1)").value(),
            "immich-db-backup-20250729T114018-v2.5.0-pg15.20.sql.gz");
  EXPECT_EQ(FormatBackupName(kAt, "2.5.0", "17rc1").value(),
            "immich-db-backup-20250729T114018-v2.5.0-pg17rc1.sql.gz");
}

TEST(BackupNameFormat, PadsEveryField) {
  EXPECT_EQ(FormatBackupName({987, 1, 2, 3, 4, 5}, "2.5.0", "16.4").value(),
            "immich-db-backup-09870102T030405-v2.5.0-pg16.4.sql.gz");
}

TEST(BackupNameFormat, AcceptsLeapDays) {
  EXPECT_TRUE(FormatBackupName({2024, 2, 29, 0, 0, 0}, "2.5.0", "16.4").ok());
  EXPECT_TRUE(FormatBackupName({2000, 2, 29, 23, 59, 59}, "2.5.0", "16.4").ok());
}

void ExpectBadTime(const CivilTime& t, const std::string& message) {
  const Result<std::string> name = FormatBackupName(t, "2.5.0", "16.4");
  ASSERT_FALSE(name.ok()) << name.value();
  EXPECT_EQ(name.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(name.error().message, message);
}

TEST(BackupNameFormat, RefusesDatesThatDoNotExist) {
  ExpectBadTime({2025, 2, 29, 11, 40, 18}, "invalid backup time 2025-02-29 11:40:18");
  ExpectBadTime({1900, 2, 29, 0, 0, 0}, "invalid backup time 1900-02-29 00:00:00");
  ExpectBadTime({2025, 4, 31, 0, 0, 0}, "invalid backup time 2025-04-31 00:00:00");
  ExpectBadTime({2025, 13, 1, 0, 0, 0}, "invalid backup time 2025-13-01 00:00:00");
  ExpectBadTime({2025, 0, 1, 0, 0, 0}, "invalid backup time 2025-00-01 00:00:00");
  ExpectBadTime({2025, 1, 0, 0, 0, 0}, "invalid backup time 2025-01-00 00:00:00");
  ExpectBadTime({0, 1, 1, 0, 0, 0}, "invalid backup time 0-01-01 00:00:00");
  ExpectBadTime({10000, 1, 1, 0, 0, 0}, "invalid backup time 10000-01-01 00:00:00");
}

TEST(BackupNameFormat, RefusesTimesThatDoNotExist) {
  ExpectBadTime({2025, 7, 29, 24, 0, 0}, "invalid backup time 2025-07-29 24:00:00");
  ExpectBadTime({2025, 7, 29, 11, 60, 0}, "invalid backup time 2025-07-29 11:60:00");
  ExpectBadTime({2025, 12, 31, 23, 59, 60}, "invalid backup time 2025-12-31 23:59:60");
  ExpectBadTime({2025, 7, 29, -1, 0, 0}, "invalid backup time 2025-07-29 -1:00:00");
}

void ExpectBadVersion(std::string_view immich, std::string_view server,
                      const std::string& message) {
  const Result<std::string> name = FormatBackupName(kAt, immich, server);
  ASSERT_FALSE(name.ok()) << name.value();
  EXPECT_EQ(name.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(name.error().message, message);
}

TEST(BackupNameFormat, RefusesEmptyVersions) {
  ExpectBadVersion("", "16.4", "immich version is empty");
  ExpectBadVersion("v", "16.4", "immich version is empty");
  ExpectBadVersion("2.5.0", "", "server version is empty");
  ExpectBadVersion("2.5.0", "   ", "server version is empty");
}

TEST(BackupNameFormat, RefusesVersionsThatWouldMakeAnInvalidName) {
  const std::string immich_bad = "immich version contains a character not allowed in a backup name";
  ExpectBadVersion("2.5.0 beta", "16.4", immich_bad);
  ExpectBadVersion("2.5/0", "16.4", immich_bad);
  ExpectBadVersion("2.5.\xC3\xA9", "16.4", immich_bad);
  ExpectBadVersion("2.5.0\0"s, "16.4", immich_bad);
  const std::string server_bad = "server version contains a character not allowed in a backup name";
  ExpectBadVersion("2.5.0", "16.1-beta", server_bad);  // would move the greedy capture
  ExpectBadVersion("2.5.0", "16/4", server_bad);
  ExpectBadVersion("2.5.0", "16\0"s, server_bad);
}

TEST(BackupNameFormat, ResultIsValidRoutineAndRoundTripsItsVersion) {
  const char* const versions[] = {"1.136.0", "v2.5.0", "1.136.0-rc-1", "2.5.0-pg-x", "-", "v-v"};
  const char* const servers[] = {"14.17", "16.4 (Debian)", "17rc1", "18beta1", "_"};
  for (const char* version : versions) {
    for (const char* server : servers) {
      const std::string name = FormatBackupName(kAt, version, server).value();
      const std::string expected = version[0] == 'v' ? version + 1 : version;
      EXPECT_TRUE(IsValidBackupName(name)) << name;
      EXPECT_TRUE(IsNewStyleRoutineBackupName(name)) << name;
      EXPECT_EQ(BackupVersion(name), expected) << name;
      EXPECT_EQ(CompareBackupVersion(name, version), Compat::kOk) << name;
    }
  }
}

// --- cluster dump rule ------------------------------------------------------------------------

std::string NameWithVersion(const std::string& version) {
  return kHead + version + "-pg14.17.sql.gz";
}

TEST(BackupNameCluster, VersionsUpToTwoFourAreClusterDumps) {
  EXPECT_TRUE(IsClusterDumpByName(NameWithVersion("2.4.1")));
  EXPECT_TRUE(IsClusterDumpByName(NameWithVersion("2.4.0")));
  EXPECT_TRUE(IsClusterDumpByName(NameWithVersion("2.4")));
  EXPECT_TRUE(IsClusterDumpByName(NameWithVersion("1.136.0")));
  EXPECT_TRUE(IsClusterDumpByName(NameWithVersion("2.0.0")));
  EXPECT_TRUE(IsClusterDumpByName(NameWithVersion("0.9.9")));
  EXPECT_TRUE(IsClusterDumpByName(NameWithVersion("v2.4.1")));  // name reads "-vv2.4.1-"
  EXPECT_TRUE(IsClusterDumpByName("uploaded-" + NameWithVersion("1.136.0")));
}

TEST(BackupNameCluster, ComparesMajorAndMinorAsNumbers) {
  EXPECT_FALSE(IsClusterDumpByName(NameWithVersion("2.5.0")));
  EXPECT_FALSE(IsClusterDumpByName(NameWithVersion("2.10.0")));
  EXPECT_FALSE(IsClusterDumpByName(NameWithVersion("3.0.0")));
  EXPECT_FALSE(IsClusterDumpByName(NameWithVersion("10.0.0")));
  EXPECT_FALSE(IsClusterDumpByName(NameWithVersion("99999999999999999999.1.0")));
  EXPECT_TRUE(IsClusterDumpByName(NameWithVersion("2.04.0")));
}

TEST(BackupNameCluster, PrereleaseAndBuildSuffixesKeepTheNumbers) {
  EXPECT_TRUE(IsClusterDumpByName(NameWithVersion("2.4.0-rc.1")));
  EXPECT_TRUE(IsClusterDumpByName(NameWithVersion("2.4-rc")));
  EXPECT_TRUE(IsClusterDumpByName(NameWithVersion("2.4+build")));
  EXPECT_FALSE(IsClusterDumpByName(NameWithVersion("2.5.0-rc.1")));
  // A dashed server version makes the capture "1.136.0-pg16.1": still 1.136.
  EXPECT_TRUE(IsClusterDumpByName(kHead + "1.136.0-pg16.1-beta.sql.gz"));
}

TEST(BackupNameCluster, NoOrUnparsableVersionMeansSingleDatabase) {
  EXPECT_FALSE(IsClusterDumpByName(kLegacy));  // made by pg_dumpall, but Immich's rule says no
  EXPECT_FALSE(IsClusterDumpByName("mine.sql"));
  EXPECT_FALSE(IsClusterDumpByName(""));
  EXPECT_FALSE(IsClusterDumpByName(NameWithVersion("abc")));
  EXPECT_FALSE(IsClusterDumpByName(NameWithVersion("2")));
  EXPECT_FALSE(IsClusterDumpByName(NameWithVersion("2.")));
  EXPECT_FALSE(IsClusterDumpByName(NameWithVersion("2.4x")));
  EXPECT_FALSE(IsClusterDumpByName(NameWithVersion(".2.4")));
  EXPECT_FALSE(IsClusterDumpByName(NameWithVersion("")));
}

}  // namespace
}  // namespace immich_maint::core

namespace immich_maint::core {
namespace {

TEST(BackupNameServerVersion, ReadsWhatFollowsTheLastPg) {
  EXPECT_EQ(BackupServerVersion("immich-db-backup-20250729T114018-v1.136.0-pg14.17.sql.gz"), "14.17");
  EXPECT_EQ(BackupServerVersion("immich-db-backup-20250729T114018-v1.0-pgx-pg16.4.sql.gz"), "16.4");
}

TEST(BackupNameServerVersion, NoneForOtherKinds) {
  EXPECT_EQ(BackupServerVersion("immich-db-backup-1730000000000.sql.gz"), std::nullopt);
  EXPECT_EQ(BackupServerVersion("uploaded-immich-db-backup-20250729T114018-v1.136.0-pg14.17.sql.gz"),
            std::nullopt);
  EXPECT_EQ(BackupServerVersion("immich-db-backup-20250729T114018-v1.136.0-pg14.17.sql.gz.tmp"),
            std::nullopt);
}

}  // namespace
}  // namespace immich_maint::core

namespace immich_maint::core {
namespace {

TEST(BackupNameFormat, RefusesANameTooLongForARestorePoint) {
  const CivilTime at{2025, 7, 29, 11, 40, 18};
  const auto fits = FormatBackupName(at, std::string(237 - 49, '1'), "14.17");
  ASSERT_TRUE(fits.ok()) << fits.error().message;
  EXPECT_EQ(fits.value().size(), 237u);
  const auto too_long = FormatBackupName(at, std::string(300, '1'), "14.17");
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().message, "backup name would be too long: 349 bytes");
  EXPECT_EQ(too_long.error().detail,
            "File names hold at most 255 bytes, and a restore point adds \"restore-point-\" and "
            "\".tmp\" to the name, so versions may make it at most 237 bytes.");
}

}  // namespace
}  // namespace immich_maint::core
