// Phase weights for a restore's progress (see restore_progress.h). Measured on the bench
// database: reading and checking the file takes about a tenth of the time, the restore point
// (pg_dump and compression) about a third of the restore itself.
#include "sidecar/restore_progress.h"

#include <algorithm>

namespace immich_maint::sidecar {

const char* RestorePhaseName(RestorePhase phase) {
  switch (phase) {
    case RestorePhase::kVerify:
      return "verify";
    case RestorePhase::kRestorePoint:
      return "restore-point";
    case RestorePhase::kRestore:
      return "restore";
    case RestorePhase::kRollback:
      return "rollback";
  }
  return "restore";
}

RestoreProgress::RestoreProgress(bool with_restore_point)
    : with_restore_point_(with_restore_point) {}

RestoreProgress::Span RestoreProgress::SpanOf(RestorePhase phase) const {
  const double verify = with_restore_point_ ? 0.10 : 0.15;
  const double point = with_restore_point_ ? 0.25 : 0.0;
  switch (phase) {
    case RestorePhase::kVerify:
      return {0.0, verify};
    case RestorePhase::kRestorePoint:
      return {verify, point};
    case RestorePhase::kRestore:
      return {verify + point, 1.0 - verify - point};
    case RestorePhase::kRollback:
      break;
  }
  return {last_, 0.0};
}

double RestoreProgress::At(RestorePhase phase, std::uint64_t done, std::uint64_t total) {
  const Span span = SpanOf(phase);
  const double part =
      total == 0 ? 0.0 : std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
  // 0.999 at most: 1 means finished, which only the end of the run may say
  last_ = std::max(last_, std::min(0.999, span.start + span.weight * part));
  return last_;
}

}  // namespace immich_maint::sidecar
