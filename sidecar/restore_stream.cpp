// The restore's SQL filter and the SQL around the dump (see restore_stream.h).
#include "sidecar/restore_stream.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/text_affix.h"

namespace immich_maint::sidecar {

namespace {

using core::EndsWith;
using core::StartsWith;

constexpr std::string_view kSectionPrefix = "-- Database \"";
constexpr std::string_view kSectionSuffix = "\" dump";
constexpr std::string_view kClusterComplete = "-- PostgreSQL database cluster dump complete";

std::string_view WithoutNewline(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// An identifier as pg_dump prints it: "quoted, with "" for a quote" or bare up to ' ' or ';'.
std::string ParseIdentifier(std::string_view text) {
  std::string name;
  if (!text.empty() && text[0] == '"') {
    for (std::size_t i = 1; i < text.size(); ++i) {
      if (text[i] != '"') {
        name += text[i];
        continue;
      }
      if (i + 1 < text.size() && text[i + 1] == '"') {
        name += '"';
        ++i;
        continue;
      }
      return name;
    }
    return {};  // unterminated
  }
  const std::size_t end = text.find_first_of(" ;");
  return std::string(text.substr(0, end));
}

// Statements of a database's own, in a one-transaction restore into an existing database.
bool IsDatabaseLevel(std::string_view line) {
  return StartsWith(line, "\\connect") || StartsWith(line, "CREATE DATABASE ") ||
         StartsWith(line, "DROP DATABASE ");
}

}  // namespace

std::string SectionDatabase(std::string_view line) {
  line = WithoutNewline(line);
  if (!StartsWith(line, kSectionPrefix) || !EndsWith(line, kSectionSuffix)) return {};
  if (line.size() < kSectionPrefix.size() + kSectionSuffix.size()) return {};
  return std::string(line.substr(kSectionPrefix.size(),
                                 line.size() - kSectionPrefix.size() - kSectionSuffix.size()));
}

std::string RoleOfStatement(std::string_view line) {
  for (std::string_view prefix :
       {std::string_view("CREATE ROLE "), std::string_view("ALTER ROLE ")}) {
    if (StartsWith(line, prefix)) return ParseIdentifier(line.substr(prefix.size()));
  }
  return {};
}

RestoreStream::RestoreStream(StreamPlan plan, Sink sink)
    : plan_(std::move(plan)), sink_(std::move(sink)) {}

RestoreStream::Action RestoreStream::ClassifyGlobal(std::string_view line) const {
  if (StartsWith(line, "DROP ROLE ") || StartsWith(line, "CREATE TABLESPACE ") ||
      IsDatabaseLevel(line)) {
    return Action::kDrop;  // a tablespace cannot be created inside a transaction
  }
  const std::string role = RoleOfStatement(line);
  if (!role.empty() && plan_.existing_roles.count(role) > 0) return Action::kDrop;
  return Action::kPass;
}

void RestoreStream::EnterSection(std::string_view line) {
  const std::string name = SectionDatabase(line);
  databases_.push_back(name);
  const bool target = name == plan_.database;
  found_ = found_ || target;
  region_ = target ? Region::kBeforeConnect : Region::kOtherDatabase;
}

RestoreStream::Action RestoreStream::ClassifyCluster(std::string_view line) {
  if (StartsWith(line, kSectionPrefix) && !SectionDatabase(line).empty()) {
    EnterSection(line);
    return Action::kDrop;
  }
  switch (region_) {
    case Region::kGlobal:
      return ClassifyGlobal(line);
    case Region::kOtherDatabase:
      return line == kClusterComplete ? Action::kPass : Action::kDrop;
    case Region::kBeforeConnect:  // the dump's CREATE DATABASE and ALTER DATABASE, up to \connect
      if (StartsWith(line, "\\connect")) region_ = Region::kDatabase;
      return Action::kDrop;
    case Region::kDatabase:
      break;
  }
  if (line == kEmptySearchPathLine) return Action::kFix;
  return IsDatabaseLevel(line) ? Action::kDrop : Action::kPass;
}

RestoreStream::Action RestoreStream::Classify(std::string_view line) {
  line = WithoutNewline(line);
  if (in_copy_) {  // table data: never rewritten; kept or dropped with its section
    if (line == "\\.") in_copy_ = false;
    return !plan_.cluster || region_ == Region::kDatabase ? Action::kPass : Action::kDrop;
  }
  if (StartsWith(line, "COPY ") && EndsWith(line, " FROM stdin;")) in_copy_ = true;
  if (plan_.cluster) return ClassifyCluster(line);
  if (line == kEmptySearchPathLine) return Action::kFix;
  return IsDatabaseLevel(line) ? Action::kDrop : Action::kPass;
}

void RestoreStream::Emit(const char* data, std::size_t size) {
  if (size > 0) sink_(data, size);
}

// One whole line (with its newline); a passed line extends the open run, which is emitted as
// one piece when a line is dropped or fixed, or at the end of the chunk.
void RestoreStream::Line(const char* data, std::size_t size, bool& run_open,
                         const char*& run_start) {
  ++lines_in_;
  const Action action = Classify(std::string_view(data, size));
  if (action == Action::kPass) {
    ++lines_out_;
    if (last_dropped_) line_map_.emplace_back(lines_out_, lines_in_);
    last_dropped_ = false;
    if (!run_open) run_start = data;
    run_open = true;
    return;
  }
  if (run_open) Emit(run_start, static_cast<std::size_t>(data - run_start));
  run_open = false;
  if (action == Action::kDrop) {
    last_dropped_ = true;
    return;
  }
  ++lines_out_;
  ++fixes_;
  if (last_dropped_) line_map_.emplace_back(lines_out_, lines_in_);
  last_dropped_ = false;
  Emit(kFixedSearchPathLine.data(), kFixedSearchPathLine.size());
  Emit("\n", 1);
}

void RestoreStream::Feed(const std::uint8_t* bytes, std::size_t size) {
  const char* pos = reinterpret_cast<const char*>(bytes);
  const char* const end = pos + size;
  bool run_open = false;
  const char* run_start = nullptr;
  if (!carry_.empty()) {
    const auto* newline = static_cast<const char*>(std::memchr(pos, '\n', size));
    if (newline == nullptr) {
      carry_.append(pos, size);
      return;
    }
    carry_.append(pos, static_cast<std::size_t>(newline + 1 - pos));
    pos = newline + 1;
    const std::string line = std::move(carry_);
    carry_.clear();
    Line(line.data(), line.size(), run_open, run_start);
    if (run_open) Emit(line.data(), line.size());
    run_open = false;
  }
  while (pos < end) {
    const auto* newline =
        static_cast<const char*>(std::memchr(pos, '\n', static_cast<std::size_t>(end - pos)));
    if (newline == nullptr) break;
    Line(pos, static_cast<std::size_t>(newline + 1 - pos), run_open, run_start);
    pos = newline + 1;
  }
  if (run_open) Emit(run_start, static_cast<std::size_t>(pos - run_start));
  carry_.append(pos, static_cast<std::size_t>(end - pos));
}

void RestoreStream::Finish() {
  if (carry_.empty()) return;
  carry_ += '\n';
  const std::string line = std::move(carry_);
  carry_.clear();
  bool run_open = false;
  const char* run_start = nullptr;
  Line(line.data(), line.size(), run_open, run_start);
  if (run_open) Emit(line.data(), line.size());
}

std::uint64_t RestoreStream::SourceLine(std::uint64_t out_line) const {
  if (out_line == 0 || out_line > lines_out_) return 0;
  const auto after =
      std::upper_bound(line_map_.begin(), line_map_.end(), std::make_pair(out_line, UINT64_MAX));
  const auto& segment = *(after - 1);
  return segment.second + (out_line - segment.first);
}

PsqlError ParsePsqlError(std::string_view text) {
  constexpr std::string_view kPrefix = "psql:<stdin>:";
  PsqlError error;
  bool found = false;
  int detail_lines = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (found) {
      if (StartsWith(line, kPrefix) || ++detail_lines > 6) break;
      error.detail += (error.detail.empty() ? "" : "\n") + std::string(line);
      continue;
    }
    if (!StartsWith(line, kPrefix)) continue;
    std::string_view rest = line.substr(kPrefix.size());
    const std::size_t colon = rest.find(": ");
    if (colon == std::string_view::npos) continue;
    const std::uint64_t number =
        std::strtoull(std::string(rest.substr(0, colon)).c_str(), nullptr, 10);
    rest.remove_prefix(colon + 2);
    bool is_error = false;
    for (std::string_view severity :
         {std::string_view("ERROR:"), std::string_view("FATAL:"), std::string_view("error:")}) {
      if (!StartsWith(rest, severity)) continue;
      rest.remove_prefix(severity.size());
      is_error = true;
    }
    if (!is_error) continue;
    error.line = number;
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    error.message = std::string(rest);
    found = true;
  }
  return error;
}

std::string QuoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string QuoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

namespace {

// Every extension but plpgsql (an extension's own schema goes with it), then every schema a
// user made; system ones (pg_*, information_schema) and our temp schema stay.
constexpr const char* kDropUserSchemas = R"SQL(DO $immich_maintd$
DECLARE x name;
BEGIN
  FOR x IN SELECT extname FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql' LOOP
    EXECUTE pg_catalog.format('DROP EXTENSION IF EXISTS %I CASCADE', x);
  END LOOP;
  FOR x IN SELECT nspname FROM pg_catalog.pg_namespace
           WHERE nspname <> 'information_schema' AND nspname !~ '^pg_' LOOP
    EXECUTE pg_catalog.format('DROP SCHEMA IF EXISTS %I CASCADE', x);
  END LOOP;
END $immich_maintd$;
)SQL";

// Raises a memory setting for this transaction, never lowers it.
std::string RaiseMemorySetting(const std::string& name, const std::string& value) {
  return "DO $immich_maintd$ BEGIN\n"
         "  IF pg_catalog.pg_size_bytes(pg_catalog.current_setting(" + QuoteLiteral(name) +
         ")) < pg_catalog.pg_size_bytes(" + QuoteLiteral(value) + ") THEN\n"
         "    PERFORM pg_catalog.set_config(" + QuoteLiteral(name) + ", " + QuoteLiteral(value) +
         ", true);\n"
         "  END IF;\nEND $immich_maintd$;\n";
}

}  // namespace

std::string RestorePrefix(const RestoreScript& s) {
  std::string sql = "-- immich-maintd: before the dump, in the same transaction\nBEGIN;\n";
  // Nothing anyone planted in public may run as the restoring superuser.
  sql += "SET search_path = pg_catalog, pg_temp;\n";
  sql += "SET client_min_messages = warning;\n";
  sql += "SET statement_timeout = 0;\nSET idle_in_transaction_session_timeout = 0;\n";
  sql += "SET lock_timeout = " + QuoteLiteral(s.lock_timeout) + ";\n";
  sql += RaiseMemorySetting("maintenance_work_mem", s.maintenance_work_mem);  // index builds
  sql += RaiseMemorySetting("work_mem", s.work_mem);  // the foreign-key checks' joins
  if (s.carry_runs) {
    sql +=
        "CREATE TEMP TABLE immich_maintd_runs ON COMMIT DROP AS SELECT * FROM "
        "immich_maint.job_run;\n";
  }
  sql += s.cluster ? kDropUserSchemas : "DROP SCHEMA IF EXISTS public CASCADE;\n";
  sql += "CREATE SCHEMA public;\n";
  sql += "GRANT ALL ON SCHEMA public TO " + QuoteIdent(s.user) + ";\n";
  sql += "GRANT ALL ON SCHEMA public TO public;\n";
  sql += "SET lock_timeout = 0;\n";
  return sql;
}

std::string RestorePostlude(const RestoreScript& s) {
  std::string sql = "-- immich-maintd: after the dump, in the same transaction\n";
  sql += "SET search_path = pg_catalog, pg_temp;\n";
  if (s.carry_runs) {
    sql += "CREATE EXTENSION IF NOT EXISTS immich_maint WITH SCHEMA " +
           QuoteIdent(s.extension_schema) + ";\n";
    sql +=
        "DELETE FROM immich_maint.job_run WHERE id IN (SELECT id FROM "
        "pg_temp.immich_maintd_runs);\n";
    sql +=
        "INSERT INTO immich_maint.job_run SELECT (pg_catalog.jsonb_populate_record("
        "NULL::immich_maint.job_run, pg_catalog.to_jsonb(r))).* FROM pg_temp.immich_maintd_runs r "
        "WHERE r.job IN (SELECT name FROM immich_maint.job);\n";
    sql +=
        "SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence('immich_maint.job_run', 'id'), "
        "pg_catalog.max(id)) FROM immich_maint.job_run HAVING pg_catalog.max(id) IS NOT NULL;\n";
    if (s.run_id > 0) {
      sql +=
          "UPDATE immich_maint.job_run SET heartbeat_at = pg_catalog.now(), result = "
          "'{\"restored\": true}' WHERE id = " +
          std::to_string(s.run_id) + " AND status = 'running';\n";
    }
  }
  sql +=
      "DO $immich_maintd$ BEGIN\n"
      "  IF pg_catalog.to_regclass('public.system_metadata') IS NOT NULL THEN\n"
      "    UPDATE public.system_metadata SET value = '{\"isMaintenanceMode\": false}' "
      "WHERE key = 'maintenance-mode';\n"
      "  END IF;\nEND $immich_maintd$;\n";
  sql += "COMMIT;\n";
  return sql;
}

}  // namespace immich_maint::sidecar
