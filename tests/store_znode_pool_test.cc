// ZnodePool: sizes round to their class, pieces never overlap, a freed piece
// is reused by its own class only, large pieces bypass the blocks, many small
// pieces fill blocks densely (no per-piece header), and a moved pool takes
// its blocks along.
#include "store/znode_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

namespace warden::store {
namespace {

TEST(ZnodePool, SizesRoundUpToTheirClass) {
  EXPECT_EQ(ZnodePool::capacity_for(1), 16u);
  EXPECT_EQ(ZnodePool::capacity_for(16), 16u);
  EXPECT_EQ(ZnodePool::capacity_for(17), 32u);
  EXPECT_EQ(ZnodePool::capacity_for(249), 256u);
  EXPECT_EQ(ZnodePool::capacity_for(4000), 4000u);  // large: a multiple of 16 already
}

TEST(ZnodePool, PiecesAreAlignedAndNeverOverlap) {
  ZnodePool pool;
  struct Piece {
    char* at;
    size_t bytes;
    char fill;
  };
  std::vector<Piece> pieces;
  for (int i = 0; i < 20'000; ++i) {
    const size_t bytes = 130 + (i * 37) % 400;
    char* at = static_cast<char*>(pool.allocate(bytes));
    ASSERT_EQ(reinterpret_cast<uintptr_t>(at) % 16, 0u);
    const char fill = static_cast<char>(i);
    std::memset(at, fill, ZnodePool::capacity_for(bytes));
    pieces.push_back({at, bytes, fill});
  }
  for (const Piece& piece : pieces) {
    for (size_t k = 0; k < ZnodePool::capacity_for(piece.bytes); ++k) {
      ASSERT_EQ(piece.at[k], piece.fill) << "a later piece overwrote this one";
    }
  }
}

TEST(ZnodePool, AFreedPieceServesItsOwnClassOnly) {
  ZnodePool pool;
  void* a = pool.allocate(250);
  pool.free(a, 250);
  void* other_class = pool.allocate(300);
  EXPECT_NE(other_class, a);
  EXPECT_EQ(pool.allocate(241), a) << "241 bytes round to the same 256-byte class";
}

TEST(ZnodePool, LargePiecesComeFromTheHeap) {
  ZnodePool pool;
  void* small = pool.allocate(100);
  const size_t blocks = pool.block_bytes();
  void* large = pool.allocate(ZnodePool::kMaxPooledBytes + 1);
  std::memset(large, 1, ZnodePool::kMaxPooledBytes + 1);
  EXPECT_EQ(pool.block_bytes(), blocks);
  pool.free(large, ZnodePool::kMaxPooledBytes + 1);
  pool.free(small, 100);
}

TEST(ZnodePool, ManyPiecesFillBlocksDensely) {
  ZnodePool pool;
  constexpr size_t kPieces = 100'000;
  constexpr size_t kBytes = 272;
  for (size_t i = 0; i < kPieces; ++i) pool.allocate(kBytes);
  const size_t needed = kPieces * kBytes;
  EXPECT_GE(pool.block_bytes(), needed);
  EXPECT_LE(pool.block_bytes(), needed + ZnodePool::kBlockBytes);
  // Freed and allocated again: no new block.
  std::vector<void*> again;
  for (size_t i = 0; i < 1000; ++i) again.push_back(pool.allocate(kBytes));
  const size_t before = pool.block_bytes();
  for (void* piece : again) pool.free(piece, kBytes);
  for (size_t i = 0; i < 1000; ++i) pool.allocate(kBytes);
  EXPECT_EQ(pool.block_bytes(), before);
}

TEST(ZnodePool, AMovedPoolTakesItsBlocksAlong) {
  ZnodePool pool;
  char* piece = static_cast<char*>(pool.allocate(64));
  std::memset(piece, 7, 64);
  const size_t blocks = pool.block_bytes();
  ZnodePool moved(std::move(pool));
  EXPECT_EQ(moved.block_bytes(), blocks);
  EXPECT_EQ(pool.block_bytes(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(piece[63], 7);
  moved.release();
  EXPECT_EQ(moved.block_bytes(), 0u);
}

}  // namespace
}  // namespace warden::store
