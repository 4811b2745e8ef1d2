#include "tessera/data/synthetic.h"

#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "tessera/core/atomic_file.h"
#include "tessera/core/parallel.h"

namespace tessera::data {

namespace {

constexpr double kPi = 3.14159265358979323846;

uint64_t SplitMix(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class RowRng {
 public:
  RowRng(uint64_t seed, uint64_t row) : state_(seed * 0x9E3779B97F4A7C15ull ^ (row + 1) * 0xD1B54A32D192ED03ull) {
    SplitMix(&state_);
  }
  double Uniform() { return static_cast<double>(SplitMix(&state_) >> 11) * (1.0 / 9007199254740992.0); }
  double Normal() {
    double u1 = Uniform(), u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1 + 1e-300)) * std::cos(2 * kPi * u2);
  }
  double Exponential(double mean) { return -mean * std::log(1.0 - Uniform()); }

 private:
  uint64_t state_;
};

struct Particle {
  double pt, eta, phi;
};

// Invariant mass of two massless particles.
double PairMass(const Particle& a, const Particle& b) {
  double m2 = 2 * a.pt * b.pt * (std::cosh(a.eta - b.eta) - std::cos(a.phi - b.phi));
  return std::sqrt(std::max(m2, 0.0));
}

void AppendNumber(std::string* out, double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, static_cast<float>(v), std::chars_format::general, 6);
  out->append(buf, r.ptr);
}

// One row: 28 features, then categoricals, then the label.
void GenerateRow(const SyntheticOptions& o, uint64_t row, std::string* out) {
  RowRng rng(o.seed, row);
  bool signal = rng.Uniform() < 0.53;
  // Signal events come from a heavy resonance: harder momenta, more central, b-tagged jets.
  double hard = signal ? 1.25 : 1.0;
  Particle lepton{rng.Exponential(0.9 * hard) + 0.3, rng.Normal() * (signal ? 0.9 : 1.1), (rng.Uniform() * 2 - 1) * kPi};
  double met = rng.Exponential(signal ? 1.0 : 0.8) + 0.1, met_phi = (rng.Uniform() * 2 - 1) * kPi;
  Particle jets[4];
  double btag[4];
  for (int k = 0; k < 4; ++k) {
    jets[k] = {rng.Exponential((1.0 - 0.15 * k) * hard) + 0.25, rng.Normal() * (signal ? 1.0 : 1.2),
               (rng.Uniform() * 2 - 1) * kPi};
    double u = rng.Uniform();
    double p_tag = signal ? 0.45 : 0.25;
    btag[k] = u < p_tag ? 2.17 : (u < p_tag + 0.2 ? 1.09 : 0.0);
  }
  Particle neutrino{met, 0, met_phi};
  double m_jj = PairMass(jets[0], jets[1]);
  double m_jjj = std::sqrt(m_jj * m_jj + PairMass(jets[0], jets[2]) * PairMass(jets[1], jets[2]));
  double m_lv = PairMass(lepton, neutrino);
  double m_jlv = std::sqrt(m_lv * m_lv + PairMass(lepton, jets[2]) * PairMass(neutrino, jets[2]));
  double m_bb = PairMass(jets[2], jets[3]);
  double m_wbb = std::sqrt(m_bb * m_bb + m_lv * m_bb);
  double m_wwbb = std::sqrt(m_wbb * m_wbb + m_jj * m_jjj);
  double features[28] = {lepton.pt, lepton.eta, lepton.phi, met, met_phi};
  int f = 5;
  for (int k = 0; k < 4; ++k) {
    features[f++] = jets[k].pt;
    features[f++] = jets[k].eta;
    features[f++] = jets[k].phi;
    features[f++] = btag[k];
  }
  for (double m : {m_jj, m_jjj, m_lv, m_jlv, m_bb, m_wbb, m_wwbb}) features[f++] = m;

  // The score: the class shifts distributions above; interactions and a smooth resonance peak
  // make the boundary nonlinear, as in the real HIGGS table.
  double score = (signal ? 1.0 : -1.0) * 0.6 + 0.5 * std::exp(-std::pow((m_bb - 2.0) / 0.7, 2)) +
                 0.25 * std::tanh(m_wwbb - 3.0) - 0.15 * std::abs(lepton.eta) * jets[0].pt +
                 0.2 * std::sin(lepton.phi - met_phi) * met;
  std::vector<int> cats;
  for (int c = 0; c < o.categoricals; ++c) {
    int cardinality = 8 << (3 * std::min(c, 4));
    // Zipf-like draw: a few frequent levels and a long tail.
    int level = static_cast<int>(std::floor(std::pow(rng.Uniform(), 2.5) * cardinality));
    uint64_t h = (static_cast<uint64_t>(level) + 1) * 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(c + 1);
    score += 0.6 * (static_cast<double>((h >> 20) % 1000) / 1000.0 - 0.5);
    cats.push_back(level);
  }
  for (int k = 0; k < 28; ++k) {
    if (k) out->push_back(',');
    if (o.missing_rate > 0 && rng.Uniform() < o.missing_rate) continue;
    AppendNumber(out, features[k]);
  }
  for (size_t c = 0; c < cats.size(); ++c) {
    out->push_back(',');
    if (o.missing_rate > 0 && rng.Uniform() < o.missing_rate) continue;
    out->append("c");
    out->append(std::to_string(c));
    out->push_back('_');
    out->append(std::to_string(cats[c]));
  }
  out->push_back(',');
  if (o.regression) {
    AppendNumber(out, score + 0.3 * rng.Normal());
  } else {
    double p = 1.0 / (1.0 + std::exp(-2.5 * score));
    out->push_back(rng.Uniform() < p ? '1' : '0');
  }
  out->push_back('\n');
}

}  // namespace

Status WriteSyntheticCsv(const SyntheticOptions& o, const std::string& path) {
  if (o.missing_rate < 0 || o.missing_rate >= 1) return Status::UserError("--missing must be in [0, 1)");
  if (o.categoricals < 0 || o.categoricals > 8) return Status::UserError("--categoricals must be in [0, 8]");
  AtomicFileWriter out;
  TESSERA_RETURN_IF_ERROR(out.Open(path));
  std::string header;
  for (int k = 0; k < 28; ++k) header += (k ? ",f" : "f") + std::to_string(k);
  for (int c = 0; c < o.categoricals; ++c) header += ",cat" + std::to_string(c);
  header += ",label\n";
  TESSERA_RETURN_IF_ERROR(out.Write(header));
  const int threads = ResolveThreads(o.threads);
  const uint64_t block_rows = 65536;
  std::vector<std::string> parts(static_cast<size_t>(threads));
  for (uint64_t first = 0; first < o.rows; first += block_rows * static_cast<uint64_t>(threads)) {
    ParallelFor(static_cast<size_t>(threads), threads, [&](size_t b, size_t e, size_t) {
      for (size_t t = b; t < e; ++t) {
        parts[t].clear();
        uint64_t start = first + t * block_rows, end = std::min(o.rows, start + block_rows);
        for (uint64_t r = start; r < end; ++r) GenerateRow(o, r, &parts[t]);
      }
    });
    for (const auto& p : parts) TESSERA_RETURN_IF_ERROR(out.Write(p));
  }
  return out.Commit();
}

}  // namespace tessera::data
