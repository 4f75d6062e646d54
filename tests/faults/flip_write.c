// LD_PRELOAD shim for tests/faults/restore_point_corrupt.sh: a disk that silently corrupts what
// it is given. The first write() to a file whose path contains FLIP_PATH_CONTAINING and ends in
// ".tmp" that covers byte FLIP_AT_BYTE of the bytes written to such files has that byte's lowest
// bit flipped on its way to the file (the caller's buffer is left alone). Every other write goes
// through untouched. Built at test time: cc -shared -fPIC -o flip_write.so flip_write.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "fd_path.h"

static ssize_t (*real_write)(int, const void*, size_t);
static const char* containing;
static long long flip_at = -1;  // -1: not armed
static atomic_llong written;    // bytes written to matching files so far
static atomic_int flipped;

__attribute__((constructor)) static void init(void) {
  real_write = (ssize_t(*)(int, const void*, size_t))dlsym(RTLD_NEXT, "write");
  containing = getenv("FLIP_PATH_CONTAINING");
  const char* at = getenv("FLIP_AT_BYTE");
  if (containing && *containing && at && *at) flip_at = atoll(at);
}

static int matches(int fd) {
  char path[4096];
  const int n = fd_path(fd, path, sizeof path);
  return n >= 4 && strcmp(path + n - 4, ".tmp") == 0 && strstr(path, containing) != NULL;
}

ssize_t write(int fd, const void* buf, size_t count) {
  if (!real_write) real_write = (ssize_t(*)(int, const void*, size_t))dlsym(RTLD_NEXT, "write");
  if (flip_at < 0 || count == 0 || atomic_load(&flipped) || !matches(fd)) return real_write(fd, buf, count);
  const long long start = atomic_fetch_add(&written, (long long)count);
  if (flip_at < start || flip_at >= start + (long long)count) return real_write(fd, buf, count);
  unsigned char* copy = malloc(count);
  if (!copy) return real_write(fd, buf, count);
  memcpy(copy, buf, count);
  copy[flip_at - start] ^= 1;
  atomic_store(&flipped, 1);
  const ssize_t n = real_write(fd, copy, count);
  free(copy);
  return n;
}
