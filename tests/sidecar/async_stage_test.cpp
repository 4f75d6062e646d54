// The backup pipeline's queue: order, back-pressure, and failures carried to the producer.
#include "sidecar/async_stage.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "core/error.h"

namespace immich_maint::sidecar {
namespace {

const std::uint8_t* Bytes(const std::string& s) { return reinterpret_cast<const std::uint8_t*>(s.data()); }

TEST(AsyncStage, ConsumesEveryChunkInOrder) {
  std::string seen;
  AsyncStage stage([&](const std::uint8_t* d, std::size_t n) { seen.append(reinterpret_cast<const char*>(d), n); }, 8);
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    const std::string chunk = std::to_string(i) + ",";
    expected += chunk;
    stage.Push(Bytes(chunk), chunk.size());
  }
  stage.Finish();
  EXPECT_EQ(seen, expected);
}

TEST(AsyncStage, QueueNeverHoldsMoreThanItsLimitPlusOneChunk) {
  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::size_t> worst{0};
  AsyncStage stage([&](const std::uint8_t*, std::size_t n) { in_flight -= n; }, 64);
  const std::string chunk(16, 'x');
  for (int i = 0; i < 500; ++i) {
    in_flight += chunk.size();
    worst = std::max<std::size_t>(worst, in_flight);
    stage.Push(Bytes(chunk), chunk.size());
  }
  stage.Finish();
  EXPECT_LE(worst.load(), 64u + 2 * 16u);
}

TEST(AsyncStage, ConsumerFailureReachesTheProducer) {
  AsyncStage stage([](const std::uint8_t*, std::size_t) {
    throw core::Failure(core::MakeError(core::ErrorCode::kIoError, "cannot write x: No space left on device"));
  });
  const std::string chunk = "data";
  try {
    for (int i = 0; i < 100; ++i) stage.Push(Bytes(chunk), chunk.size());
    stage.Finish();
    FAIL() << "expected the consumer's failure";
  } catch (const core::Failure& f) {
    EXPECT_EQ(f.error().message, "cannot write x: No space left on device");
  }
}

TEST(AsyncStage, DestroyingWithPendingChunksDoesNotHang) {
  std::atomic<int> consumed{0};
  {
    AsyncStage stage([&](const std::uint8_t*, std::size_t) { ++consumed; }, 1 << 20);
    const std::string chunk(100, 'y');
    for (int i = 0; i < 50; ++i) stage.Push(Bytes(chunk), chunk.size());
  }
  EXPECT_LE(consumed.load(), 50);
}

}  // namespace
}  // namespace immich_maint::sidecar
