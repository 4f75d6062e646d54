// Snapshot read of the database's file paths.
#include "sidecar/db_file_refs.h"

#include <libpq-fe.h>

#include <functional>

#include "core/error.h"
#include "core/media_paths.h"
#include "core/path_text.h"
#include "core/storage_folders.h"
#include "sidecar/report_store.h"
#include "sidecar/server_info.h"

namespace immich_maint::sidecar {

namespace {

constexpr int kSampleRows = 200;

std::string Quoted(const std::string& identifier) { return "\"" + identifier + "\""; }

std::string ColumnName(const core::PathColumn& c) { return std::string(c.table) + "." + c.column; }

bool ColumnExists(PgConnection& conn, const core::PathColumn& c) {
  return conn.Value(
             "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = "
             "to_regclass($1) "
             "AND attname = $2 AND attnum > 0 AND NOT attisdropped)",
             {Quoted(c.table), c.column}) == std::optional<std::string>("t");
}

std::string SelectPaths(const core::PathColumn& c) {
  const std::string column = Quoted(c.column);
  return "SELECT " + column + " FROM " + Quoted(c.table) + " WHERE " + column + " <> ''";
}

std::vector<std::string> Sample(PgConnection& conn, const std::vector<core::PathColumn>& columns) {
  std::vector<std::string> sample;
  for (const auto& c : columns) {
    for (const auto& row : conn.Query(SelectPaths(c) + " LIMIT " + std::to_string(kSampleRows))) {
      if (row[0]) sample.push_back(*row[0]);
    }
  }
  return sample;
}

[[noreturn]] void ThrowNoPathUnder(const std::string& prefix, const std::string& example) {
  throw core::Failure(core::MakeError(
      core::ErrorCode::kInvalidArgument,
      "no database path starts with " + core::EscapeInvalidUtf8(prefix) + "/",
      "For example, the database has " + core::EscapeInvalidUtf8(example) + ".",
      "Pass --db-media-prefix (job parameter dbMediaPrefix) with the media location Immich's "
      "server uses, e.g. /data or /usr/src/app/upload."));
}

void ChoosePrefix(PgConnection& conn, const std::string& media, const std::string& option,
                  const std::vector<core::PathColumn>& columns, DbFileRefs& refs) {
  if (!option.empty()) {
    refs.prefix = option, refs.prefix_source = "option";
    return;
  }
  if (TableExists(conn, "system_metadata")) {
    const auto saved =
        conn.Value("SELECT value->>'location' FROM system_metadata WHERE key = 'MediaLocation'");
    if (saved && !saved->empty()) {
      refs.prefix = *saved, refs.prefix_source = "system_metadata";
      return;
    }
  }
  const auto sample = Sample(conn, columns);
  const auto detected =
      core::DetectDbMediaPrefix(sample, {media, "/data", "/usr/src/app/upload", "upload"});
  if (!detected && !sample.empty()) ThrowNoPathUnder(media, sample.front());
  refs.prefix = detected.value_or(media), refs.prefix_source = "detected";
}

void AddPath(std::string_view path, DbFileRefs& refs) {
  ++refs.rows;
  const auto relative = core::RelativeUnderPrefix(path, refs.prefix);
  const std::string_view folder = relative ? core::FolderOfRelative(*relative) : std::string_view();
  const core::StorageFolderSpec* spec = core::FindStorageFolder(folder);
  if (spec == nullptr || !spec->scanned_for_orphans) {
    ++refs.elsewhere;
    return;
  }
  refs.paths.Add(*relative);
}

[[noreturn]] void ThrowCopyError(pg_conn* conn) {
  std::string message = PQerrorMessage(conn);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  throw core::Failure(core::MakeError(core::ErrorCode::kInternal, "query failed: " + message));
}

// COPY (query) TO STDOUT, one text-format row per call of on_row.
void CopyRows(PgConnection& conn, const std::string& query,
              const std::function<void(std::string_view)>& on_row) {
  PGresult* started = PQexec(conn.raw(), ("COPY (" + query + ") TO STDOUT").c_str());
  const bool copying = PQresultStatus(started) == PGRES_COPY_OUT;
  PQclear(started);
  if (!copying) ThrowCopyError(conn.raw());
  char* buffer = nullptr;
  int length = 0;
  while ((length = PQgetCopyData(conn.raw(), &buffer, 0)) > 0) {
    std::string_view row(buffer, static_cast<std::size_t>(length));
    if (!row.empty() && row.back() == '\n') row.remove_suffix(1);
    if (row.find('\\') == std::string_view::npos)
      on_row(row);
    else
      on_row(core::UnescapeCopyText(row));
    PQfreemem(buffer);
  }
  bool failed = length == -2;
  while (PGresult* result = PQgetResult(conn.raw())) {
    failed = failed || PQresultStatus(result) != PGRES_COMMAND_OK;
    PQclear(result);
  }
  if (failed) ThrowCopyError(conn.raw());
}

void ReadSnapshot(PgConnection& conn, const std::string& media, const std::string& option,
                  DbFileRefs& refs) {
  std::vector<core::PathColumn> columns;
  for (const auto& c : core::ReferencedPathColumns()) {
    if (ColumnExists(conn, c)) columns.push_back(c), refs.columns.push_back(ColumnName(c));
  }
  ChoosePrefix(conn, media, option, columns, refs);
  std::string example;
  for (const auto& c : columns) {
    CopyRows(conn, SelectPaths(c), [&](std::string_view path) {
      if (example.empty()) example = std::string(path);
      AddPath(path, refs);
    });
  }
  if (refs.rows > 0 && refs.rows == refs.elsewhere) ThrowNoPathUnder(refs.prefix, example);
}

}  // namespace

DbFileRefs ReadDbFileRefs(PgConnection& conn, const std::string& media,
                          const std::string& prefix_option) {
  DbFileRefs refs;
  InTransaction(
      conn, [&] { ReadSnapshot(conn, media, prefix_option, refs); },
      "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  refs.paths.Seal();
  return refs;
}

}  // namespace immich_maint::sidecar
