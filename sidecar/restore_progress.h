// A restore's progress as one fraction over its phases (verify, restore-point, restore,
// rollback), weighted by how long each usually takes, for job_run.progress and the terminal.
// Pure: the caller says where it is; this says how far that is.
#pragma once

#include <cstdint>

namespace immich_maint::sidecar {

enum class RestorePhase { kVerify, kRestorePoint, kRestore, kRollback };
// "verify", "restore-point", "restore", "rollback"
const char* RestorePhaseName(RestorePhase phase);

class RestoreProgress {
 public:
  explicit RestoreProgress(bool with_restore_point);

  // The fraction in [0, 1) for `done` of `total` within a phase (total 0: the phase's start).
  // Never goes backwards; rollback keeps the fraction where the failure left it.
  double At(RestorePhase phase, std::uint64_t done, std::uint64_t total);

 private:
  struct Span {
    double start;
    double weight;
  };
  Span SpanOf(RestorePhase phase) const;

  bool with_restore_point_;
  double last_ = 0;
};

}  // namespace immich_maint::sidecar
