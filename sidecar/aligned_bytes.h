// A byte vector whose storage starts on a 64 KiB boundary. ISA-L's level-1 deflate with full
// flushes emits different (equally valid) bytes depending on where its input lies in memory
// (measured: 4 of 8 runs of the same 506 MB dump differed under address randomisation, 8 of 8
// agreed with the input buffer so aligned). Backups must compress identically run after run, or
// yesterday's file shares fewer bytes with today's, so the encoder stages its input here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace immich_maint::sidecar {

inline constexpr std::size_t kStagingAlignment = std::size_t{64} * 1024;

template <class T>
struct StagingAllocator {
  using value_type = T;
  StagingAllocator() = default;
  template <class U>
  StagingAllocator(const StagingAllocator<U>&) {}  // NOLINT: rebinding is implicit by design
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{kStagingAlignment}));
  }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t{kStagingAlignment}); }
  template <class U>
  bool operator==(const StagingAllocator<U>&) const { return true; }
  template <class U>
  bool operator!=(const StagingAllocator<U>&) const { return false; }
};

using AlignedBytes = std::vector<std::uint8_t, StagingAllocator<std::uint8_t>>;

}  // namespace immich_maint::sidecar
