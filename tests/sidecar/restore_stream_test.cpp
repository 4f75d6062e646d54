// The restore's SQL filter: the search_path fix, database-level lines, cluster sections and
// roles, chunk boundaries anywhere, the line map back to the dump, and the SQL around the dump.
#include "sidecar/restore_stream.h"

#include <gtest/gtest.h>

#include <string>

namespace immich_maint::sidecar {
namespace {

// Feeds text in pieces of `piece` bytes (every boundary position gets exercised).
void FeedInPieces(RestoreStream& stream, const std::string& text, std::size_t piece) {
  for (std::size_t at = 0; at < text.size(); at += piece) {
    const std::size_t n = std::min(piece, text.size() - at);
    stream.Feed(reinterpret_cast<const std::uint8_t*>(text.data() + at), n);
  }
  stream.Finish();
}

std::string Filter(const StreamPlan& plan, const std::string& text, std::size_t piece = 1 << 20) {
  std::string out;
  RestoreStream stream(plan, [&](const char* d, std::size_t n) { out.append(d, n); });
  FeedInPieces(stream, text, piece);
  return out;
}

const std::string kDump =
    "--\n-- PostgreSQL database dump\n--\n\n"
    "SET lock_timeout = 0;\n"
    "SELECT pg_catalog.set_config('search_path', '', false);\n"
    "CREATE INDEX a_idx ON public.a USING gist (public.ll_to_earth(lat, lon));\n"
    "COPY public.t (id, note) FROM stdin;\n"
    "1\tSELECT pg_catalog.set_config('search_path', '', false);\n"
    "2\t\\connect evil\n"
    "\\.\n"
    "\n--\n-- PostgreSQL database dump complete\n--\n";

TEST(RestoreStream, FixesSearchPathOutsideTableDataOnly) {
  const std::string out = Filter({}, kDump);
  std::string expected = kDump;
  const std::string from =
      "SET lock_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);";
  expected.replace(expected.find(from), from.size(),
                   "SET lock_timeout = 0;\nSELECT pg_catalog.set_config('search_path', 'pg_catalog, "
                   "public', true);");
  EXPECT_EQ(out, expected);
}

TEST(RestoreStream, SameOutputWhateverTheChunkBoundaries) {
  const std::string whole = Filter({}, kDump);
  for (std::size_t piece = 1; piece < 40; ++piece) {
    EXPECT_EQ(Filter({}, kDump, piece), whole) << "piece size " << piece;
  }
}

TEST(RestoreStream, CountsLinesAndFixes) {
  std::string out;
  RestoreStream stream({}, [&](const char* d, std::size_t n) { out.append(d, n); });
  FeedInPieces(stream, kDump, 7);
  EXPECT_EQ(stream.lines_in(), 15u);
  EXPECT_EQ(stream.lines_out(), 15u);
  EXPECT_EQ(stream.search_path_fixes(), 1u);
}

TEST(RestoreStream, DropsDatabaseLevelLinesOfACreateDump) {
  const std::string dump =
      "CREATE DATABASE immich WITH TEMPLATE = template0;\n\\connect immich\nCREATE TABLE public.a "
      "();\n";
  EXPECT_EQ(Filter({}, dump), "CREATE TABLE public.a ();\n");
}

TEST(RestoreStream, AddsTheMissingLastNewline) {
  EXPECT_EQ(Filter({}, "SELECT 1;\n-- end"), "SELECT 1;\n-- end\n");
}

TEST(RestoreStream, MapsOutputLinesBackToTheDump) {
  const std::string dump = "a\nCREATE DATABASE x;\n\\connect x\nb\nc\n";
  std::string out;
  RestoreStream stream({}, [&](const char* d, std::size_t n) { out.append(d, n); });
  FeedInPieces(stream, dump, 3);
  ASSERT_EQ(out, "a\nb\nc\n");
  EXPECT_EQ(stream.SourceLine(1), 1u);
  EXPECT_EQ(stream.SourceLine(2), 4u);
  EXPECT_EQ(stream.SourceLine(3), 5u);
  EXPECT_EQ(stream.SourceLine(4), 0u);
  EXPECT_EQ(stream.SourceLine(0), 0u);
}

// The shape of `pg_dumpall --clean --if-exists` (PostgreSQL 15, with \restrict lines).
const std::string kCluster =
    "--\n-- PostgreSQL database cluster dump\n--\n\n"
    "\\restrict K1\n"
    "SET default_transaction_read_only = off;\n"
    "DROP DATABASE IF EXISTS immich;\n"
    "DROP ROLE IF EXISTS postgres;\n"
    "DROP ROLE IF EXISTS \"New Role\";\n"
    "CREATE ROLE postgres;\n"
    "ALTER ROLE postgres WITH SUPERUSER LOGIN PASSWORD 'SCRAM-SHA-256$x';\n"
    "CREATE ROLE \"New Role\";\n"
    "ALTER ROLE \"New Role\" WITH NOLOGIN;\n"
    "GRANT pg_monitor TO \"New Role\" GRANTED BY postgres;\n"
    "\\unrestrict K1\n"
    "--\n-- Databases\n--\n\n"
    "--\n-- Database \"template1\" dump\n--\n\n"
    "\\restrict K2\n"
    "CREATE DATABASE template1 WITH TEMPLATE = template0;\n"
    "\\unrestrict K2\n"
    "\\connect template1\n"
    "\\restrict K2\n"
    "CREATE TABLE public.in_template ();\n"
    "\\unrestrict K2\n"
    "--\n-- Database \"immich\" dump\n--\n\n"
    "\\restrict K3\n"
    "SET statement_timeout = 0;\n"
    "CREATE DATABASE immich WITH TEMPLATE = template0;\n"
    "ALTER DATABASE immich OWNER TO postgres;\n"
    "\\unrestrict K3\n"
    "\\connect immich\n"
    "\\restrict K3\n"
    "SELECT pg_catalog.set_config('search_path', '', false);\n"
    "CREATE TABLE public.asset (id integer);\n"
    "COPY public.asset (id) FROM stdin;\n"
    "1\n"
    "\\.\n"
    "-- PostgreSQL database dump complete\n"
    "\\unrestrict K3\n"
    "--\n-- Database \"other\" dump\n--\n\n"
    "\\connect other\n"
    "COPY public.x (id) FROM stdin;\n"
    "-- Database \"immich\" dump\n"
    "\\.\n"
    "CREATE TABLE public.x ();\n"
    "--\n-- PostgreSQL database cluster dump complete\n--\n";

TEST(RestoreStream, ClusterKeepsNewRolesAndTheDatabaseSectionOnly) {
  StreamPlan plan{true, "immich", {"postgres"}};
  std::string out;
  RestoreStream stream(plan, [&](const char* d, std::size_t n) { out.append(d, n); });
  FeedInPieces(stream, kCluster, 5);
  EXPECT_EQ(out,
            "--\n-- PostgreSQL database cluster dump\n--\n\n"
            "\\restrict K1\n"
            "SET default_transaction_read_only = off;\n"
            "CREATE ROLE \"New Role\";\n"
            "ALTER ROLE \"New Role\" WITH NOLOGIN;\n"
            "GRANT pg_monitor TO \"New Role\" GRANTED BY postgres;\n"
            "\\unrestrict K1\n"
            "--\n-- Databases\n--\n\n"
            "--\n"
            "\\restrict K3\n"
            "SELECT pg_catalog.set_config('search_path', 'pg_catalog, public', true);\n"
            "CREATE TABLE public.asset (id integer);\n"
            "COPY public.asset (id) FROM stdin;\n"
            "1\n"
            "\\.\n"
            "-- PostgreSQL database dump complete\n"
            "\\unrestrict K3\n"
            "--\n"
            "-- PostgreSQL database cluster dump complete\n");
  EXPECT_TRUE(stream.found_database());
  EXPECT_EQ(stream.databases(), (std::vector<std::string>{"template1", "immich", "other"}));
}

TEST(RestoreStream, ClusterWithoutTheDatabaseSaysWhichItHas) {
  StreamPlan plan{true, "photos", {}};
  RestoreStream stream(plan, [](const char*, std::size_t) {});
  FeedInPieces(stream, kCluster, 1 << 20);
  EXPECT_FALSE(stream.found_database());
  EXPECT_EQ(stream.databases().size(), 3u);
}

TEST(RestoreStream, ParsesSectionAndRoleNames) {
  EXPECT_EQ(SectionDatabase("-- Database \"immich\" dump\n"), "immich");
  EXPECT_EQ(SectionDatabase("-- Database \"my \"db\" dump"), "my \"db");
  EXPECT_EQ(SectionDatabase("-- Database dump"), "");
  EXPECT_EQ(RoleOfStatement("CREATE ROLE immich;"), "immich");
  EXPECT_EQ(RoleOfStatement("ALTER ROLE immich WITH LOGIN;"), "immich");
  EXPECT_EQ(RoleOfStatement("ALTER ROLE \"a \"\"b\"\"\" SET x = 1;"), "a \"b\"");
  EXPECT_EQ(RoleOfStatement("GRANT a TO b;"), "");
}

TEST(RestoreScript, SingleDatabasePrefixIsImmichsSchemaResetInOpenTransaction) {
  RestoreScript script;
  script.user = "immich \"admin\"";
  const std::string sql = RestorePrefix(script);
  EXPECT_EQ(sql.find("BEGIN;\n"), sql.find('\n') + 1) << sql;
  // first of all: nothing planted in public runs as the restoring superuser
  EXPECT_EQ(sql.find("SET search_path = pg_catalog, pg_temp;\n"), sql.find("BEGIN;\n") + 7) << sql;
  EXPECT_NE(sql.find("DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n"
                     "GRANT ALL ON SCHEMA public TO \"immich \"\"admin\"\"\";\n"
                     "GRANT ALL ON SCHEMA public TO public;\n"),
            std::string::npos)
      << sql;
  EXPECT_NE(sql.find("SET lock_timeout = '60s';"), std::string::npos);
  EXPECT_EQ(sql.find("immich_maintd_runs"), std::string::npos);
  EXPECT_EQ(sql.find("COMMIT"), std::string::npos);
}

TEST(RestoreScript, ClusterPrefixDropsEveryUserSchema) {
  RestoreScript script;
  script.cluster = true;
  script.user = "postgres";
  const std::string sql = RestorePrefix(script);
  EXPECT_NE(sql.find("EXECUTE pg_catalog.format('DROP EXTENSION IF EXISTS %I CASCADE', x)"),
            std::string::npos);
  EXPECT_NE(sql.find("EXECUTE pg_catalog.format('DROP SCHEMA IF EXISTS %I CASCADE', x)"),
            std::string::npos);
  EXPECT_EQ(sql.find("DROP SCHEMA IF EXISTS public"), std::string::npos);
}

TEST(RestoreScript, CarriesRunsAcrossAndCommitsLast) {
  RestoreScript script;
  script.user = "postgres";
  script.carry_runs = true;
  script.extension_schema = "public";
  script.run_id = 42;
  EXPECT_NE(RestorePrefix(script).find("CREATE TEMP TABLE immich_maintd_runs ON COMMIT DROP AS "
                                       "SELECT * FROM immich_maint.job_run;"),
            std::string::npos);
  const std::string post = RestorePostlude(script);
  EXPECT_NE(post.find("CREATE EXTENSION IF NOT EXISTS immich_maint WITH SCHEMA \"public\";"),
            std::string::npos);
  EXPECT_NE(post.find("WHERE id = 42 AND status = 'running'"), std::string::npos);
  EXPECT_NE(post.find("'{\"isMaintenanceMode\": false}'"), std::string::npos);
  EXPECT_EQ(post.rfind("COMMIT;\n"), post.size() - 8);
}

TEST(RestoreScript, QuotesLiteralsAndIdentifiers) {
  EXPECT_EQ(QuoteLiteral("it's"), "'it''s'");
  EXPECT_EQ(QuoteIdent("a\"b"), "\"a\"\"b\"");
}

}  // namespace
}  // namespace immich_maint::sidecar

namespace immich_maint::sidecar {
namespace {

TEST(PsqlError, TakesTheFirstErrorWithItsLineAndDetail) {
  const PsqlError e = ParsePsqlError(
      "psql:<stdin>:12: WARNING:  something\n"
      "psql:<stdin>:40: ERROR:  relation \"x\" does not exist\n"
      "LINE 1: SELECT * FROM x;\n"
      "                      ^\n"
      "psql:<stdin>:41: ERROR:  current transaction is aborted\n");
  EXPECT_EQ(e.line, 40u);
  EXPECT_EQ(e.message, "relation \"x\" does not exist");
  EXPECT_EQ(e.detail, "LINE 1: SELECT * FROM x;\n                      ^");
}

TEST(PsqlError, ReadsErrorsAndFatals) {
  PsqlError e = ParsePsqlError(
      "psql:<stdin>:40: ERROR:  type \"earth\" does not exist\nCONTEXT:  SQL function "
      "\"ll_to_earth\"\n");
  EXPECT_EQ(e.line, 40u);
  EXPECT_EQ(e.message, "type \"earth\" does not exist");
  EXPECT_EQ(e.detail, "CONTEXT:  SQL function \"ll_to_earth\"");
  e = ParsePsqlError(
      "psql:<stdin>:7: FATAL:  terminating connection due to administrator command\n");
  EXPECT_EQ(e.message, "terminating connection due to administrator command");
  EXPECT_EQ(ParsePsqlError("could not connect\n").line, 0u);
}

}  // namespace
}  // namespace immich_maint::sidecar
