// The backup lock: a session-level PostgreSQL advisory lock held while a backup writes its
// .tmp file or retention deletes files, so several sidecars (and `immich-maintd backup` from a
// shell) never run two backups at once and never delete a .tmp that is still being written.
// Key: the two-integer form (42, 1), which cannot collide with Immich's one-bigint lock 42.
#pragma once

#include "sidecar/pg_connection.h"

namespace immich_maint::sidecar {

class BackupLock {
 public:
  // Throws core::Failure(kBusy) when another backup holds it. Once held, ends the dump
  // sessions that a dead sidecar left behind.
  explicit BackupLock(PgConnection& conn);
  ~BackupLock();
  BackupLock(const BackupLock&) = delete;
  BackupLock& operator=(const BackupLock&) = delete;

 private:
  void EndOrphanedDumps();

  PgConnection& conn_;
};

}  // namespace immich_maint::sidecar
