// A restore's progress fraction across its phases.
#include "sidecar/restore_progress.h"

#include <gtest/gtest.h>

namespace immich_maint::sidecar {
namespace {

TEST(RestoreProgress, PhasesFollowEachOtherWithRestorePoint) {
  RestoreProgress progress(true);
  EXPECT_DOUBLE_EQ(progress.At(RestorePhase::kVerify, 0, 100), 0.0);
  EXPECT_DOUBLE_EQ(progress.At(RestorePhase::kVerify, 50, 100), 0.05);
  EXPECT_DOUBLE_EQ(progress.At(RestorePhase::kRestorePoint, 0, 0), 0.10);
  EXPECT_DOUBLE_EQ(progress.At(RestorePhase::kRestorePoint, 100, 100), 0.35);
  EXPECT_DOUBLE_EQ(progress.At(RestorePhase::kRestore, 50, 100), 0.675);
}

TEST(RestoreProgress, WithoutRestorePointTheRestoreGetsItsShare) {
  RestoreProgress progress(false);
  EXPECT_DOUBLE_EQ(progress.At(RestorePhase::kVerify, 100, 100), 0.15);
  EXPECT_DOUBLE_EQ(progress.At(RestorePhase::kRestore, 0, 100), 0.15);
}

TEST(RestoreProgress, NeverGoesBackwardsNorReachesOne) {
  RestoreProgress progress(true);
  EXPECT_DOUBLE_EQ(progress.At(RestorePhase::kRestore, 10, 10), 0.999);
  EXPECT_DOUBLE_EQ(progress.At(RestorePhase::kVerify, 0, 10), 0.999);
  // an estimate that was too small (restore point larger than expected) stays inside its phase
  RestoreProgress other(true);
  EXPECT_DOUBLE_EQ(other.At(RestorePhase::kRestorePoint, 300, 100), 0.35);
}

TEST(RestoreProgress, RollbackKeepsTheFractionWhereTheFailureLeftIt) {
  RestoreProgress progress(true);
  const double at_failure = progress.At(RestorePhase::kRestore, 20, 100);
  EXPECT_DOUBLE_EQ(progress.At(RestorePhase::kRollback, 0, 0), at_failure);
  EXPECT_STREQ(RestorePhaseName(RestorePhase::kRollback), "rollback");
  EXPECT_STREQ(RestorePhaseName(RestorePhase::kRestorePoint), "restore-point");
}

}  // namespace
}  // namespace immich_maint::sidecar
