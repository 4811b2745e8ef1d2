// Collective: the operations the processes of one training job use to combine what each computed
// on its own rows — sums and maxima of number buffers, gathers and broadcasts of bytes, a
// barrier. Learners call only this interface: LocalCollective is a world of one process (every
// operation is a no-op or a copy), MPI's implementation (dist/world.h) spans processes started by
// mpirun. Every rank must call the same operations in the same order with the same buffer sizes
// (the MPI rule). Each operation counts the bytes it hands over and the time it takes (stats()).
// Not thread-safe: one thread of a process calls it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/core/status.h"

namespace tessera::dist {

// What this rank spent on communication so far.
struct CommStats {
  uint64_t calls = 0;       // collective operations
  uint64_t bytes_sent = 0;  // payload bytes this rank handed to the operations (see docs/distributed.md)
  double seconds = 0;       // wall time inside the operations (waiting for slower ranks included)
};

class Collective {
 public:
  virtual ~Collective() = default;
  // This process's number, 0 .. size() - 1, and the number of processes.
  virtual int rank() const = 0;
  virtual int size() const = 0;

  // Element-wise sum / maximum over all ranks, in place. Integer sums are exact (two's
  // complement, wrapping), so any buffer of 64-bit integer sums may be passed, such as fixed-point
  // histogram bins.
  virtual Status AllReduceSum(std::span<int64_t> values) = 0;
  virtual Status AllReduceSum(std::span<double> values) = 0;
  virtual Status AllReduceMax(std::span<int64_t> values) = 0;
  virtual Status AllReduceMax(std::span<double> values) = 0;
  // Every rank's bytes (of any length), in rank order.
  virtual Result<std::vector<std::string>> AllGather(std::string_view bytes) = 0;
  // Replaces *bytes on every rank with rank `root`'s.
  virtual Status Broadcast(std::string* bytes, int root) = 0;
  virtual Status Barrier() = 0;

  const CommStats& stats() const { return stats_; }

 protected:
  CommStats stats_;
};

// A world of one: rank 0 of 1. Sums and maxima leave the buffer as it is; a gather returns the
// one buffer. Costs a virtual call and nothing else.
class LocalCollective final : public Collective {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  Status AllReduceSum(std::span<int64_t>) override { return Status::Ok(); }
  Status AllReduceSum(std::span<double>) override { return Status::Ok(); }
  Status AllReduceMax(std::span<int64_t>) override { return Status::Ok(); }
  Status AllReduceMax(std::span<double>) override { return Status::Ok(); }
  Result<std::vector<std::string>> AllGather(std::string_view bytes) override {
    return std::vector<std::string>{std::string(bytes)};
  }
  Status Broadcast(std::string*, int root) override {
    return root == 0 ? Status::Ok() : Status::Internal("broadcast from rank " + std::to_string(root) + " in a world of one");
  }
  Status Barrier() override { return Status::Ok(); }
};

// The process-wide world of one, for callers that are not distributed.
Collective& LocalWorld();

}  // namespace tessera::dist
