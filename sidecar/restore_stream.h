// The SQL a restore feeds psql, made on the fly from the dump, line by line and in bounded
// memory: the search_path fix for earthdistance (reference §3), lines a one-transaction restore
// must not run (\connect, CREATE/DROP DATABASE), and, for a cluster dump (pg_dumpall), only the
// part that belongs to the database being restored: roles that do not exist yet and that
// database's own section. Pure: no I/O, no server. Also the SQL around the dump (prefix and
// postlude) and the map from psql's line numbers back to the dump's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace immich_maint::sidecar {

// What pg_dump writes, and what Immich's users rewrite it to by hand.
inline constexpr std::string_view kEmptySearchPathLine =
    "SELECT pg_catalog.set_config('search_path', '', false);";
inline constexpr std::string_view kFixedSearchPathLine =
    "SELECT pg_catalog.set_config('search_path', 'pg_catalog, public', true);";

struct StreamPlan {
  bool cluster = false;
  std::string database;                  // cluster: the section restored
  std::set<std::string> existing_roles;  // cluster: left as they are (no CREATE, no ALTER)
};

class RestoreStream {
 public:
  using Sink = std::function<void(const char* data, std::size_t size)>;
  RestoreStream(StreamPlan plan, Sink sink);

  void Feed(const std::uint8_t* data, std::size_t size);
  void Finish();  // the last line, if it had no newline (then one is added)

  std::uint64_t lines_in() const { return lines_in_; }
  std::uint64_t lines_out() const { return lines_out_; }
  std::uint64_t search_path_fixes() const { return fixes_; }
  std::uint64_t lines_dropped() const { return lines_in_ - lines_out_; }
  // cluster: every database section seen, and whether the planned one was among them
  const std::vector<std::string>& databases() const { return databases_; }
  bool found_database() const { return found_; }
  // The dump's line number (1-based) of output line `out_line` (1-based); 0 if out of range.
  std::uint64_t SourceLine(std::uint64_t out_line) const;

 private:
  enum class Region { kGlobal, kOtherDatabase, kBeforeConnect, kDatabase };
  enum class Action { kPass, kDrop, kFix };
  Action Classify(std::string_view line);
  Action ClassifyCluster(std::string_view line);
  Action ClassifyGlobal(std::string_view line) const;
  void EnterSection(std::string_view line);
  void Line(const char* data, std::size_t size, bool& run_open, const char*& run_start);
  void Emit(const char* data, std::size_t size);

  StreamPlan plan_;
  Sink sink_;
  std::string carry_;
  bool in_copy_ = false;
  Region region_ = Region::kGlobal;
  std::uint64_t lines_in_ = 0;
  std::uint64_t lines_out_ = 0;
  std::uint64_t fixes_ = 0;
  std::vector<std::string> databases_;
  bool found_ = false;
  // (first output line, its source line) at every place where dropped lines break the count
  std::vector<std::pair<std::uint64_t, std::uint64_t>> line_map_{{1, 1}};
  bool last_dropped_ = false;
};

// The parts of the dump a cluster restore leaves out, parsed from one line: the database name
// of `-- Database "<name>" dump`, and the role of `CREATE ROLE <name>;` / `ALTER ROLE <name> ...`
// (quoted identifiers unquoted). Empty when the line is not of that form.
std::string SectionDatabase(std::string_view line);
std::string RoleOfStatement(std::string_view line);

// The SQL around the dump, fed to psql before and after it.
struct RestoreScript {
  bool cluster = false;
  std::string user;              // the restoring role, granted the new public schema
  bool carry_runs = false;       // immich_maint is installed: keep its job_run rows across
  std::string extension_schema;  // where immich_maint was installed (carry_runs)
  std::int64_t run_id = 0;       // the run doing the restore (0: a command-line restore)
  std::string lock_timeout = "60s";
  std::string maintenance_work_mem = "256MB";  // raised for index builds, never lowered
  std::string work_mem = "64MB";  // raised for the foreign-key checks' joins, never lowered
};

// BEGIN, settings, the job_run snapshot, then Immich's schema reset (single database: public;
// cluster section: every user schema, as the cluster dump would have dropped the database).
std::string RestorePrefix(const RestoreScript& script);
// immich_maint back if the dump lacked it, job_run rows carried over, maintenance mode off in
// the restored system_metadata, COMMIT. Only a complete feed ends in COMMIT: if the sidecar dies
// midway, psql reaches end of input inside the open transaction and the server rolls it back.
std::string RestorePostlude(const RestoreScript& script);

// The first error psql printed (`psql:<stdin>:<line>: ERROR:  <message>`, then DETAIL, HINT,
// CONTEXT lines): its input line (0 if none), the message and the lines after it.
struct PsqlError {
  std::uint64_t line = 0;
  std::string message;
  std::string detail;
};
PsqlError ParsePsqlError(std::string_view stderr_text);

std::string QuoteIdent(std::string_view name);
std::string QuoteLiteral(std::string_view text);

}  // namespace immich_maint::sidecar
