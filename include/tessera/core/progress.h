// Progress: reports how far a long job is, on stderr. On a terminal it redraws one line with a
// bar, rate and ETA; otherwise it prints a plain line at most every few seconds. Thread-safe:
// Advance() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace tessera {

class Progress {
 public:
  // `total` in `unit`s (0 when unknown). Nothing is printed when `enabled` is false.
  Progress(std::string label, uint64_t total, std::string unit, bool enabled);
  ~Progress();
  void Advance(uint64_t amount);
  void Set(uint64_t done);
  // Prints the final line (once).
  void Finish();

 private:
  void Draw(bool final);
  std::string label_, unit_;
  uint64_t total_;
  bool enabled_, tty_, finished_ = false;
  std::atomic<uint64_t> done_{0};
  std::mutex mutex_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace tessera
