#include "tessera/core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace tessera {

namespace {
std::string HumanAmount(double v, const std::string& unit) {
  char buf[64];
  if (unit == "B") {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (v >= 1024 && u < 4) v /= 1024, ++u;
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f %s", v, unit.c_str());
  }
  return buf;
}
}  // namespace

Progress::Progress(std::string label, uint64_t total, std::string unit, bool enabled)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(enabled),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { Finish(); }

void Progress::Advance(uint64_t amount) { Set(done_.fetch_add(amount) + amount); }

void Progress::Set(uint64_t done) {
  done_.store(done);
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  auto interval = tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock() || now - last_draw_ < interval) return;
  last_draw_ = now;
  Draw(false);
}

void Progress::Finish() {
  if (!enabled_) return;
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  Draw(true);
}

void Progress::Draw(bool final) {
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double done = static_cast<double>(done_.load());
  double rate = seconds > 0 ? done / seconds : 0;
  std::string line = label_ + ": " + HumanAmount(done, unit_);
  if (total_ > 0) line += " / " + HumanAmount(static_cast<double>(total_), unit_);
  line += "  " + HumanAmount(rate, unit_) + "/s";
  char buf[64];
  if (final) {
    std::snprintf(buf, sizeof buf, "  done in %.2fs", seconds);
    line += buf;
  } else if (total_ > 0 && rate > 0 && done <= total_) {
    std::snprintf(buf, sizeof buf, "  ETA %.0fs", (total_ - done) / rate);
    line += buf;
  }
  if (tty_) {
    std::string bar;
    if (total_ > 0) {
      int filled = static_cast<int>(24 * std::min(1.0, done / total_));
      bar = "[" + std::string(filled, '#') + std::string(24 - filled, '.') + "] ";
    }
    std::fprintf(stderr, "\r\033[K%s%s%s", bar.c_str(), line.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace tessera
