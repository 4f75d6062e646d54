// The restore procedure (see restore_job.h).
#include "sidecar/restore_job.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include "core/error.h"
#include "sidecar/backup_inventory.h"
#include "sidecar/backup_job.h"
#include "sidecar/backup_lock.h"
#include "sidecar/child_process.h"
#include "sidecar/client_lockout.h"
#include "sidecar/error_report.h"
#include "sidecar/host_name.h"
#include "sidecar/maintenance_mode.h"
#include "sidecar/media_location.h"
#include "sidecar/pg_connection.h"
#include "sidecar/restore_journal.h"
#include "sidecar/restore_stream.h"
#include "sidecar/server_info.h"

namespace immich_maint::sidecar {

namespace {

using Clock = std::chrono::steady_clock;
using core::ErrorCode;
using core::MakeError;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Thrown by the feed when psql stops reading: its exit says why.
struct PsqlStopped {};

class Restore {
 public:
  Restore(const DbSettings& db, const RestoreOptions& options)
      : db_(db), options_(options), progress_(options.restore_point) {}
  RestoreResult Run();

 private:
  void RecoverLeftovers();
  void Prepare();
  void Verify();
  void ReadFacts();
  void MarkMaintenance();
  void StartSessions();
  void KeepOthersOut();
  void AwaitDumpEnded();
  void AwaitRestorePoint();
  void Feed();
  bool FeedAll(RestoreStream& stream, const RestoreScript& script, const std::string& prefix);
  void WriteToPsql(std::string_view text);
  void RequireDatabaseSection(const RestoreStream& stream) const;
  void FinishPsql(const RestoreStream& stream, std::uint64_t prefix_lines, bool fed_all);
  void LetOthersBackIn();
  void Recover(core::Error error);
  core::Error RollBack(core::Error error);
  void EndRestoreSessions();
  void Report(RestorePhase phase, std::uint64_t done, std::uint64_t total);
  void EnterPhase(const std::string& phase);
  void StartPsql();
  void StartRestorePoint();
  ChildSpec PsqlSpec() const;
  StreamPlan MakeStreamPlan() const;
  RestoreScript MakeScript() const;

  const DbSettings& db_;
  const RestoreOptions& options_;
  RestoreProgress progress_;
  std::mutex progress_mutex_;
  RestoreResult result_;
  std::string folder_;
  std::string path_;
  std::string psql_binary_;
  std::unique_ptr<PgConnection> conn_;   // the database being restored; holds the backup lock
  std::unique_ptr<PgConnection> admin_;  // postgres (or template1): ALTER DATABASE, terminations
  std::unique_ptr<BackupLock> lock_;
  std::string user_;
  std::optional<std::string> extension_schema_;
  std::set<std::string> roles_;
  MaintenanceRow maintenance_;
  RestoreJournal journal_;
  bool journal_written_ = false;
  bool committed_anyway_ = false;  // the failure came after the restore's COMMIT
  std::unique_ptr<FedChild> psql_;
  std::unique_ptr<PgConnection> point_conn_;
  std::future<BackupResult> point_;
  std::promise<void> dump_ended_;  // the restore point's pg_dump exited: its locks are gone
  std::future<void> dump_ended_future_ = dump_ended_.get_future();
  Spared spared_;
  const std::string suffix_ = std::to_string(::getpid());
  const std::string psql_session_ = "immich-maintd-restore-psql-" + suffix_;
  const std::string dump_session_ = "immich-maintd-restore-dump-" + suffix_;
};

RestoreResult Restore::Run() {
  const auto started = Clock::now();
  RecoverLeftovers();
  Prepare();
  Verify();
  ReadFacts();
  try {
    MarkMaintenance();
    StartSessions();
    KeepOthersOut();
    AwaitDumpEnded();
    Feed();
  } catch (const core::Failure& failure) {
    Recover(failure.error());
  } catch (const std::exception& e) {
    Recover(MakeError(ErrorCode::kInternal, e.what()));
  }
  LetOthersBackIn();
  result_.seconds = SecondsSince(started);
  return result_;
}

// A journal left by a restore that died: undo what it changed before anything else.
void Restore::RecoverLeftovers() {
  const auto recovered = RecoverInterruptedRestore(db_, options_.media);
  if (!recovered) return;
  result_.notes.push_back(*recovered);
  if (options_.log) options_.log(*recovered);
}

// Everything that can fail before the database is touched: the name, the server, the client
// binaries, the folder, the other database for ALTER DATABASE, and the backup lock.
void Restore::Prepare() {
  result_.name = options_.name;
  folder_ = BackupsFolder(options_.media);
  path_ = BackupPathForName(folder_, options_.name);
  conn_ = std::make_unique<PgConnection>(db_, "immich-maintd-restore");
  const int major = SupportedServerMajor(conn_->server_version());
  psql_binary_ = ClientBinary("psql", major, options_.pg_bin);
  if (options_.restore_point) ClientBinary("pg_dump", major, options_.pg_bin);
  CheckFolderMounted(*conn_, options_.media, "backups");
  admin_ = ConnectToMaintenanceDatabase(db_, "immich-maintd-restore-admin");
  lock_ = std::make_unique<BackupLock>(*conn_);
}

void Restore::Verify() {
  const auto started = Clock::now();
  Report(RestorePhase::kVerify, 0, 0);
  CheckOptions check;
  check.fast_inflate = true;
  check.progress = [&](std::uint64_t done, std::uint64_t total) {
    Report(RestorePhase::kVerify, done, total);
  };
  result_.check = CheckBackupFile(path_, check);
  result_.kind = DumpKindName(result_.check.dump.kind);
  if (result_.check.cluster_by_name != (result_.check.dump.kind == DumpKind::kCluster)) {
    result_.notes.push_back(std::string("Immich would read this backup as a ") +
                            (result_.check.cluster_by_name ? "cluster" : "single-database") +
                            " dump by its name; its header says " + result_.kind +
                            ", which is what is restored");
  }
  result_.verify_seconds = SecondsSince(started);
}

void Restore::ReadFacts() {
  result_.database = conn_->Value("SELECT current_database()").value_or("");
  user_ = conn_->Value("SELECT current_user").value_or("");
  extension_schema_ = conn_->Value(
      "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
      "WHERE e.extname = 'immich_maint'");
  for (const auto& row : conn_->Query("SELECT rolname FROM pg_roles")) {
    roles_.insert(row[0].value_or(""));
  }
  maintenance_ = ReadMaintenanceMode(*conn_);
  journal_.public_schema_oid = PublicSchemaOid(*conn_);
  journal_.database = result_.database;
  journal_.backup = options_.name;
  journal_.run_id = options_.run_id;
  journal_.pid = ::getpid();
  journal_.host = HostName();
  journal_.started = FormatUtc(std::time(nullptr));
}

void Restore::EnterPhase(const std::string& phase) {
  journal_.phase = phase;
  WriteRestoreJournal(folder_, journal_);
  journal_written_ = true;
}

// Immich's servers that start now stay in maintenance; the journal is written first, so a
// crash between the two still gets the row put back.
void Restore::MarkMaintenance() {
  journal_.maintenance_set = maintenance_.table_exists;
  journal_.maintenance_before = maintenance_.value;
  journal_.maintenance_marker = MaintenanceOnValue(options_.name);
  EnterPhase(options_.restore_point ? "restore-point" : "restore");
  if (maintenance_.table_exists) WriteMaintenanceMode(*conn_, journal_.maintenance_marker);
}

ChildSpec Restore::PsqlSpec() const {
  ChildSpec spec;
  spec.binary = psql_binary_;
  // -f -: stdin read as a file, so psql's errors name their input line
  spec.args = {
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-o",
      "/dev/null",
      "-f",
      "-",
      "--dbname=" + db_.ConnInfoWithoutPassword() + " application_name='" + psql_session_ + "'"};
  if (!db_.password.empty()) spec.env.emplace_back("PGPASSWORD", db_.password);
  return spec;
}

// psql connects now and waits for its input: after the door closes nobody, superusers
// included, can connect to a database that does not allow connections.
void Restore::StartPsql() {
  psql_ = std::make_unique<FedChild>(PsqlSpec());
  try {
    spared_.pids.push_back(WaitForSession(*admin_, psql_session_, "psql", std::chrono::seconds(30),
                                          [this] { return !psql_->Running(); }));
  } catch (const core::Failure&) {
    const ChildOutcome outcome = psql_->Finish();
    throw core::Failure(MakeError(ErrorCode::kRestoreFailed,
                                  "psql could not connect: " + outcome.Describe(),
                                  "psql said: " + outcome.stderr_tail));
  }
}

// pg_dump runs in a thread of its own; once its session is connected, the door may close.
void Restore::StartRestorePoint() {
  point_conn_ = std::make_unique<PgConnection>(db_, "immich-maintd-restore-point");
  BackupOptions backup;
  backup.media = options_.media;
  backup.pg_bin = options_.pg_bin;
  backup.application_name = dump_session_;
  // Written while Immich is kept out: ISA-L's fastest useful level (a 1% larger file) keeps
  // that time short.
  backup.gzip.level = 1;
  const std::uint64_t expected = result_.check.sql_bytes;
  backup.progress = [this, expected](std::uint64_t bytes) {
    Report(RestorePhase::kRestorePoint, bytes, expected);
  };
  backup.dump_ended = [this] { dump_ended_.set_value(); };
  point_ = std::async(std::launch::async,
                      [this, backup] { return WriteRestorePoint(*point_conn_, db_, backup); });
  const auto ended = [this] {
    return point_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  };
  try {
    spared_.pids.push_back(
        WaitForSession(*admin_, dump_session_, "pg_dump", std::chrono::seconds(60), ended));
  } catch (const core::Failure&) {
    if (!ended()) throw;
    AwaitRestorePoint();  // pg_dump already ended: its error, or a database small enough to be done
  }
}

void Restore::StartSessions() {
  StartPsql();
  spared_.pids.push_back(conn_->Value("SELECT pg_backend_pid()::text").value_or("0"));
  if (!options_.spare_pid.empty()) spared_.pids.push_back(options_.spare_pid);
  spared_.application_names = {"immich-maintd-serve", "immich-maintd-heartbeat",
                               "immich-maintd-restore-point"};
  if (options_.restore_point) StartRestorePoint();
}

void Restore::KeepOthersOut() {
  journal_.connections_blocked = true;
  EnterPhase(journal_.phase);
  SetAllowConnections(*admin_, result_.database, false);
  result_.sessions_ended = TerminateOthers(*admin_, result_.database, spared_);
}

// The restore may start once the restore point's pg_dump has exited; its file is still being
// read back then, and the COMMIT waits for that (AwaitRestorePoint in FeedAll).
void Restore::AwaitDumpEnded() {
  if (!options_.restore_point || !point_.valid()) return;
  while (dump_ended_future_.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
    if (point_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      return AwaitRestorePoint();  // it failed before pg_dump ended (or finished: then done)
    }
  }
}

void Restore::AwaitRestorePoint() {
  if (!options_.restore_point || !point_.valid()) return;
  BackupResult point;
  try {
    point = point_.get();
  } catch (const core::Failure& failure) {
    core::Error error = failure.error();
    error.message = "restore point failed: " + error.message;
    const bool server_went_away = error.detail.find("connection") != std::string::npos;
    error.hint = error.code == ErrorCode::kCorruptBackup
                     ? "The restore point did not read back intact: check the disk and the file "
                       "system."
                 : server_went_away
                     ? "The connection to the server was lost; restore again once it is back."
                     : "A database too damaged to dump can be restored with --no-restore-point.";
    throw core::Failure(error);
  }
  result_.restore_point = point.name;
  result_.restore_point_size = point.size;
  result_.restore_point_seconds = point.seconds;
}

StreamPlan Restore::MakeStreamPlan() const {
  StreamPlan plan;
  plan.cluster = result_.check.dump.kind == DumpKind::kCluster;
  plan.database = result_.database;
  plan.existing_roles = roles_;
  return plan;
}

RestoreScript Restore::MakeScript() const {
  RestoreScript script;
  script.cluster = result_.check.dump.kind == DumpKind::kCluster;
  script.user = user_;
  script.carry_runs = extension_schema_.has_value();
  script.extension_schema = extension_schema_.value_or("public");
  script.run_id = options_.run_id;
  script.lock_timeout = options_.lock_timeout;
  return script;
}

void Restore::RequireDatabaseSection(const RestoreStream& stream) const {
  if (stream.found_database()) return;
  std::string held;
  for (const auto& name : stream.databases()) held += (held.empty() ? "" : ", ") + name;
  throw core::Failure(
      MakeError(ErrorCode::kNotFound,
                "database " + result_.database + " is not in the cluster dump " + options_.name,
                "It holds: " + (held.empty() ? std::string("no database sections") : held) + "."));
}

// prefix, the filtered dump (read and checked again on the way), postlude ending in COMMIT.
// False when psql stopped reading first (FinishPsql then says why).
bool Restore::FeedAll(RestoreStream& stream, const RestoreScript& script,
                      const std::string& prefix) {
  CheckOptions read;
  read.fast_inflate = true;
  read.progress = [&](std::uint64_t done, std::uint64_t total) {
    Report(RestorePhase::kRestore, done, total);
  };
  read.on_sql = [&](const std::uint8_t* data, std::size_t size) { stream.Feed(data, size); };
  try {
    WriteToPsql(prefix);
    CheckBackupFile(path_, read);
    stream.Finish();
    if (script.cluster) RequireDatabaseSection(stream);
    AwaitRestorePoint();  // the postlude commits: only with a restore point that read back intact
    WriteToPsql(RestorePostlude(script));
    return true;
  } catch (const PsqlStopped&) {
    return false;
  }
}

void Restore::WriteToPsql(std::string_view text) {
  if (!psql_->Write(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()))
    throw PsqlStopped{};
}

void Restore::Feed() {
  const auto started = Clock::now();
  EnterPhase("restore");
  Report(RestorePhase::kRestore, 0, 0);
  const RestoreScript script = MakeScript();
  RestoreStream stream(MakeStreamPlan(), [this](const char* data, std::size_t size) {
    WriteToPsql({data, size});
  });
  const std::string prefix = RestorePrefix(script);
  const bool fed_all = FeedAll(stream, script, prefix);
  result_.runs_carried = script.carry_runs;
  FinishPsql(stream, static_cast<std::uint64_t>(std::count(prefix.begin(), prefix.end(), '\n')),
             fed_all);
  for (const auto& name : stream.databases()) {
    if (name != result_.database) result_.other_databases.push_back(name);
  }
  result_.restore_seconds = SecondsSince(started);
}

// Where psql's error line is: in our SQL before or after the dump, or a line of the dump.
std::string Where(const RestoreStream& stream, std::uint64_t prefix_lines, std::uint64_t line,
                  const std::string& name) {
  if (line == 0) return "";
  if (line <= prefix_lines) return " before the dump";
  const std::uint64_t source = stream.SourceLine(line - prefix_lines);
  if (source == 0) return " after the dump";
  return " at line " + std::to_string(source) + " of " + name;
}

void Restore::FinishPsql(const RestoreStream& stream, std::uint64_t prefix_lines, bool fed_all) {
  const ChildOutcome outcome = psql_->Finish();
  result_.sql_lines = stream.lines_in();
  result_.search_path_fixes = stream.search_path_fixes();
  result_.lines_left_out = stream.lines_dropped();
  if (outcome.ok() && fed_all) return;
  const PsqlError error = ParsePsqlError(outcome.stderr_tail);
  if (error.message.empty()) {
    throw core::Failure(
        MakeError(ErrorCode::kRestoreFailed, "restore failed: psql " + outcome.Describe(),
                  outcome.stderr_tail.empty() ? "" : "psql said: " + outcome.stderr_tail));
  }
  throw core::Failure(MakeError(ErrorCode::kRestoreFailed,
                                "restore failed" +
                                    Where(stream, prefix_lines, error.line, options_.name) + ": " +
                                    error.message,
                                error.detail));
}

// The restore committed (maintenance mode went off inside it): only the door is left to open.
// If that fails, the journal stays for the next start, and the error says the data is restored.
void Restore::LetOthersBackIn() {
  journal_.maintenance_set = false;
  EnterPhase("done");
  try {
    AllowConnectionsAgain(db_, journal_);
  } catch (const core::Failure& failure) {
    throw core::Failure(MakeError(
        failure.error().code,
        "restored, but new connections are still refused: " + failure.error().message,
        "The database holds the backup's data.",
        "The next `immich-maintd restore` or `serve` start allows them again, or run ALTER "
        "DATABASE " +
            QuoteIdent(result_.database) + " ALLOW_CONNECTIONS true from another database."));
  }
  RemoveRestoreJournal(folder_);
}

// A failure rolls the restore back, unless its transaction had committed first (psql killed in
// the instant after its COMMIT): then the restore is done, and the note says what happened.
void Restore::Recover(core::Error error) {
  core::Error outcome = RollBack(std::move(error));
  if (!committed_anyway_) throw core::Failure(outcome);
  std::string what = outcome.message;
  const std::string_view failed = "restore failed: ";
  if (what.compare(0, failed.size(), failed) == 0) what.erase(0, failed.size());
  result_.notes.push_back("the restore committed, then " + what +
                          "; the database holds the backup's data");
}

// The transaction is rolled back when psql's session ends; we end it ourselves (and wait) so
// that its locks are gone before maintenance mode is put back.
core::Error Restore::RollBack(core::Error error) {
  Report(RestorePhase::kRollback, 0, 0);
  try {
    if (psql_) psql_->Kill();
    EndRestoreSessions();
    if (point_.valid()) point_.wait();
    // a restarting server refuses connections for a moment: retried for up to 30 s before
    // the undo is left to the next start
    if (journal_written_) {
      RetryWhileDisconnected([this] { committed_anyway_ = UndoRestoreChanges(db_, journal_); },
                             std::chrono::seconds(30), std::chrono::milliseconds(500));
      if (committed_anyway_) return error;  // Run finishes it as a success
      RemoveRestoreJournal(folder_);
    }
    error.detail +=
        std::string(error.detail.empty() ? "" : "\n") +
        "Nothing was changed: the restore was rolled back and the database is as it was.";
  } catch (const core::Failure& undo) {
    std::string why = undo.error().message;
    while (!why.empty() && (why.back() == '.' || why.back() == '\n')) why.pop_back();
    error.detail += std::string(error.detail.empty() ? "" : "\n") +
                    "The restore was rolled back, but undoing maintenance mode or the connection "
                    "block failed: " +
                    why + ". The next `immich-maintd restore` or `serve` start undoes them (" +
                    RestoreJournalPath(folder_) + ").";
  }
  return error;
}

// Ends psql's and pg_dump's sessions and waits for them. The admin connection may be gone with
// a restarted server, and with it those sessions: then a new one is tried once, and if the
// server does not answer yet, there is nothing left to end.
void Restore::EndRestoreSessions() {
  const auto end_both = [this] {
    EndSession(*admin_, psql_session_);
    EndSession(*admin_, dump_session_);
  };
  try {
    return end_both();
  } catch (const core::Failure&) {
  }
  try {
    admin_ = ConnectToMaintenanceDatabase(db_, "immich-maintd-restore-admin");
    end_both();
  } catch (const core::Failure&) {
    // a server that refuses connections has no sessions left to end
  }
}

void Restore::Report(RestorePhase phase, std::uint64_t done, std::uint64_t total) {
  std::lock_guard<std::mutex> lock(progress_mutex_);
  const double fraction = progress_.At(phase, done, total);
  if (options_.progress) options_.progress(phase, fraction, done, total);
}

}  // namespace

nlohmann::json RestoreResultJson(const RestoreResult& r) {
  return {{"name", r.name},
          {"database", r.database},
          {"kind", r.kind},
          {"backup", BackupCheckJson(r.check)},
          {"restore_point",
           r.restore_point.empty() ? nlohmann::json() : nlohmann::json(r.restore_point)},
          {"restore_point_size", r.restore_point_size},
          {"sql_lines", r.sql_lines},
          {"search_path_fixes", r.search_path_fixes},
          {"lines_left_out", r.lines_left_out},
          {"other_databases", r.other_databases},
          {"sessions_ended", r.sessions_ended},
          {"runs_carried", r.runs_carried},
          {"verify_seconds", r.verify_seconds},
          {"restore_point_seconds", r.restore_point_seconds},
          {"restore_seconds", r.restore_seconds},
          {"seconds", r.seconds},
          {"notes", r.notes}};
}

RestoreResult RunRestore(const DbSettings& db, const RestoreOptions& options) {
  Restore restore(db, options);
  return restore.Run();
}

}  // namespace immich_maint::sidecar
