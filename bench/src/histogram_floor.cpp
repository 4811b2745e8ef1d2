// The machine's floor for the two loops that dominate histogram GBDT training, measured in their
// most favourable form: rows read in order (a tree's nodes read scattered rows, which is slower),
// each thread its own histogram (no reduction), nothing else in the loop. bench/gbdt_vs_peers
// multiplies these costs by the work a trained model's trees show (the rows each histogram and
// each partition touched) to give the least time any learner could train that model in here.
//
//   tessera_histogram_floor [--rows N] [--features F] [--threads T] [--reps R]
//
// Prints one line: floor rows=.. features=.. threads=.. update_ns_16b=.. update_ns_16b_columns=..
// update_ns_8b=.. update_ns_4b=.. partition_ns=.. where update_ns_* is wall time per (row, feature)
// update with T threads working, for 16-byte bins (exact gradient sums: g, h and a row count) read
// row by row and column by column, 8-byte bins (packed quantized sums) and 4-byte bins (16-bit
// quantized sums, which only small nodes can use); partition_ns is wall time per row of a stable
// two-way partition of row indices.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Bin16 {
  int64_t g = 0;
  uint64_t hn = 0;
};

struct Options {
  size_t rows = 1000000;
  size_t features = 28;
  int threads = 2;
  int reps = 9;
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "tessera_histogram_floor: %s needs a value\n", arg.c_str());
      std::exit(2);
    }
    const long value = std::strtol(argv[++i], nullptr, 10);
    if (value < 1) {
      std::fprintf(stderr, "tessera_histogram_floor: %s must be a positive integer\n", arg.c_str());
      std::exit(2);
    }
    if (arg == "--rows") o.rows = static_cast<size_t>(value);
    else if (arg == "--features") o.features = static_cast<size_t>(value);
    else if (arg == "--threads") o.threads = static_cast<int>(value);
    else if (arg == "--reps") o.reps = static_cast<int>(value);
    else {
      std::fprintf(stderr, "tessera_histogram_floor: unknown option %s (expected --rows, --features, --threads, --reps)\n",
                   arg.c_str());
      std::exit(2);
    }
  }
  return o;
}

// The quickest of `reps` runs of `work(thread, begin, end)` over [0, rows) split among threads.
template <typename Work>
double BestSeconds(const Options& o, Work work) {
  double best = 1e300;
  for (int rep = 0; rep < o.reps; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < o.threads; ++t)
      pool.emplace_back(work, t, o.rows * static_cast<size_t>(t) / static_cast<size_t>(o.threads),
                        o.rows * static_cast<size_t>(t + 1) / static_cast<size_t>(o.threads));
    for (auto& th : pool) th.join();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

volatile uint64_t sink;  // keeps the compiler from dropping the loops' results

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  const size_t nf = o.features, bins = 256;
  std::mt19937_64 rng(42);
  std::vector<uint8_t> cells(o.rows * nf);
  for (auto& c : cells) c = static_cast<uint8_t>(rng() % 255);
  std::vector<Bin16> grads16(o.rows);
  std::vector<uint64_t> grads8(o.rows);
  for (size_t r = 0; r < o.rows; ++r) grads16[r] = {static_cast<int64_t>(rng() % 1000) - 500, (rng() % 1000) << 32 | 1},
                                      grads8[r] = rng() % 1000;
  std::vector<std::vector<Bin16>> hist16(static_cast<size_t>(o.threads), std::vector<Bin16>(nf * bins));
  std::vector<std::vector<uint64_t>> hist8(static_cast<size_t>(o.threads), std::vector<uint64_t>(nf * bins));
  std::vector<std::vector<uint32_t>> hist4(static_cast<size_t>(o.threads), std::vector<uint32_t>(nf * bins));

  const double seconds16 = BestSeconds(o, [&](int t, size_t begin, size_t end) {
    Bin16* h = hist16[static_cast<size_t>(t)].data();
    for (size_t r = begin; r < end; ++r) {
      const uint8_t* row = &cells[r * nf];
      const Bin16 p = grads16[r];
      for (size_t f = 0; f < nf; ++f) {
        Bin16& b = h[f * bins + row[f]];
        b.g += p.g;
        b.hn += p.hn;
      }
    }
    sink = static_cast<uint64_t>(h[1].g);
  });
  // Column-wise: feature by feature over a block of rows whose gradients stay in L1, so each
  // feature's histogram (4 KiB) is all the loop writes to.
  std::vector<uint8_t> columns(o.rows * nf);
  for (size_t r = 0; r < o.rows; ++r)
    for (size_t f = 0; f < nf; ++f) columns[f * o.rows + r] = cells[r * nf + f];
  const double seconds16_columns = BestSeconds(o, [&](int t, size_t begin, size_t end) {
    constexpr size_t kBlock = 1024;
    Bin16* h = hist16[static_cast<size_t>(t)].data();
    for (size_t b = begin; b < end; b += kBlock) {
      const size_t e = std::min(end, b + kBlock);
      for (size_t f = 0; f < nf; ++f) {
        const uint8_t* column = &columns[f * o.rows];
        Bin16* hf = h + f * bins;
        for (size_t r = b; r < e; ++r) {
          Bin16& bin = hf[column[r]];
          bin.g += grads16[r].g;
          bin.hn += grads16[r].hn;
        }
      }
    }
    sink = static_cast<uint64_t>(h[1].g);
  });
  const double seconds8 = BestSeconds(o, [&](int t, size_t begin, size_t end) {
    uint64_t* h = hist8[static_cast<size_t>(t)].data();
    for (size_t r = begin; r < end; ++r) {
      const uint8_t* row = &cells[r * nf];
      const uint64_t p = grads8[r];
      for (size_t f = 0; f < nf; ++f) h[f * bins + row[f]] += p;
    }
    sink = h[1];
  });
  // 4-byte bins (16-bit g and h, as LightGBM's quantized training packs them for small leaves).
  const double seconds4 = BestSeconds(o, [&](int t, size_t begin, size_t end) {
    uint32_t* h = hist4[static_cast<size_t>(t)].data();
    for (size_t r = begin; r < end; ++r) {
      const uint8_t* row = &cells[r * nf];
      const uint32_t p = static_cast<uint32_t>(grads8[r]);
      for (size_t f = 0; f < nf; ++f) h[f * bins + row[f]] += p;
    }
    sink = h[1];
  });

  // A node's rows split on one feature's column: each row index goes to the left or right list.
  std::vector<uint8_t> column(o.rows);
  for (auto& c : column) c = static_cast<uint8_t>(rng() % 255);
  std::vector<uint32_t> order(o.rows), left(o.rows), right(o.rows), out(o.rows);
  for (size_t r = 0; r < o.rows; ++r) order[r] = static_cast<uint32_t>(r);
  const double partition = BestSeconds(o, [&](int, size_t begin, size_t end) {
    size_t nl = begin, nr = begin;
    for (size_t i = begin; i < end; ++i) {
      const uint32_t r = order[i];
      const bool go_left = column[r] <= 127;
      left[nl] = r;
      right[nr] = r;
      nl += go_left;
      nr += !go_left;
    }
    // Copied back as a learner does (to `out`, so that every run reads `order` in order).
    std::memcpy(&out[begin], &left[begin], (nl - begin) * sizeof(uint32_t));
    std::memcpy(&out[begin + (nl - begin)], &right[begin], (nr - begin) * sizeof(uint32_t));
  });

  const double updates = static_cast<double>(o.rows) * static_cast<double>(nf);
  std::printf(
      "floor rows=%zu features=%zu threads=%d update_ns_16b=%.4f update_ns_16b_columns=%.4f update_ns_8b=%.4f "
      "update_ns_4b=%.4f partition_ns=%.4f\n",
      o.rows, nf, o.threads, 1e9 * seconds16 / updates, 1e9 * seconds16_columns / updates, 1e9 * seconds8 / updates,
      1e9 * seconds4 / updates, 1e9 * partition / static_cast<double>(o.rows));
  return 0;
}
