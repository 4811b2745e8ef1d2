// The C code generator on hand-made models: literals and escaping, what it refuses and why, the
// layout choice, and the fixed-point scale of QuantizedModel. (Compiling and running the
// generated code against the engine is tests/integration/cli_export_test.cpp.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <tuple>

#include "tessera/edge/c_export.h"
#include "tessera/edge/quantized_predictor.h"
#include "tessera/models/model_file.h"

namespace tessera::edge {
namespace {

using nlohmann::json;

// A model document with a numeric feature "x" (bins: missing, <= 0.5, <= 1.5, above) and a
// categorical one "city" with the given categories; `trees` as in docs/model-format.md.
json Doc(const std::string& objective, const json& trees, const std::vector<std::string>& categories = {"Paris", "Oslo"},
         json x_mapper = nullptr) {
  if (x_mapper.is_null()) x_mapper = json::object({{"kind", "numeric"}, {"num_bins", 4u}, {"thresholds", {0.5, 1.5}}});
  const int outputs = objective == "multiclass" ? 3 : 1;
  // A braced list of one tree is that tree, not an array of it.
  const json tree_list = trees.is_array() ? trees : json::array({trees});
  json params = {{"objective", objective}};
  if (outputs > 1) params["num_class"] = outputs;
  return {{"format_version", 1},
          {"schema",
           {{"columns",
             {{{"name", "x"}, {"type", "numeric"}, {"role", "feature"}},
              {{"name", "city"}, {"type", "categorical"}, {"role", "feature"}},
              {{"name", "y"}, {"type", "numeric"}, {"role", "label"}}}}}},
          {"features",
           {{"columns", {0, 1}},
            {"names", {"x", "city"}},
            {"bin_mappers",
             {x_mapper,
              {{"kind", "categorical"}, {"num_bins", categories.size() + 2}, {"categories", categories}}}}}},
          {"model",
           {{"family", "gbdt"},
            {"objective", objective},
            {"num_outputs", outputs},
            {"init_score", std::vector<double>(static_cast<size_t>(outputs), 0.25)},
            {"params", params},
            {"trees", tree_list}}}};
}

json NumericStump(double left, double right) {
  return {{"nodes", {{{"feature", 0}, {"default_left", true}, {"left", -1}, {"right", -2}, {"threshold_bin", 1}}}},
          {"leaf_values", {left, right}}};
}

json CityStump() {
  return {{"nodes",
           {{{"feature", 1}, {"default_left", false}, {"left", -1}, {"right", -2}, {"categorical", true}, {"left_bins", {1}}}}},
          {"leaf_values", {0.5, -0.5}}};
}

models::gbdt::GbdtModel Model(const json& doc) {
  auto m = models::ModelFromJson(doc, "test");
  EXPECT_TRUE(m.ok()) << m.status().message();
  return std::move(m).value();
}

TEST(CExport, StringLiteralsEscapeEverythingTricky) {
  EXPECT_EQ(CStringLiteral("plain name_1"), "\"plain name_1\"");
  EXPECT_EQ(CStringLiteral("a\"b\\c?\?=d"), "\"a\\\"b\\\\c\\?\\?=d\"");
  EXPECT_EQ(CStringLiteral("\n\t\r\x01"), "\"\\n\\t\\r\\001\"");
  // Octal escapes take exactly three digits, so a digit after one stays a digit.
  EXPECT_EQ(CStringLiteral("\xC3\xA9" "7"), "\"\\303\\2517\"");
  EXPECT_EQ(CStringLiteral(std::string("a\0b", 3)), "\"a\\000b\"");
}

TEST(CExport, CategoriesMustBeNumbersInShortestForm) {
  EXPECT_EQ(CategoryAsFloat("3"), 3.0f);
  EXPECT_EQ(CategoryAsFloat("2.5"), 2.5f);
  EXPECT_EQ(CategoryAsFloat("-3"), -3.0f);
  EXPECT_EQ(CategoryAsFloat("1e+20"), 1e20f);
  ASSERT_TRUE(CategoryAsFloat("-0"));
  EXPECT_TRUE(std::signbit(*CategoryAsFloat("-0")));
  EXPECT_FALSE(std::signbit(*CategoryAsFloat("0")));
  // Text that no float prints as: no float value can stand for these categories.
  for (const char* text : {"3.0", "03", "+3", " 3", "1e5", "0.10", "Paris", "", "1e50", "3x"})
    EXPECT_FALSE(CategoryAsFloat(text)) << text;
}

TEST(CExport, LiteralsReadBackExactly) {
  EXPECT_EQ(CFloatLiteral(3.0f), "3.0f");
  EXPECT_EQ(CFloatLiteral(0.1f), "0.1f");
  EXPECT_EQ(CFloatLiteral(-0.0f), "-0.0f");
  EXPECT_EQ(CFloatLiteral(1e20f), "1e+20f");
  EXPECT_EQ(CFloatLiteral(-std::numeric_limits<float>::infinity()), "-HUGE_VALF");
  EXPECT_EQ(CDoubleLiteral(0.1), "0.1");
  EXPECT_EQ(CDoubleLiteral(-2.0), "-2.0");
  std::mt19937 rng(3);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 2000; ++i) {
    uint32_t u = bits(rng);
    float f;
    std::memcpy(&f, &u, sizeof f);
    if (!std::isfinite(f)) continue;
    const std::string lit = CFloatLiteral(f);
    ASSERT_EQ(lit.back(), 'f');
    EXPECT_EQ(std::strtof(lit.c_str(), nullptr), f) << lit;
    const double d = static_cast<double>(f) / 3;
    EXPECT_EQ(std::strtod(CDoubleLiteral(d).c_str(), nullptr), d);
  }
}

TEST(CExport, RefusesTextCategoriesTheTreesUse) {
  auto r = GenerateC(Model(Doc("binary", {NumericStump(0.1, 0.2), CityStump()})), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kUser);
  EXPECT_NE(r.status().message().find("categorical feature 'city' (feature 1)"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("\"Paris\""), std::string::npos) << r.status().message();

  // Unused by the trees: nothing to compile, so no refusal, and a note says it is ignored.
  auto unused = GenerateC(Model(Doc("binary", {NumericStump(0.1, 0.2)})), {});
  ASSERT_TRUE(unused.ok()) << unused.status().message();
  ASSERT_EQ(unused->notes.size(), 1u);
  EXPECT_NE(unused->notes[0].find("city"), std::string::npos);

  // Numeric codes compile to a table of the codes' float bits.
  auto codes = GenerateC(Model(Doc("binary", {CityStump()}, {"12", "2.5"})), {});
  ASSERT_TRUE(codes.ok()) << codes.status().message();
  EXPECT_NE(codes->source.find("0x41400000u"), std::string::npos);  // 12.0f
  EXPECT_NE(codes->source.find("0x40200000u"), std::string::npos);  // 2.5f
}

TEST(CExport, PrefixNamesEverythingAndMustBeAnIdentifier) {
  const auto model = Model(Doc("regression", {NumericStump(0.1, 0.2)}));
  CExportOptions o;
  o.prefix = "engine_2";
  auto r = GenerateC(model, o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_NE(r->header.find("void engine_2_predict(const float *features, float *out);"), std::string::npos);
  EXPECT_NE(r->header.find("#define ENGINE_2_NUM_FEATURES 2"), std::string::npos);
  EXPECT_NE(r->header.find("#ifndef ENGINE_2_MODEL_H_"), std::string::npos);
  EXPECT_EQ(r->entry_points, (std::vector<std::string>{"engine_2_predict", "engine_2_predict_raw"}));
  for (const char* bad : {"2fast", "my-model", "", "a b", "x\"y"}) {
    o.prefix = bad;
    auto refused = GenerateC(model, o);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_NE(refused.status().message().find("not a C identifier"), std::string::npos);
  }
}

TEST(CExport, IdentityLinkNeedsNoMathAndQuantizedCodeNoFloats) {
  const auto model = Model(Doc("regression", {NumericStump(0.1, 0.2), NumericStump(-1, 3)}));
  CExportOptions branches;
  branches.layout = CLayout::kBranches;
  auto plain = GenerateC(model, branches);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->source.find("math.h"), std::string::npos);
  EXPECT_FALSE(plain->needs_libm);
  EXPECT_NE(plain->source.find("!(x[0] > 0.5f)"), std::string::npos);  // missing goes left

  CExportOptions o;
  o.quantize = true;
  for (CLayout layout : {CLayout::kBranches, CLayout::kArrays, CLayout::kLockstep}) {
    o.layout = layout;
    auto q = GenerateC(model, o);
    ASSERT_TRUE(q.ok()) << q.status().message();
    EXPECT_EQ(q->layout, layout);
    EXPECT_EQ(q->no_binning_macro, "TESSERA_NO_BINNING");
    const size_t end = q->source.find("#endif /* TESSERA_NO_BINNING */");
    ASSERT_NE(end, std::string::npos);
    const std::string predictor = q->source.substr(end);
    EXPECT_EQ(predictor.find("float"), std::string::npos) << predictor;
    EXPECT_EQ(predictor.find("double"), std::string::npos) << predictor;
    EXPECT_EQ(q->source.find("math.h"), std::string::npos);
  }
  EXPECT_NE(GenerateC(Model(Doc("binary", {NumericStump(0.1, 0.2)})), {})->source.find("#include <math.h>"),
            std::string::npos);
  // Lockstep's -infinity for missing values that go left needs no <math.h> either.
  o.quantize = false;
  o.layout = CLayout::kLockstep;
  auto lockstep = GenerateC(model, o);
  ASSERT_TRUE(lockstep.ok());
  EXPECT_EQ(lockstep->source.find("math.h"), std::string::npos);
  EXPECT_NE(lockstep->source.find("v[1] = x[0] != x[0] ? neg_inf.f : x[0];"), std::string::npos) << lockstep->source;
}

TEST(CExport, DefaultLayoutIsLockstepButBranchesForLargeQuantizedModels) {
  // bench/edge: lockstep is faster than branches for float code at 100 and 500 trees, for
  // quantized code at 100 trees but not at 500.
  for (const auto& [trees, quantize, expected] : std::vector<std::tuple<int, bool, CLayout>>{
           {301, false, CLayout::kLockstep}, {300, true, CLayout::kLockstep}, {301, true, CLayout::kBranches}}) {
    json list = json::array();
    for (int i = 0; i < trees; ++i) list.push_back(NumericStump(0.01 * i, -0.01 * i));
    CExportOptions o;
    o.quantize = quantize;
    auto r = GenerateC(Model(Doc("binary", list)), o);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->layout, expected) << trees << " trees, quantize " << quantize;
  }
}

TEST(CExport, LockstepGroupsTreesByDepthAndPadsTheLastGroup) {
  // Twelve trees: a two-level tree (depth 2) first, then eleven stumps (depth 1). Sorted by
  // depth, stumps 1..10 fill the first group of ten and the rest (stump 11, then tree 0) the
  // second, padded with eight walks that stay on a leaf and write to reached[NUM_TREES].
  json deep = {{"nodes",
                {{{"feature", 0}, {"default_left", false}, {"left", 1}, {"right", -3}, {"threshold_bin", 2}},
                 {{"feature", 0}, {"default_left", true}, {"left", -1}, {"right", -2}, {"threshold_bin", 1}}}},
               {"leaf_values", {1.0, 2.0, 3.0}}};
  json trees = json::array({deep});
  for (int i = 0; i < 11; ++i) trees.push_back(NumericStump(0.1 * i, -0.1 * i));
  CExportOptions o;
  o.layout = CLayout::kLockstep;
  auto r = GenerateC(Model(Doc("regression", trees)), o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->layout, CLayout::kLockstep);
  EXPECT_NE(r->source.find("lgroup_steps[2] = {\n    1u, 2u\n}"), std::string::npos) << r->source;
  EXPECT_NE(r->source.find("    1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u,\n    9u, 10u, 11u, 0u, TESSERA_NUM_TREES"), std::string::npos)
      << r->source;
  // Each tree in pre-order, leaves included (38 entries): tree 0 is its root (bin <= 2 goes on to
  // entry 1, else jumps 3 + 1 to leaf entry 4), then the node at entry 1 (missing goes left: slot
  // 2, which holds x with NaN as -inf) and its leaves at entries 2 and 3, which jump to themselves
  // and hold their leaf numbers (0, 1; 2 for entry 4) as -(number + 1).
  EXPECT_NE(r->source.find("lnodes[38]"), std::string::npos);
  EXPECT_NE(r->source.find("    {1.5f, 1u, 3}, {0.5f, 2u, 1}, {-1.0f, 0u, -1}, {-2.0f, 0u, -1},\n    {-3.0f, 0u, -1},"),
            std::string::npos) << r->source;
  // Roots: the stumps at 5, 8, ..., 35, tree 0 at 0; the padding walks wait at the first leaf (2).
  EXPECT_NE(r->source.find("    5u, 8u, 11u, 14u, 17u, 20u, 23u, 26u, 29u, 32u, 35u, 0u,\n    2u, 2u,"), std::string::npos);
  EXPECT_NE(r->source.find("n9 += 1u + ((0u - (uint32_t)(!(v[lnodes[n9].slot] <= lnodes[n9].t))) & (uint32_t)lnodes[n9].jump);"),
            std::string::npos);
  EXPECT_NE(r->source.find("reached[tr[9]] = (uint16_t)n9;"), std::string::npos);
  EXPECT_EQ(r->source.find("n10"), std::string::npos);  // ten walks
  EXPECT_NE(r->source.find("raw[t % TESSERA_NUM_OUTPUTS] += lvalues[(uint32_t)-lnodes[reached[t]].t - 1u];"), std::string::npos);
}

TEST(CExport, DeepTreesNeedNoNesting) {
  // A chain 120 splits deep: each node sends bin 1 left to a leaf, the rest on.
  json nodes = json::array();
  std::vector<double> leaves;
  const int depth = 120;
  for (int i = 0; i < depth; ++i) {
    nodes.push_back({{"feature", 0}, {"default_left", i % 2 == 0}, {"left", ~i}, {"right", i + 1 < depth ? i + 1 : ~depth},
                     {"threshold_bin", 1 + i % 2}});
    leaves.push_back(i * 0.01);
  }
  leaves.push_back(-1);
  const auto model = Model(Doc("regression", {{{"nodes", nodes}, {"leaf_values", leaves}}}));
  CExportOptions o;
  o.layout = CLayout::kBranches;
  auto refused = GenerateC(model, o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("use --layout arrays"), std::string::npos);
  o.layout = CLayout::kArrays;
  auto r = GenerateC(model, o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->layout, CLayout::kArrays);
  EXPECT_NE(r->source.find("static const struct node nodes[120]"), std::string::npos);
  // The default, lockstep, has no nesting: its one group walks 120 steps.
  o.layout = CLayout::kAuto;
  auto deep = GenerateC(model, o);
  ASSERT_TRUE(deep.ok()) << deep.status().message();
  EXPECT_EQ(deep->layout, CLayout::kLockstep);
  EXPECT_NE(deep->source.find("lgroup_steps[1] = {\n    120u\n}"), std::string::npos);
}

TEST(CExport, QuantizeRefusesBinsBeyondInt16) {
  json thresholds = json::array();
  for (int i = 0; i < 40000; ++i) thresholds.push_back(i);
  const auto model = Model(Doc("regression", {NumericStump(0.1, 0.2)}, {"1"},
                               json::object({{"kind", "numeric"}, {"num_bins", 40002u}, {"thresholds", thresholds}})));
  EXPECT_TRUE(GenerateC(model, {}).ok());
  CExportOptions o;
  o.quantize = true;
  auto r = GenerateC(model, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot quantize feature 'x'"), std::string::npos) << r.status().message();
}

TEST(QuantizedModel, ShiftIsTheLargestThatCannotOverflow) {
  // |init| + max |leaf| per tree = 0.25 + 1 + 3 = 4.25, three rounded terms:
  // 4.25 * 2^s + 1.5 <= 2^31 - 1 holds for s = 28, not 29.
  auto q = QuantizedModel::FromModel(Model(Doc("regression", {NumericStump(1, -0.5), NumericStump(-1, 3)})));
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->shift(), 28);
  EXPECT_EQ(q->init(), (std::vector<int32_t>{1 << 26}));
  EXPECT_EQ(q->leaves()[1], (std::vector<int32_t>{-(1 << 28), 3 << 28}));
  // x = 2 goes right in both trees: 0.25 - 0.5 + 3; NaN goes left (default_left): 0.25 + 1 - 1.
  const float rows[] = {2.0f, 1.0f, std::numeric_limits<float>::quiet_NaN(), 1.0f};
  const auto scores = q->PredictValues(rows, 2);
  EXPECT_EQ(scores[0], (1 << 26) - (1 << 27) + (3 << 28));
  EXPECT_EQ(scores[1], 1 << 26);

  // Leaf values whose sum cannot fit int32 at all are refused.
  auto huge = QuantizedModel::FromModel(Model(Doc("regression", {NumericStump(3e9, 0)})));
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("int32"), std::string::npos);
}

}  // namespace
}  // namespace tessera::edge
