// The one boundary between C++ and PostgreSQL errors for every entry point (SQL function,
// worker main, callback). No PostgreSQL header here: the body runs pure C++, and a C++
// exception is copied into fixed buffers and raised with ereport only after the catch block has
// ended, so no longjmp ever crosses a C++ frame that still owns resources.
#pragma once

#include <exception>
#include <new>

#include "core/error.h"

namespace immich_maint::pg {

struct PendingError {
  char sqlstate[6];
  char message[1024];
  char detail[1024];
  char hint[1024];
};

// Copies the error into the buffers (truncating); never throws.
void CaptureError(const core::Error& error, PendingError* pending) noexcept;
void CaptureMessage(const char* sqlstate, const char* message, PendingError* pending) noexcept;

// ereport(ERROR) with the captured SQLSTATE, message, detail and hint.
[[noreturn]] void RaisePending(const PendingError& pending);

// Runs body; a C++ exception becomes a PostgreSQL ERROR. Returns what body returns.
template <typename Body>
auto Guard(Body&& body) -> decltype(body()) {
  static PendingError pending;  // backends are single-threaded; one error in flight at a time
  try {
    return body();
  } catch (const core::Failure& failure) {
    CaptureError(failure.error(), &pending);
  } catch (const std::bad_alloc&) {
    CaptureMessage("53200", "out of memory in immich_maint", &pending);
  } catch (const std::exception& e) {
    CaptureMessage("XX000", e.what(), &pending);
  } catch (...) {
    CaptureMessage("XX000", "unknown C++ exception in immich_maint", &pending);
  }
  RaisePending(pending);
}

}  // namespace immich_maint::pg
