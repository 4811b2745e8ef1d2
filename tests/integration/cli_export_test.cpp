// tessera export --format c through the real binary: the generated C, compiled with the host gcc
// and with Debian's ARM cross compilers (run under qemu-user), predicts what the engine predicts
// on 10,000 rows (1e-6; exactly for --quantize against edge::QuantizedModel). Rows hit the bin
// edges exactly, their neighbouring floats, infinities, NaN (missing), -0.0 and unseen category
// codes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "required_tool.h"
#include "run_binary.h"
#include "tessera/data/bin_rows.h"
#include "tessera/edge/quantized_predictor.h"
#include "tessera/models/model_file.h"

namespace tessera {
namespace {

using models::gbdt::GbdtModel;
using testing::RunTessera;
using testing::TempDir;

constexpr size_t kRows = 10000;
// A feature name that needs escaping in C: quote, backslash, a trigraph, comment marks, UTF-8.
const std::string kOddName = "w\"e\\i?\?=r*/d /* \xC3\xA9";

// Runs a shell command in `dir`; stdout and stderr go to `out` (if given).
int Sh(const TempDir& dir, const std::string& cmd, std::string* out = nullptr) {
  const std::string log = dir.Path(".sh.log");
  int status = std::system(("cd '" + dir.path().string() + "' && (" + cmd + ") > '" + log + "' 2>&1 < /dev/null").c_str());
  if (out) *out = testing::ReadFile(log);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool HaveTool(const std::string& name) {
  return std::system(("command -v " + name + " > /dev/null 2>&1").c_str()) == 0;
}

// The test's C program: reads rows of raw floats (native byte order) from argv[1], prints per
// row the predictions and raw scores (%.9g), or for quantized code the fixed-point scores and
// the bins. With argv[2] it prints the feature names instead, one per line.
const char* kDriver = R"(#include <stdio.h>
#include "model.h"

int main(int argc, char **argv) {
  float x[TESSERA_NUM_FEATURES];
  FILE *in;
  int k;
  if (argc > 2) {
    for (k = 0; k < TESSERA_NUM_FEATURES; ++k) printf("%s\n", tessera_feature_names[k]);
    return 0;
  }
  in = fopen(argv[1], "rb");
  if (!in) return 3;
  while (fread(x, sizeof(float), TESSERA_NUM_FEATURES, in) == TESSERA_NUM_FEATURES) {
#ifdef TESSERA_SCORE_SHIFT
    int16_t bins[TESSERA_NUM_FEATURES];
    int32_t q[TESSERA_NUM_OUTPUTS];
    tessera_bin_features(x, bins);
    tessera_predict_quantized(bins, q);
    for (k = 0; k < TESSERA_NUM_OUTPUTS; ++k) printf("%ld ", (long)q[k]);
    printf("|");
    for (k = 0; k < TESSERA_NUM_FEATURES; ++k) printf(" %d", bins[k]);
#else
    float p[TESSERA_NUM_OUTPUTS], raw[TESSERA_NUM_OUTPUTS];
    tessera_predict(x, p);
    tessera_predict_raw(x, raw);
    for (k = 0; k < TESSERA_NUM_OUTPUTS; ++k) printf("%.9g ", p[k]);
    for (k = 0; k < TESSERA_NUM_OUTPUTS; ++k) printf("%.9g ", raw[k]);
#endif
    printf("\n");
  }
  fclose(in);
  return 0;
}
)";

// A compiler and how to run what it builds.
struct Target {
  std::string name, cc, flags, runner;
};

Target Host() { return {"host", "gcc", "", ""}; }

// A cross target, or why it cannot run here.
std::optional<Target> Cross(const std::string& arch, std::string* missing) {
  const std::string cc = arch == "aarch64" ? "aarch64-linux-gnu-gcc" : "arm-linux-gnueabihf-gcc";
  const std::string qemu = arch == "aarch64" ? "qemu-aarch64" : "qemu-arm";
  for (const auto& tool : {cc, qemu})
    if (!HaveTool(tool)) {
      *missing = tool + " is not installed (scripts/bootstrap installs it: gcc-aarch64-linux-gnu, "
                        "gcc-arm-linux-gnueabihf, qemu-user)";
      return std::nullopt;
    }
  return Target{arch, cc, "-static", qemu + " "};
}

struct TrainedModel {
  std::string path;
  GbdtModel model;
  std::vector<float> rows;  // kRows x features, model order
};

class CliExport : public ::testing::Test {
 protected:
  // The models are trained once for all tests, in SetUp so that a failure fails the test (a
  // failing SetUpTestSuite shows as skipped tests in ctest).
  void SetUp() override {
    if (dir_) return;
    dir_ = new TempDir();
    WriteTrainingData();
    binary_ = new TrainedModel(Train("binary.json", "train --data train.csv --label label --ignore class --categorical code "
                                                    "-o binary.json -p num_iterations=40 -p num_leaves=15 -q"));
    multiclass_ = new TrainedModel(Train("multi.json", "train --data train.csv --label class --ignore label "
                                                       "--categorical code --objective multiclass -o multi.json "
                                                       "-p num_iterations=12 -p num_leaves=7 -q"));
    dir_->Write("driver.c", kDriver);
    ASSERT_FALSE(HasFailure());
  }
  static void TearDownTestSuite() {
    delete binary_;
    delete multiclass_;
    delete dir_;
  }

  // x0: numeric with missing values; x1: few distinct values; code: numeric category codes
  // (with "2.5", "-3" and "100" among them) and missing values; the odd name: numeric. Labels:
  // 0/1, and three classes as text (so the multiclass model has class names).
  static void WriteTrainingData() {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> normal;
    std::uniform_real_distribution<double> unit;
    const char* codes[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "2.5", "-3", "100"};
    const double code_effect[] = {-1, 0.5, 1.2, -0.3, 0.8, -1.5, 0.1, 2, -0.7, 0.4, 1.6, -2, 0.9};
    std::ostringstream csv;
    std::string quoted = "\"";
    for (char c : kOddName) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    csv << "x0,x1,code," << quoted << "\",label,class\n";
    for (int i = 0; i < 4000; ++i) {
      const double x0 = normal(rng), odd = normal(rng) * 3;
      const int x1 = static_cast<int>(unit(rng) * 21);
      const size_t code = static_cast<size_t>(unit(rng) * 13);
      const bool x0_missing = unit(rng) < 0.1, code_missing = unit(rng) < 0.05;
      double score = (x0_missing ? 0.7 : x0) + 0.15 * (x1 - 10) + (code_missing ? -0.5 : code_effect[code]) +
                     0.3 * odd * (x0 > 0) + normal(rng) * 0.5;
      csv << (x0_missing ? "" : std::to_string(x0)) << ',' << x1 << ',' << (code_missing ? "" : codes[code]) << ','
          << odd << ',' << (score > 0.3 ? 1 : 0) << ',' << (score < -0.8 ? "low" : score < 1.2 ? "mid" : "high") << '\n';
    }
    dir_->Write("train.csv", csv.str());
  }

  static TrainedModel Train(const std::string& path, const std::string& args) {
    auto r = RunTessera(*dir_, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto model = models::LoadModel(dir_->Path(path));
    EXPECT_TRUE(model.ok()) << model.status().message();
    TrainedModel t{path, std::move(model).value(), {}};
    t.rows = TestRows(t.model);
    dir_->Write(path + ".rows", std::string(reinterpret_cast<const char*>(t.rows.data()), t.rows.size() * sizeof(float)));
    return t;
  }

  // Rows that probe every edge of the binning.
  static std::vector<float> TestRows(const GbdtModel& model) {
    const auto& mappers = model.reference().mappers();
    const size_t nf = mappers.size();
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> unit;
    std::normal_distribution<double> normal;
    const float inf = std::numeric_limits<float>::infinity();
    std::vector<float> rows(kRows * nf);
    for (size_t r = 0; r < kRows; ++r)
      for (size_t f = 0; f < nf; ++f) {
        const auto& m = mappers[f];
        const double u = unit(rng);
        float v = std::numeric_limits<float>::quiet_NaN();
        if (u < 0.08) {
          // missing
        } else if (m.kind() == data::BinMapper::Kind::kCategorical) {
          const auto& cats = m.categories();
          if (u < 0.8 && !cats.empty()) v = std::stof(cats[static_cast<size_t>(unit(rng) * cats.size())]);
          else if (u < 0.85) v = -0.0f;
          else if (u < 0.9) v = 999;
          else v = static_cast<float>(std::floor(unit(rng) * 16) / (u < 0.95 ? 1 : 2));
        } else {
          const auto& t = m.thresholds();
          const float edge = t.empty() ? 0.0f : t[static_cast<size_t>(unit(rng) * t.size())];
          if (u < 0.35) v = edge;
          else if (u < 0.45) v = std::nextafter(edge, u < 0.4 ? inf : -inf);
          else if (u < 0.47) v = u < 0.46 ? inf : -inf;
          else if (u < 0.49) v = u < 0.48 ? 0.0f : -0.0f;
          else v = static_cast<float>(normal(rng) * 4);
        }
        rows[r * nf + f] = v;
      }
    return rows;
  }

  // Exports `model` with `flags`, compiles the driver for `target` and returns its output on
  // the model's rows.
  static std::string Build(const TrainedModel& m, const std::string& flags, const Target& target) {
    static int n = 0;
    const std::string out = "c" + std::to_string(++n);
    auto r = RunTessera(*dir_, "export --format c -m " + m.path + " -o " + out + " --no-size " + flags);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string log;
    const std::string exe = out + "/driver";
    const std::string compile = target.cc + " -O2 -std=c99 -Wall -Wextra -pedantic -Werror " + target.flags + " -I " +
                                out + " driver.c " + out + "/model.c -o " + exe + " -lm";
    EXPECT_EQ(Sh(*dir_, compile, &log), 0) << compile << "\n" << log;
    std::string output;
    EXPECT_EQ(Sh(*dir_, target.runner + "./" + exe + " " + m.path + ".rows", &output), 0) << output;
    return output;
  }

  // Checks the driver's float output against the engine: predictions and raw scores.
  static void ExpectFloatMatch(const TrainedModel& m, const std::string& output, const std::string& what) {
    const std::vector<double> pred = m.model.PredictValues(m.rows.data(), kRows);
    const std::vector<double> raw = m.model.PredictValues(m.rows.data(), kRows, true);
    const size_t k = static_cast<size_t>(m.model.num_outputs());
    std::istringstream in(output);
    size_t bad = 0, lines = 0;
    std::string line;
    for (size_t r = 0; std::getline(in, line) && r < kRows; ++r, ++lines) {
      std::istringstream fields(line);
      for (size_t j = 0; j < 2 * k; ++j) {
        double c = std::numeric_limits<double>::quiet_NaN();
        fields >> c;
        const double e = j < k ? pred[r * k + j] : raw[r * k + j - k];
        if (!(std::abs(c - e) <= 1e-6 * std::max(1.0, std::abs(e))) && bad++ < 5)
          ADD_FAILURE() << what << ": row " << r << (j < k ? " prediction " : " raw score ") << j % k << ": C "
                        << c << ", engine " << e;
      }
    }
    EXPECT_EQ(lines, kRows) << what;
    EXPECT_EQ(bad, 0u) << what;
  }

  // Checks the quantized driver's output: scores exactly the engine's QuantizedModel, bins the
  // engine's bins for the features the trees use.
  static void ExpectQuantizedMatch(const TrainedModel& m, const std::string& output, const std::string& what) {
    auto q = edge::QuantizedModel::FromModel(m.model);
    ASSERT_TRUE(q.ok()) << q.status().message();
    const std::vector<int32_t> scores = q->PredictValues(m.rows.data(), kRows);
    const data::BinnedDataset bins = data::BinFloatRows(m.model.reference(), m.rows.data(), kRows);
    std::set<size_t> used;
    for (const auto& tree : m.model.trees())
      for (const auto& node : tree.nodes()) used.insert(static_cast<size_t>(node.feature));
    const size_t k = static_cast<size_t>(m.model.num_outputs()), nf = bins.num_features();
    std::istringstream in(output);
    size_t bad = 0, lines = 0;
    std::string line, bar;
    for (size_t r = 0; std::getline(in, line) && r < kRows; ++r, ++lines) {
      std::istringstream fields(line);
      for (size_t j = 0; j < k; ++j) {
        long c = 0;
        fields >> c;
        if (c != scores[r * k + j] && bad++ < 5)
          ADD_FAILURE() << what << ": row " << r << " output " << j << ": C " << c << ", engine " << scores[r * k + j];
      }
      fields >> bar;
      for (size_t f = 0; f < nf; ++f) {
        long b = -1;
        fields >> b;
        if (used.count(f) && b != static_cast<long>(bins.bin(r, f)) && bad++ < 5)
          ADD_FAILURE() << what << ": row " << r << " feature " << f << " value " << m.rows[r * nf + f] << ": C bin " << b
                        << ", engine bin " << bins.bin(r, f);
      }
    }
    EXPECT_EQ(lines, kRows) << what;
    EXPECT_EQ(bad, 0u) << what;
  }

  static void RunTarget(const Target& target) {
    ExpectFloatMatch(*binary_, Build(*binary_, "", target), target.name + " binary");
    ExpectQuantizedMatch(*binary_, Build(*binary_, "--quantize", target), target.name + " binary --quantize");
    ExpectFloatMatch(*multiclass_, Build(*multiclass_, "--layout arrays", target), target.name + " multiclass arrays");
    ExpectQuantizedMatch(*multiclass_, Build(*multiclass_, "--quantize --layout arrays", target),
                         target.name + " multiclass --quantize arrays");
    // The default layout is lockstep; branches too.
    ExpectFloatMatch(*binary_, Build(*binary_, "--layout branches", target), target.name + " binary branches");
    ExpectQuantizedMatch(*multiclass_, Build(*multiclass_, "--quantize --layout branches", target),
                         target.name + " multiclass --quantize branches");
  }

  static TempDir* dir_;
  static TrainedModel* binary_;
  static TrainedModel* multiclass_;
};

TempDir* CliExport::dir_ = nullptr;
TrainedModel* CliExport::binary_ = nullptr;
TrainedModel* CliExport::multiclass_ = nullptr;

TEST_F(CliExport, HostGccMatchesTheEngine) {
  if (!HaveTool("gcc")) TESSERA_MISSING_TOOL("gcc is not installed (scripts/bootstrap installs build-essential)");
  RunTarget(Host());
  // The layouts not covered above.
  ExpectFloatMatch(*binary_, Build(*binary_, "--layout arrays", Host()), "host binary arrays");
  ExpectQuantizedMatch(*binary_, Build(*binary_, "--quantize --layout arrays", Host()), "host binary --quantize arrays");
  ExpectFloatMatch(*multiclass_, Build(*multiclass_, "--layout branches", Host()), "host multiclass branches");
  ExpectFloatMatch(*multiclass_, Build(*multiclass_, "--layout lockstep", Host()), "host multiclass lockstep");
  ExpectQuantizedMatch(*binary_, Build(*binary_, "--quantize --layout branches", Host()), "host binary --quantize branches");
  ExpectQuantizedMatch(*multiclass_, Build(*multiclass_, "--quantize", Host()), "host multiclass --quantize lockstep");
}

TEST_F(CliExport, HostGccMatchesTheEngineForOtherLinks) {
  if (!HaveTool("gcc")) TESSERA_MISSING_TOOL("gcc is not installed (scripts/bootstrap installs build-essential)");
  for (const std::string objective : {"poisson", "regression"}) {
    const TrainedModel m = Train(objective + ".json", "train --data train.csv --label x1 --ignore label,class --categorical code "
                                                      "--objective " + objective + " -o " + objective +
                                                      ".json -p num_iterations=15 -p num_leaves=7 -q");
    ExpectFloatMatch(m, Build(m, "", Host()), "host " + objective);
    ExpectQuantizedMatch(m, Build(m, "--quantize", Host()), "host " + objective + " --quantize");
    ExpectFloatMatch(m, Build(m, "--layout branches", Host()), "host " + objective + " branches");
  }
}

TEST_F(CliExport, HostGccMatchesTheEngineForForests) {
  if (!HaveTool("gcc")) TESSERA_MISSING_TOOL("gcc is not installed (scripts/bootstrap installs build-essential)");
  // A random forest and extra trees: their leaves hold averages (divided by the tree count), the
  // rest of the code is any model's.
  for (const std::string extra : {"false", "true"}) {
    const std::string path = "forest_" + extra + ".json";
    const TrainedModel m = Train(path, "train --data train.csv --label label --ignore class --categorical code -o " + path +
                                           " -p boosting=rf -p bagging_fraction=0.632 -p bagging_freq=1 -p feature_fraction=0.7"
                                           " -p num_iterations=30 -p num_leaves=31 -p extra_trees=" + extra + " -q");
    ASSERT_TRUE(m.model.params().random_forest());
    for (const std::string layout : {"branches", "lockstep"}) {
      ExpectFloatMatch(m, Build(m, "--layout " + layout, Host()), "host forest " + layout + " extra_trees=" + extra);
      ExpectQuantizedMatch(m, Build(m, "--quantize --layout " + layout, Host()),
                           "host forest --quantize " + layout + " extra_trees=" + extra);
    }
  }
}

// Above 65,535 leaves the quantized lockstep code keeps its values and leaf numbers in 32 bits
// (the automatic layout still picks lockstep for up to 300 trees).
TEST_F(CliExport, HostGccMatchesTheEngineForQuantizedLockstepBeyond65535Leaves) {
  if (!HaveTool("gcc")) TESSERA_MISSING_TOOL("gcc is not installed (scripts/bootstrap installs build-essential)");
  const TrainedModel m = Train("wide.json", "train --data train.csv --label label --ignore class --categorical code -o wide.json"
                                            " -p boosting=rf -p bagging_fraction=0.632 -p bagging_freq=1 -p feature_fraction=0.7"
                                            " -p num_iterations=290 -p num_leaves=255 -p min_data_in_leaf=1 -q");
  size_t leaves = 0;
  for (const auto& tree : m.model.trees()) leaves += tree.num_leaves();
  ASSERT_GT(leaves, 65535u);
  ExpectQuantizedMatch(m, Build(m, "--quantize", Host()), "host wide forest --quantize (lockstep)");
}

TEST_F(CliExport, Aarch64UnderQemuMatchesTheEngine) {
  std::string missing;
  auto target = Cross("aarch64", &missing);
  if (!target) TESSERA_MISSING_TOOL(missing);
  RunTarget(*target);
}

TEST_F(CliExport, ArmhfUnderQemuMatchesTheEngine) {
  std::string missing;
  auto target = Cross("armhf", &missing);
  if (!target) TESSERA_MISSING_TOOL(missing);
  RunTarget(*target);
}

TEST_F(CliExport, FeatureNamesSurviveEscaping) {
  if (!HaveTool("gcc")) TESSERA_MISSING_TOOL("gcc is not installed");
  ASSERT_EQ(RunTessera(*dir_, "export -m binary.json -o names --no-size").exit_code, 0);
  std::string log, names;
  ASSERT_EQ(Sh(*dir_, "gcc -std=c99 -Wall -Wextra -pedantic -Werror -I names driver.c names/model.c -o names/d -lm", &log), 0)
      << log;
  ASSERT_EQ(Sh(*dir_, "./names/d - names", &names), 0);
  std::string expected;
  for (size_t f = 0; f < binary_->model.reference().num_features(); ++f)
    expected += binary_->model.reference().feature_name(f) + "\n";
  EXPECT_EQ(names, expected);
  EXPECT_NE(expected.find(kOddName), std::string::npos);
}

TEST_F(CliExport, TwoPrefixedModelsLinkIntoOneProgram) {
  if (!HaveTool("gcc")) TESSERA_MISSING_TOOL("gcc is not installed");
  ASSERT_EQ(RunTessera(*dir_, "export -m binary.json -o two/a --prefix bin --no-size").exit_code, 0);
  ASSERT_EQ(RunTessera(*dir_, "export -m multi.json -o two/b --prefix multi --quantize --no-size").exit_code, 0);
  dir_->Write("two/main.c", R"(#include <stdio.h>
#include "a/model.h"
#include "b/model.h"
int main(void) {
  float x[BIN_NUM_FEATURES] = {0}, p[BIN_NUM_OUTPUTS];
  int16_t bins[MULTI_NUM_FEATURES];
  int32_t q[MULTI_NUM_OUTPUTS];
  bin_predict(x, p);
  multi_bin_features(x, bins);
  multi_predict_quantized(bins, q);
  printf("%d %d %d %s\n", BIN_NUM_OUTPUTS, MULTI_NUM_OUTPUTS, MULTI_NUM_CLASSES, multi_class_names[2]);
  return 0;
}
)");
  std::string log;
  ASSERT_EQ(Sh(*dir_, "cd two && gcc -std=c99 -Wall -Wextra -pedantic -Werror -I . -c a/model.c -o a.o -I a && "
                      "gcc -std=c99 -Wall -Wextra -pedantic -Werror -c b/model.c -o b.o -I b && "
                      "gcc -std=c99 -Wall -Werror main.c a.o b.o -o both -lm && ./both",
               &log),
            0)
      << log;
  EXPECT_EQ(log, "1 3 3 mid\n");
}

TEST_F(CliExport, ReportsCodeSizeAndStack) {
  if (!HaveTool("cc")) TESSERA_MISSING_TOOL("cc is not installed");
  auto r = RunTessera(*dir_, "export -m binary.json -o sized --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["layout"], "lockstep");  // the default
  EXPECT_EQ(j["outputs"], 1);
  ASSERT_TRUE(j["code_size"]["measured"].get<bool>()) << j.dump();
  EXPECT_GT(j["code_size"]["text"].get<int>(), 1000);
  EXPECT_GT(j["code_size"]["stack"]["tessera_predict"].get<int>(), 0);
  EXPECT_GT(j["code_size"]["stack"]["tessera_predict_raw"].get<int>(), 0);

  auto no_cc = RunTessera(*dir_, "export -m multi.json -o sized_none --cc no-such-cc");
  ASSERT_EQ(no_cc.exit_code, 0) << no_cc.err;
  EXPECT_NE(no_cc.out.find("code size: not measured: C compiler 'no-such-cc' not found"), std::string::npos) << no_cc.out;
  EXPECT_TRUE(std::filesystem::exists(dir_->Path("sized_none/model.c")));

  auto text = RunTessera(*dir_, "export -m multi.json -o sized_q --quantize");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("code size"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("tessera_predict_quantized"), std::string::npos) << text.out;

  if (HaveTool("aarch64-linux-gnu-gcc")) {
    auto cross = RunTessera(*dir_, "export -m binary.json -o sized_arm --quantize --json --cc aarch64-linux-gnu-gcc");
    ASSERT_EQ(cross.exit_code, 0) << cross.err;
    auto jc = nlohmann::json::parse(cross.out);
    ASSERT_TRUE(jc["code_size"]["measured"].get<bool>()) << jc.dump();
    EXPECT_EQ(jc["code_size"]["compiler"], "aarch64-linux-gnu-gcc");
    // The integer predictor alone, without the float binning.
    EXPECT_GT(jc["code_size"]["predictor_only"]["text"].get<int>(), 0);
    EXPECT_LT(jc["code_size"]["predictor_only"]["text"].get<int>(), jc["code_size"]["text"].get<int>());
  }
}

TEST_F(CliExport, RefusesTextCategoriesAndWritesNothing) {
  dir_->Write("text.csv", [] {
    std::string s = "x,city,label\n";
    const char* cities[] = {"Paris", "Oslo", "Lima"};
    for (int i = 0; i < 600; ++i)
      s += std::to_string(i % 17) + "," + cities[i % 3] + "," + std::to_string((i % 3 == 0) ^ (i % 17 > 8)) + "\n";
    return s;
  }());
  ASSERT_EQ(RunTessera(*dir_, "train --data text.csv --label label -o text.json -p num_iterations=5 -q").exit_code, 0);
  auto r = RunTessera(*dir_, "export --format c -m text.json -o refused");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("categorical feature 'city'"), std::string::npos) << r.err;
  EXPECT_TRUE(r.err.find("category \"Lima\"") != std::string::npos || r.err.find("category \"Oslo\"") != std::string::npos ||
              r.err.find("category \"Paris\"") != std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_->Path("refused")));

  auto bad_format = RunTessera(*dir_, "export --format rust -m binary.json -o refused");
  EXPECT_EQ(bad_format.exit_code, 1);
  auto bad_prefix = RunTessera(*dir_, "export -m binary.json -o refused --prefix 9lives");
  EXPECT_EQ(bad_prefix.exit_code, 1);
  EXPECT_NE(bad_prefix.err.find("not a C identifier"), std::string::npos) << bad_prefix.err;
  EXPECT_FALSE(std::filesystem::exists(dir_->Path("refused")));
}

}  // namespace
}  // namespace tessera
