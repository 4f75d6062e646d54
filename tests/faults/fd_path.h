// For the LD_PRELOAD shims in tests/faults: the path an open file descriptor refers to.
#pragma once
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

// Writes the path into `path` (of `size` bytes, NUL-terminated); returns its length, or -1.
static int fd_path(int fd, char* path, size_t size) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, path, size - 1);
  if (n < 0) return -1;
  path[n] = '\0';
  return (int)n;
}
