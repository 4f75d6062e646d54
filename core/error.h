// Expected failures, shared by the extension and the sidecar.
// One table (error.cpp) maps every code to a SQLSTATE and to a process exit status, so the
// same failure reads the same in SQL, in job_run.error and in a shell script's `$?`.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace immich_maint::core {

enum class ErrorCode {
  kInternal,            // a bug: should never reach a user
  kInvalidArgument,     // bad input from the caller
  kInvalidBackupName,   // a name Immich's rules refuse
  kInvalidKeepCount,    // keepLastAmount < 1
  kInvalidSchedule,     // cron expression refused
  kUnknownJob,          // job name not in Immich's list
  kNotFound,            // file, folder or run does not exist
  kPermissionDenied,    // role or file permissions
  kConnectionFailed,    // cannot reach PostgreSQL
  kUnsupportedServer,   // PostgreSQL major outside 14-18, missing client binary
  kIoError,             // read, write, fsync, rename failed
  kCorruptBackup,       // gzip or SQL damage found by verification
  kDumpFailed,          // pg_dump exited non-zero or stalled
  kRestoreFailed,       // psql failed; database rolled back
  kTimeout,             // a wait ran out
  kBusy,                // another backup or restore holds the lock
  kNotMounted,          // storage folder lost its .immich marker
};

struct ErrorInfo {
  const char* name;      // stable identifier, e.g. "invalid_backup_name"
  const char* sqlstate;  // five characters
  int exit_status;       // sidecar process exit status
};

// The one table of codes. Never returns null.
const ErrorInfo& Describe(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  // lowercase, no trailing period
  std::string detail;   // a sentence, may be empty
  std::string hint;     // a sentence, may be empty
};

// Thrown only across glue layers (sidecar commands, extension bodies); the guards at entry
// points catch it. Core functions return Result instead.
class Failure : public std::runtime_error {
 public:
  explicit Failure(Error error) : std::runtime_error(error.message), error_(std::move(error)) {}
  const Error& error() const { return error_; }

 private:
  Error error_;
};

// A value or an Error: the return type of every core operation that can fail on user input.
template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return Unwrap(); }
  T&& value() && { return std::move(const_cast<T&>(Unwrap())); }
  const Error& error() const { return std::get<Error>(state_); }

 private:
  const T& Unwrap() const {
    if (!ok()) throw Failure(std::get<Error>(state_));
    return std::get<T>(state_);
  }
  std::variant<T, Error> state_;
};

// Builds an Error in one expression: return MakeError(ErrorCode::kX, "msg", "detail.", "hint.");
Error MakeError(ErrorCode code, std::string message, std::string detail = {},
                std::string hint = {});

}  // namespace immich_maint::core
