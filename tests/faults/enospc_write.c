// LD_PRELOAD shim for tests/faults/disk_full.sh: a disk that fills up during a backup, without
// a small file system. Once ENOSPC_AFTER_BYTES bytes have been written to files whose path ends
// in ".tmp" (the backup's partial file), write() to such files fails with ENOSPC, after one
// short write, as a filling disk answers. Every other write goes through untouched.
// Built at test time: cc -shared -fPIC -o enospc_write.so enospc_write.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "fd_path.h"

static ssize_t (*real_write)(int, const void*, size_t);
static long long limit = -1;  // -1: not armed
static atomic_llong written;  // bytes written to *.tmp files so far

__attribute__((constructor)) static void init(void) {
  real_write = (ssize_t(*)(int, const void*, size_t))dlsym(RTLD_NEXT, "write");
  const char* text = getenv("ENOSPC_AFTER_BYTES");
  if (text && *text) limit = atoll(text);
}

static int is_tmp_file(int fd) {
  char path[4096];
  const int n = fd_path(fd, path, sizeof path);
  return n >= 4 && strcmp(path + n - 4, ".tmp") == 0;
}

ssize_t write(int fd, const void* buf, size_t count) {
  if (!real_write) real_write = (ssize_t(*)(int, const void*, size_t))dlsym(RTLD_NEXT, "write");
  if (limit < 0 || count == 0 || !is_tmp_file(fd)) return real_write(fd, buf, count);
  const long long done = atomic_load(&written);
  if (done >= limit) {
    errno = ENOSPC;
    return -1;
  }
  if ((long long)count > limit - done) count = (size_t)(limit - done);
  const ssize_t n = real_write(fd, buf, count);
  if (n > 0) atomic_fetch_add(&written, n);
  return n;
}
