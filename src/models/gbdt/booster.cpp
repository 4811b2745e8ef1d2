#include "tessera/models/gbdt/booster.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "tessera/core/byte_codec.h"
#include "tessera/core/fixed_point.h"
#include "tessera/core/hash_mix.h"
#include "tessera/core/parallel.h"
#include "tessera/data/bin_rows.h"
#include "tessera/dist/agreement.h"
#include "tessera/metrics/metrics.h"
#include "tessera/models/gbdt/histogram.h"
#include "tessera/models/gbdt/tree_learner.h"

namespace tessera::models::gbdt {

namespace {

uint64_t Mix(uint64_t x) { return Mix64(x); }

uint64_t RoundingKey(uint64_t seed, int iteration, size_t output) {
  return Mix(Mix(seed + 0x632BE59BD9B4E019ull) + static_cast<uint64_t>(iteration) * 0x9E3779B97F4A7C15ull + output) << 20;
}

uint64_t BaggingKey(uint64_t seed, int iteration) {
  return Mix(Mix(seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull) + static_cast<uint64_t>(iteration)) << 20;
}

// A number in [0, 1) from a hash of x.
double UnitHash(uint64_t x) { return static_cast<double>(Mix(x) >> 11) * 0x1p-53; }

// The binned dataset's schema and mappers without its rows.
data::BinnedDataset ReferenceOf(const data::BinnedDataset& ds) {
  data::BinnedDataset ref(ds.schema(), ds.feature_columns(), ds.mappers(), 0);
  ref.set_label_classes(ds.label_classes());
  return ref;
}

// Adds the leaf values of `tree` (for output k of K) to the scores of every row of `ds`.
template <typename Cell>
void AddTreeScores(const Tree& tree, const data::BinnedDataset& ds, size_t k, size_t outputs, double* scores, int threads) {
  const size_t nf = ds.num_features();
  const Cell* cells = reinterpret_cast<const Cell*>(ds.cells());
  ParallelFor(ds.num_rows(), threads, [&](size_t b, size_t e, size_t) {
    constexpr size_t kBlock = 256;
    int32_t leaves[kBlock];
    for (size_t r0 = b; r0 < e; r0 += kBlock) {
      const size_t r1 = std::min(e, r0 + kBlock);
      tree.LeavesOf(cells + r0 * nf, nf, r1 - r0, leaves);
      for (size_t r = r0; r < r1; ++r) scores[r * outputs + k] += tree.leaf_value(leaves[r - r0]);
    }
  }, 4096);
}

void AddTree(const Tree& tree, const data::BinnedDataset& ds, size_t k, size_t outputs, double* scores, int threads) {
  if (ds.bytes_per_cell() == 1) AddTreeScores<uint8_t>(tree, ds, k, outputs, scores, threads);
  else AddTreeScores<uint16_t>(tree, ds, k, outputs, scores, threads);
}

double Metric(const std::string& name, std::span<const float> labels, std::span<const float> weights, std::vector<double> scores,
              const Objective& objective, size_t outputs) {
  objective.Transform(scores);
  auto value = metrics::Evaluate(name, labels, scores, outputs, weights);
  if (value.ok()) return *value;
  return std::numeric_limits<double>::quiet_NaN();
}

// A validation set gathered whole from its shards, in the whole table's row order, so that any
// metric (AUC included) is computed on exactly what one process would see: exact, at the cost of
// sending every rank's labels, weights and scores (8 + 8 x outputs bytes a row) per evaluation.
struct GatheredValidation {
  std::vector<float> labels, weights;
  std::vector<double> scores;
};

Result<GatheredValidation> GatherValidation(dist::Collective& world, const data::BinnedDataset& ds, const data::GlobalRows& rows,
                                            std::span<const double> scores, size_t outputs) {
  const bool weighted = !ds.weights().empty();
  ByteWriter out;
  std::vector<data::RowSegment> segments = rows.segments();
  if (rows.identity() && ds.num_rows() > 0) segments.push_back({0, 0, ds.num_rows()});
  out.Put<uint64_t>(segments.size());
  for (const auto& seg : segments) {
    out.Put(seg.global_begin), out.Put(seg.count);
    for (uint64_t i = seg.local_begin; i < seg.local_begin + seg.count; ++i) {
      out.Put(ds.labels()[i]);
      out.Put(weighted ? ds.weights()[i] : 1.0f);
      for (size_t k = 0; k < outputs; ++k) out.Put(scores[i * outputs + k]);
    }
  }
  TESSERA_ASSIGN_OR_RETURN(std::vector<std::string> all, world.AllGather(out.bytes()));
  uint64_t total = 0;
  for (const auto& bytes : all) {
    ByteReader in(bytes, "validation shard");
    TESSERA_ASSIGN_OR_RETURN(uint64_t n, in.Get<uint64_t>());
    for (uint64_t s = 0; s < n; ++s) {
      TESSERA_ASSIGN_OR_RETURN(uint64_t begin, in.Get<uint64_t>());
      TESSERA_ASSIGN_OR_RETURN(uint64_t count, in.Get<uint64_t>());
      total = std::max(total, begin + count);
      TESSERA_RETURN_IF_ERROR(in.CheckRoom(count, 8 + 8 * outputs));
      for (uint64_t i = 0; i < count; ++i) {
        TESSERA_RETURN_IF_ERROR(in.Get<float>().status());
        TESSERA_RETURN_IF_ERROR(in.Get<float>().status());
        for (size_t k = 0; k < outputs; ++k) TESSERA_RETURN_IF_ERROR(in.Get<double>().status());
      }
    }
  }
  GatheredValidation g;
  g.labels.resize(total), g.scores.resize(total * outputs);
  if (weighted) g.weights.resize(total);
  for (const auto& bytes : all) {
    ByteReader in(bytes, "validation shard");
    const uint64_t n = *in.Get<uint64_t>();  // checked above
    for (uint64_t s = 0; s < n; ++s) {
      const uint64_t begin = *in.Get<uint64_t>(), count = *in.Get<uint64_t>();
      for (uint64_t r = begin; r < begin + count; ++r) {
        g.labels[r] = *in.Get<float>();
        const float w = *in.Get<float>();
        if (weighted) g.weights[r] = w;
        for (size_t k = 0; k < outputs; ++k) g.scores[r * outputs + k] = *in.Get<double>();
      }
    }
  }
  return g;
}

}  // namespace

class GbdtTrainer {
 public:
  GbdtTrainer(const data::BinnedDataset& train, const GbdtParams& params, const TrainOptions& options)
      : train_(train),
        params_(params),
        options_(options),
        world_(options.world ? *options.world : dist::LocalWorld()),
        threads_(ResolveThreads(params.num_threads)) {}

  Result<GbdtModel> Run();

 private:
  // Parameters, labels and validation sets of this rank; the objective and the metrics' names.
  Status CheckInputs(std::unique_ptr<Objective>* objective, std::vector<std::string>* metric_names) const;
  // The loss-minimising constant from label sums added in fixed point over all ranks.
  Result<std::vector<double>> InitScore(const Objective& objective);
  // The fixed-point scale for the gradients of output k, agreed by all ranks from the sums of
  // |grad| and of hess over the bagged rows, in fixed point (the same for any split of the rows
  // between ranks and threads); with quantized training, also the coarse scale of its few levels
  // (`levels`).
  Result<GradientScale> AgreeOnScale(std::span<const uint32_t> bag, uint64_t global_bag, const std::vector<double>& grad,
                                     const std::vector<double>& hess, size_t k, size_t K, GradientScale* levels);
  // quant_train_renew_leaf: each leaf's value from the exact gradients of its rows (fixed-point
  // sums in `fine`, over all ranks) instead of their quantized levels.
  Status RenewQuantizedLeaves(const TreeLearner& learner, const std::vector<double>& grad, const std::vector<double>& hess,
                              size_t k, size_t K, const GradientScale& fine, Tree* tree);

  const data::BinnedDataset& train_;
  const GbdtParams& params_;
  const TrainOptions& options_;
  dist::Collective& world_;
  int threads_;
};

Result<std::vector<double>> GbdtTrainer::InitScore(const Objective& objective) {
  const size_t m = objective.num_label_sums(), n = train_.num_rows();
  const auto& labels = train_.labels();
  const auto& weights = train_.weights();
  auto terms_of = [&](size_t i, double* terms) { objective.LabelSumTerms(labels[i], weights.empty() ? 1.0f : weights[i], terms); };
  std::vector<double> terms(m), max_abs(m, 0.0);
  for (size_t i = 0; i < n; ++i) {
    terms_of(i, terms.data());
    for (size_t j = 0; j < m; ++j) max_abs[j] = std::max(max_abs[j], std::abs(terms[j]));
  }
  int64_t rows = static_cast<int64_t>(n);
  TESSERA_RETURN_IF_ERROR(world_.AllReduceMax(max_abs));
  TESSERA_RETURN_IF_ERROR(world_.AllReduceSum(std::span<int64_t>(&rows, 1)));
  std::vector<double> scale(m);
  for (size_t j = 0; j < m; ++j) scale[j] = FixedPointScale(max_abs[j], static_cast<uint64_t>(rows));
  std::vector<int64_t> fixed(m, 0);
  for (size_t i = 0; i < n; ++i) {
    terms_of(i, terms.data());
    for (size_t j = 0; j < m; ++j) fixed[j] += ToFixedPoint(terms[j], scale[j]);
  }
  TESSERA_RETURN_IF_ERROR(world_.AllReduceSum(fixed));
  std::vector<double> sums(m);
  for (size_t j = 0; j < m; ++j) sums[j] = static_cast<double>(fixed[j]) / scale[j];
  return objective.InitScoreFromSums(sums);
}

Result<GradientScale> GbdtTrainer::AgreeOnScale(std::span<const uint32_t> bag, uint64_t global_bag, const std::vector<double>& grad,
                                               const std::vector<double>& hess, size_t k, size_t K, GradientScale* levels) {
  // Two passes over fixed blocks: the largest |grad| and hess (so that every rank rounds to the
  // same grid), then the fixed-point sums. Integer sums: any thread count, any rank count.
  constexpr size_t kSumBlock = 65536;
  const size_t blocks = (bag.size() + kSumBlock - 1) / kSumBlock;
  auto for_blocks = [&](auto&& body) {
    ParallelFor(blocks, threads_, [&](size_t bb, size_t be, size_t) {
      for (size_t blk = bb; blk < be; ++blk) body(blk, blk * kSumBlock, std::min(bag.size(), (blk + 1) * kSumBlock));
    });
  };
  std::vector<double> block_max(2 * blocks, 0.0);
  for_blocks([&](size_t blk, size_t b, size_t e) {
    double mg = 0, mh = 0;
    for (size_t i = b; i < e; ++i) {
      const size_t at = bag[i] * K + k;
      mg = std::max(mg, std::abs(grad[at]));
      mh = std::max(mh, hess[at]);
    }
    block_max[2 * blk] = mg, block_max[2 * blk + 1] = mh;
  });
  std::vector<double> max_abs(2, 0.0);
  for (size_t blk = 0; blk < blocks; ++blk)
    max_abs[0] = std::max(max_abs[0], block_max[2 * blk]), max_abs[1] = std::max(max_abs[1], block_max[2 * blk + 1]);
  TESSERA_RETURN_IF_ERROR(world_.AllReduceMax(max_abs));
  if (params_.use_quantized_grad) *levels = GradientScale::ForLevels(max_abs[0], max_abs[1], params_.num_grad_quant_bins);
  const double scale_g = FixedPointScale(max_abs[0], global_bag), scale_h = FixedPointScale(max_abs[1], global_bag);
  std::vector<int64_t> block_sum(2 * blocks, 0);
  for_blocks([&](size_t blk, size_t b, size_t e) {
    int64_t sg = 0, sh = 0;
    for (size_t i = b; i < e; ++i) {
      const size_t at = bag[i] * K + k;
      sg += ToFixedPoint(std::abs(grad[at]), scale_g);
      sh += ToFixedPoint(std::max(0.0, hess[at]), scale_h);
    }
    block_sum[2 * blk] = sg, block_sum[2 * blk + 1] = sh;
  });
  std::vector<int64_t> sums(2, 0);
  for (size_t blk = 0; blk < blocks; ++blk) sums[0] += block_sum[2 * blk], sums[1] += block_sum[2 * blk + 1];
  TESSERA_RETURN_IF_ERROR(world_.AllReduceSum(sums));
  return GradientScale::For(static_cast<double>(sums[0]) / scale_g, static_cast<double>(sums[1]) / scale_h);
}

Status GbdtTrainer::RenewQuantizedLeaves(const TreeLearner& learner, const std::vector<double>& grad,
                                         const std::vector<double>& hess, size_t k, size_t K, const GradientScale& fine,
                                         Tree* tree) {
  const size_t leaves = tree->num_leaves();
  std::vector<int64_t> sums(2 * leaves, 0);
  ParallelFor(leaves, threads_, [&](size_t lb, size_t le, size_t) {
    for (size_t l = lb; l < le; ++l) {
      int64_t g = 0, h = 0;  // locals: neighbouring leaves' sums share a cache line
      for (uint32_t r : learner.leaf_rows(static_cast<int>(l))) {
        const GradPair p = fine.Quantize(grad[r * K + k], hess[r * K + k], 0.5);
        g += p.g, h += p.h;
      }
      sums[2 * l] = g, sums[2 * l + 1] = h;
    }
  });
  TESSERA_RETURN_IF_ERROR(world_.AllReduceSum(sums));
  for (size_t l = 0; l < leaves; ++l)
    tree->set_leaf_value(static_cast<int>(l), LeafValue(fine.Grad(sums[2 * l]), fine.Hess(static_cast<uint64_t>(sums[2 * l + 1])),
                                                       params_.lambda_l1, params_.lambda_l2));
  return Status::Ok();
}

Status GbdtTrainer::CheckInputs(std::unique_ptr<Objective>* objective, std::vector<std::string>* metric_names) const {
  TESSERA_RETURN_IF_ERROR(ValidateGbdtParams(params_));
  if (!train_.has_labels()) return Status::UserError("training data has no label column (pass --label)");
  if (train_.num_rows() == 0) return Status::UserError("training data has no rows");
  if (train_.num_rows() > std::numeric_limits<uint32_t>::max()) return Status::UserError("more than 2^32 rows on one machine");
  TESSERA_ASSIGN_OR_RETURN(*objective, Objective::Create(params_));
  TESSERA_RETURN_IF_ERROR((*objective)->CheckLabels(train_.labels()));
  if (world_.size() > 1 && (*objective)->num_label_sums() == 0)
    return Status::UserError("objective=" + (*objective)->name() +
                             " cannot train distributed yet (its start score and leaf values are medians, not sums); "
                             "use binary, multiclass, regression or poisson");
  if (options_.valid_rows.size() > options_.valid.size()) return Status::Internal("more validation row maps than sets");
  for (const auto& m : params_.metrics.empty() ? std::vector<std::string>{(*objective)->default_metric()} : params_.metrics) {
    auto canonical = metrics::CanonicalMetricName(m);
    if (!canonical) return Status::UserError("unknown metric '" + m + "'; known: auc, logloss, error, rmse, mae, r2, multi_logloss, multi_error");
    metric_names->push_back(*canonical);
  }
  for (const auto* v : options_.valid) {
    // A rank may hold no rows of a validation set (fewer part files than ranks).
    if (!v->has_labels() && v->num_rows() > 0) return Status::UserError("validation data has no label column");
    if (v->num_features() != train_.num_features()) return Status::Internal("validation data read with other bins");
    TESSERA_RETURN_IF_ERROR((*objective)->CheckLabels(v->labels()).WithContext("validation data"));
  }
  const int outputs = (*objective)->num_outputs();
  if (const GbdtModel* init = options_.init_model) {
    if (init->num_outputs() != outputs || init->params().objective != params_.objective)
      return Status::UserError("--init-model was trained for another objective or number of classes");
    if (init->params().random_forest() != params_.random_forest())
      return Status::UserError("--init-model is a " + std::string(init->params().random_forest() ? "random forest (boosting=rf)" : "boosted model (boosting=gbdt)") +
                               "; continue it with the same boosting=" + init->params().boosting);
  }
  if (params_.random_forest() && (options_.resume_model || options_.checkpoint_every > 0))
    return Status::UserError("checkpoints are not supported with boosting=rf (a forest's trees are averaged at the end); "
                             "train without --checkpoint-every");
  if (const GbdtModel* resume = options_.resume_model) {
    if (options_.init_model) return Status::UserError("a resumed run cannot also start from --init-model");
    // The same parameters (the thread count aside) and the same bins, or it is another run.
    nlohmann::json theirs = resume->params().ToJson(), ours = params_.ToJson();
    theirs.erase("num_threads"), ours.erase("num_threads");
    if (theirs != ours) return Status::UserError("the checkpoint was trained with other parameters: " + theirs.dump());
    bool same_bins = resume->reference().mappers().size() == train_.mappers().size();
    for (size_t f = 0; same_bins && f < train_.mappers().size(); ++f)
      same_bins = resume->reference().mappers()[f].ToJson() == train_.mappers()[f].ToJson();
    if (!same_bins) return Status::UserError("the checkpoint was trained on other data (its bins differ from this data's)");
    const TrainingState& st = options_.resume_state;
    if (st.iteration < 0 || resume->trees().size() != static_cast<size_t>(st.iteration) * static_cast<size_t>(outputs))
      return Status::UserError("the checkpoint's trees do not match its iteration count");
  }
  return Status::Ok();
}

nlohmann::json TrainingState::ToJson() const {
  nlohmann::json j = {{"iteration", iteration}, {"best_iteration", best_iteration}, {"since_best", since_best}};
  // A double as its bits too: the metric must come back exactly, and JSON numbers might not.
  uint64_t bits;
  std::memcpy(&bits, &best_value, sizeof bits);
  j["best_value"] = best_value;
  j["best_value_bits"] = std::to_string(bits);
  return j;
}

Result<TrainingState> TrainingState::FromJson(const nlohmann::json& j) {
  auto bad = [] { return Status::UserError("checkpoint: malformed training state"); };
  if (!j.is_object()) return bad();
  TrainingState st;
  try {
    st.iteration = j.at("iteration").get<int>();
    st.best_iteration = j.at("best_iteration").get<int>();
    st.since_best = j.at("since_best").get<int>();
    const uint64_t bits = std::stoull(j.at("best_value_bits").get<std::string>());
    std::memcpy(&st.best_value, &bits, sizeof bits);
  } catch (const std::exception&) {
    return bad();
  }
  return st;
}

Result<GbdtModel> GbdtTrainer::Run() {
  auto start = std::chrono::steady_clock::now();
  std::unique_ptr<Objective> checked_objective;
  std::vector<std::string> metric_names;
  // Every rank checks its own inputs, then all agree before any other communication, so that a
  // rank with bad input stops every rank here instead of leaving the others waiting for it.
  TESSERA_RETURN_IF_ERROR(dist::AgreeOnStatus(world_, CheckInputs(&checked_objective, &metric_names)));
  std::shared_ptr<Objective> objective = std::move(checked_objective);  // shared with checkpoints
  const bool distributed = world_.size() > 1;

  GbdtModel model;
  model.params_ = params_;
  model.num_outputs_ = objective->num_outputs();
  model.reference_ = ReferenceOf(train_);
  const size_t n = train_.num_rows(), K = static_cast<size_t>(model.num_outputs_);

  // Starting scores: a model to continue (an init model, or a checkpoint to resume), or the
  // loss-minimising constant. A checkpoint's scores, summed tree by tree as training summed
  // them, are the uninterrupted run's to the bit.
  const GbdtModel* from = options_.resume_model ? options_.resume_model : options_.init_model;
  std::vector<double> scores;
  const bool forest = params_.random_forest();
  if (from && forest) {
    // A forest to grow: its trees' leaves back to their own values (the saved ones are divided
    // by the number of trees); every tree fits the gradients at the start score.
    model.init_score_ = from->init_score();
    model.trees_ = from->trees();
    const double trees_before = static_cast<double>(from->num_iterations());
    for (Tree& t : model.trees_)
      for (size_t l = 0; l < t.num_leaves(); ++l) t.set_leaf_value(static_cast<int>(l), t.leaf_value(static_cast<int>(l)) * trees_before);
    scores.resize(n * K);
    for (size_t i = 0; i < n; ++i)
      for (size_t k = 0; k < K; ++k) scores[i * K + k] = model.init_score_[k];
  } else if (from) {
    model.init_score_ = from->init_score();
    model.trees_ = from->trees();
    scores = from->PredictRaw(train_, threads_);
  } else {
    if (!params_.boost_from_average) {
      model.init_score_.assign(K, 0.0);
    } else if (objective->num_label_sums() > 0) {
      TESSERA_ASSIGN_OR_RETURN(model.init_score_, InitScore(*objective));
    } else {
      model.init_score_ = objective->InitScore(train_.labels(), train_.weights());
    }
    scores.resize(n * K);
    for (size_t i = 0; i < n; ++i)
      for (size_t k = 0; k < K; ++k) scores[i * K + k] = model.init_score_[k];
  }
  // Validation scores: the start score plus the trees' sum (a forest's metrics divide the sum by
  // the number of trees, see forest_scores).
  std::vector<std::vector<double>> valid_scores;
  for (const auto* v : options_.valid) {
    valid_scores.push_back(from && !forest ? from->PredictRaw(*v, threads_) : std::vector<double>(v->num_rows() * K));
    if (!from || forest)
      for (size_t i = 0; i < v->num_rows(); ++i)
        for (size_t k = 0; k < K; ++k) valid_scores.back()[i * K + k] = model.init_score_[k];
    if (from && forest)
      for (size_t t = 0; t < model.trees_.size(); ++t) AddTree(model.trees_[t], *v, t % K, K, valid_scores.back().data(), threads_);
  }
  // A forest's scores after `trees` trees per output: start + (sum - start) / trees.
  auto forest_scores = [&](std::vector<double> summed, size_t trees) {
    for (size_t i = 0; i < summed.size(); ++i)
      summed[i] = model.init_score_[i % K] + (summed[i] - model.init_score_[i % K]) / static_cast<double>(trees);
    return summed;
  };

  TreeLearner learner(train_, params_, world_);
  int64_t global_rows = static_cast<int64_t>(n);
  TESSERA_RETURN_IF_ERROR(world_.AllReduceSum(std::span<int64_t>(&global_rows, 1)));
  uint64_t global_bag = static_cast<uint64_t>(global_rows);
  const data::GlobalRows& row_ids = options_.train_rows;
  static const data::GlobalRows kIdentity;
  auto valid_rows = [&](size_t v) -> const data::GlobalRows& {
    return v < options_.valid_rows.size() ? options_.valid_rows[v] : kIdentity;
  };
  std::vector<double> grad(n * K), hess(n * K);
  std::vector<GradPair> pairs(n);
  std::vector<uint32_t> all_rows(n);
  for (size_t i = 0; i < n; ++i) all_rows[i] = static_cast<uint32_t>(i);
  std::vector<uint32_t> bag = all_rows;
  std::vector<bool> in_bag(n, true);
  const size_t nf = train_.num_features();

  // Iterations are numbered from the init model's last (its trees come first); a resumed run's
  // keep the numbers (and so the random draws) they had in the interrupted one.
  const size_t first_iteration = options_.init_model ? options_.init_model->trees().size() / K : 0;
  const TrainingState resumed = options_.resume_model ? options_.resume_state : TrainingState();
  int best_iteration = resumed.best_iteration, since_best = resumed.since_best;
  // Trees at the best iteration: a forest's bag that gives no split adds no tree, so iterations
  // and trees need not match (checkpoints, which resume, are boosting only: one tree per output).
  size_t best_trees = best_iteration > 0 ? static_cast<size_t>(best_iteration) * K : 0;
  double best_value = resumed.best_value;
  std::vector<std::pair<std::string, double>> last_metrics;
  // The training data's distribution, for drift: every rank's bin counts, added up.
  model.reference_counts_ = data::BinCounts(train_);
  if (distributed) {
    std::vector<int64_t> flat;
    for (const auto& f : model.reference_counts_) flat.insert(flat.end(), f.begin(), f.end());
    TESSERA_RETURN_IF_ERROR(world_.AllReduceSum(flat));
    size_t at = 0;
    for (auto& f : model.reference_counts_)
      for (auto& c : f) c = static_cast<uint64_t>(flat[at++]);
  }

  // Bagging keeps a row when a hash of (seed, iteration, global row number) falls below the
  // fraction: the same rows whatever the threads and however the rows are split between ranks.
  const bool bagging = params_.bagging_freq > 0 && params_.bagging_fraction < 1.0;
  auto draw_bag = [&](int it) -> Status {
    const uint64_t bag_key = BaggingKey(params_.seed, it);
    bag.clear();
    row_ids.ForEach(0, n, [&](uint64_t i, uint64_t global) {
      in_bag[i] = UnitHash(bag_key + global) < params_.bagging_fraction;
      if (in_bag[i]) bag.push_back(static_cast<uint32_t>(i));
    });
    int64_t bagged = static_cast<int64_t>(bag.size());
    TESSERA_RETURN_IF_ERROR(world_.AllReduceSum(std::span<int64_t>(&bagged, 1)));
    if (bagged == 0) {
      // Nothing drawn anywhere: global row 0 alone (on the rank that holds it).
      row_ids.ForEach(0, std::min<size_t>(n, 1), [&](uint64_t i, uint64_t global) {
        if (global == 0) bag.push_back(static_cast<uint32_t>(i)), in_bag[i] = true;
      });
      bagged = 1;
    }
    global_bag = static_cast<uint64_t>(bagged);
    return Status::Ok();
  };
  // A run resumed between two draws continues with the bag of the last one.
  if (bagging && resumed.iteration % params_.bagging_freq != 0)
    TESSERA_RETURN_IF_ERROR(draw_bag(resumed.iteration - resumed.iteration % params_.bagging_freq));
  for (int it = resumed.iteration; it < params_.num_iterations; ++it) {
    const dist::CommStats comm_before = world_.stats();
    // A forest grown from an init model draws as the trees after its own would have (or it would
    // repeat them); boosting keeps its numbering (the gradients differ anyway).
    const int draw_it = forest ? static_cast<int>(first_iteration) + it : it;
    if (bagging && it % params_.bagging_freq == 0) TESSERA_RETURN_IF_ERROR(draw_bag(draw_it));
    std::vector<bool> feature_used(nf, true);
    if (params_.feature_fraction < 1.0) {
      std::mt19937_64 rng(params_.seed * 0xD1B54A32D192ED03ull + static_cast<uint64_t>(draw_it) + 7);
      std::vector<size_t> order(nf);
      for (size_t f = 0; f < nf; ++f) order[f] = f;
      std::shuffle(order.begin(), order.end(), rng);
      size_t keep = std::max<size_t>(1, static_cast<size_t>(std::round(params_.feature_fraction * static_cast<double>(nf))));
      feature_used.assign(nf, false);
      for (size_t i = 0; i < keep; ++i) feature_used[order[i]] = true;
    }

    ParallelFor(n, threads_, [&](size_t b, size_t e, size_t) {
      objective->Gradients(train_.labels(), train_.weights(), scores, b, e, grad.data(), hess.data());
    }, 4096);

    bool any_split = false;
    std::vector<Tree> new_trees;
    for (size_t k = 0; k < K; ++k) {
      GradientScale levels;
      TESSERA_ASSIGN_OR_RETURN(const GradientScale scale, AgreeOnScale(bag, global_bag, grad, hess, k, K, &levels));
      // The hessians' random rounding is keyed by (seed, iteration, class, global row): any thread
      // count and any split of the rows between ranks draws the same numbers.
      const uint64_t key = RoundingKey(params_.seed, draw_it, k), grad_key = Mix(key ^ 0x96AD5ull);
      const bool quantized = params_.use_quantized_grad;
      ParallelFor(n, threads_, [&](size_t b, size_t e, size_t) {
        row_ids.ForEach(b, e, [&](uint64_t i, uint64_t global) {
          pairs[i] = quantized ? levels.QuantizeStochastic(grad[i * K + k], hess[i * K + k], UnitHash(grad_key + global),
                                                           UnitHash(key + global))
                               : scale.Quantize(grad[i * K + k], hess[i * K + k], UnitHash(key + global));
        });
      }, 4096);
      const uint64_t tree_key = Mix(key ^ 0x7EE5EEDull);
      TESSERA_ASSIGN_OR_RETURN(Tree tree, learner.Grow(bag, pairs, quantized ? levels : scale, feature_used, tree_key));
      any_split |= tree.num_leaves() > 1;
      if (quantized && params_.quant_train_renew_leaf)
        TESSERA_RETURN_IF_ERROR(RenewQuantizedLeaves(learner, grad, hess, k, K, scale, &tree));
      if (K == 1 && !distributed)  // objectives that renew leaves train in one process only (checked above)
        for (size_t l = 0; l < tree.num_leaves(); ++l)
          if (auto v = objective->RenewLeaf(learner.leaf_rows(static_cast<int>(l)), train_.labels(), train_.weights(), scores))
            tree.set_leaf_value(static_cast<int>(l), *v);
      if (forest) {  // no learning rate, and the scores stay at the start: nothing more to do
        new_trees.push_back(std::move(tree));
        continue;
      }
      for (size_t l = 0; l < tree.num_leaves(); ++l)
        tree.set_leaf_value(static_cast<int>(l), tree.leaf_value(static_cast<int>(l)) * params_.learning_rate);
      // In-bag rows know their leaf from the learner; the others walk the tree.
      ParallelFor(tree.num_leaves(), threads_, [&](size_t lb, size_t le, size_t) {
        for (size_t l = lb; l < le; ++l)
          for (uint32_t r : learner.leaf_rows(static_cast<int>(l))) scores[r * K + k] += tree.leaf_value(static_cast<int>(l));
      });
      if (bag.size() < n) {
        std::vector<double> delta(n, 0.0);
        AddTree(tree, train_, 0, 1, delta.data(), threads_);
        for (size_t i = 0; i < n; ++i)
          if (!in_bag[i]) scores[i * K + k] += delta[i];
      }
      new_trees.push_back(std::move(tree));
    }
    if (!any_split) {
      // Boosting: no leaf can split any more, further trees would all be constant. A forest: this
      // bag gave no split; a constant tree would only pull the average towards the start score.
      if (!forest) break;
      if (options_.should_stop && options_.should_stop()) break;  // the budget holds for bags too
      continue;
    }
    for (size_t k = 0; k < K; ++k) {
      for (size_t v = 0; v < options_.valid.size(); ++v)
        AddTree(new_trees[k], *options_.valid[v], k, K, valid_scores[v].data(), threads_);
      model.trees_.push_back(std::move(new_trees[k]));
    }

    IterationReport report;
    report.iteration = static_cast<int>(first_iteration) + it + 1;
    // Metrics (AUC sorts the whole validation set) only when someone looks at them.
    const bool evaluate = params_.early_stopping_rounds > 0 || options_.metric_every <= 1 ||
                          (it + 1) % options_.metric_every == 0 || it + 1 == params_.num_iterations;
    for (size_t v = 0; evaluate && v < options_.valid.size(); ++v) {
      std::string vname = v < options_.valid_names.size() ? options_.valid_names[v] : "valid_" + std::to_string(v);
      const data::BinnedDataset& vd = *options_.valid[v];
      const std::vector<double> scored = forest ? forest_scores(valid_scores[v], model.trees_.size() / K) : valid_scores[v];
      if (!distributed) {
        for (const auto& m : metric_names)
          report.metrics.push_back({vname + " " + m, Metric(m, vd.labels(), vd.weights(), scored, *objective, K)});
        continue;
      }
      TESSERA_ASSIGN_OR_RETURN(GatheredValidation g, GatherValidation(world_, vd, valid_rows(v), scored, K));
      for (const auto& m : metric_names)
        report.metrics.push_back({vname + " " + m, Metric(m, g.labels, g.weights, g.scores, *objective, K)});
    }
    if (options_.on_communication) {
      const dist::CommStats& now = world_.stats();
      options_.on_communication(static_cast<int>(first_iteration) + it + 1, now.bytes_sent - comm_before.bytes_sent,
                                now.seconds - comm_before.seconds);
    }
    if (evaluate) {
      last_metrics = report.metrics;
      if (options_.on_iteration) options_.on_iteration(report);
    }

    // Early stopping watches the first metric on the first validation set.
    if (params_.early_stopping_rounds > 0 && !report.metrics.empty()) {
      double value = report.metrics[0].second;
      bool better = best_iteration < 0 || (metrics::HigherIsBetter(metric_names[0]) ? value > best_value : value < best_value);
      if (better) {
        best_value = value, best_iteration = report.iteration, best_trees = model.trees_.size(), since_best = 0;
      } else if (++since_best >= params_.early_stopping_rounds) {
        break;
      }
    }
    if (options_.checkpoint_every > 0 && options_.on_checkpoint && (it + 1) % options_.checkpoint_every == 0 &&
        it + 1 < params_.num_iterations) {
      GbdtModel snapshot = model;
      snapshot.objective_ = objective;
      TrainingState state;
      state.iteration = it + 1;
      state.best_iteration = best_iteration, state.best_value = best_value, state.since_best = since_best;
      snapshot.training_info_ = {{"rows", global_rows}, {"features", nf}, {"iterations", snapshot.num_iterations()},
                                 {"checkpoint", state.ToJson()}};
      TESSERA_RETURN_IF_ERROR(options_.on_checkpoint(snapshot, state));
    }
    if (options_.should_stop && options_.should_stop()) break;
  }
  if (best_iteration > 0 && params_.early_stopping_rounds > 0) model.trees_.resize(best_trees);
  if (forest) {
    // The forest's output is the trees' average: each leaf divided by the number of trees, so
    // that the model is an ordinary sum of trees for prediction, SHAP and export.
    const double trees = static_cast<double>(model.trees_.size() / K);
    for (Tree& t : model.trees_)
      for (size_t l = 0; l < t.num_leaves(); ++l) t.set_leaf_value(static_cast<int>(l), t.leaf_value(static_cast<int>(l)) / trees);
  }

  model.objective_ = std::move(objective);
  nlohmann::json info;
  info["rows"] = global_rows;
  info["features"] = nf;
  info["iterations"] = model.num_iterations();
  if (best_iteration > 0) info["best_iteration"] = best_iteration;
  nlohmann::json jm = nlohmann::json::object();
  for (const auto& [name, value] : last_metrics) jm[name] = value;
  info["valid_metrics"] = jm;
  info["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  model.training_info_ = info;
  if (distributed) {
    const dist::CommStats& comm = world_.stats();
    model.training_info_["distributed"] = {{"ranks", world_.size()}, {"bytes_sent", comm.bytes_sent}, {"comm_seconds", comm.seconds}};
  }
  return model;
}

Result<GbdtModel> TrainGbdt(const data::BinnedDataset& train, const GbdtParams& params, const TrainOptions& options) {
  return GbdtTrainer(train, params, options).Run();
}

void GbdtModel::KeepFirstIterations(size_t iterations) {
  if (params_.random_forest() || iterations >= num_iterations()) return;
  trees_.resize(iterations * static_cast<size_t>(num_outputs_));
  training_info_["iterations"] = iterations;
}

std::vector<double> GbdtModel::PredictRaw(const data::BinnedDataset& ds, int threads, size_t iterations) const {
  const size_t K = static_cast<size_t>(num_outputs_), n = ds.num_rows(), nf = ds.num_features();
  size_t trees = iterations == 0 ? trees_.size() : std::min(trees_.size(), iterations * K);
  std::vector<double> out(n * K);
  // Blocks of rows, trees outermost inside a block: a tree's nodes stay in cache for the block.
  constexpr size_t kBlock = 256;
  auto run = [&](auto cell_tag) {
    using Cell = decltype(cell_tag);
    const Cell* cells = reinterpret_cast<const Cell*>(ds.cells());
    ParallelFor((n + kBlock - 1) / kBlock, ResolveThreads(threads), [&](size_t bb, size_t be, size_t) {
      for (size_t block = bb; block < be; ++block) {
        size_t r0 = block * kBlock, r1 = std::min(n, r0 + kBlock);
        for (size_t r = r0; r < r1; ++r)
          for (size_t k = 0; k < K; ++k) out[r * K + k] = init_score_[k];
        int32_t leaves[kBlock];
        for (size_t t = 0; t < trees; ++t) {
          const Tree& tree = trees_[t];
          const size_t k = t % K;
          tree.LeavesOf(cells + r0 * nf, nf, r1 - r0, leaves);
          for (size_t r = r0; r < r1; ++r) out[r * K + k] += tree.leaf_value(leaves[r - r0]);
        }
      }
    });
  };
  if (ds.bytes_per_cell() == 1) run(uint8_t{});
  else run(uint16_t{});
  return out;
}

void GbdtModel::Transform(std::vector<double>* scores) const { objective_->Transform(*scores); }

std::vector<double> GbdtModel::Predict(const data::BinnedDataset& ds, int threads) const {
  std::vector<double> out = PredictRaw(ds, threads);
  Transform(&out);
  return out;
}

std::vector<double> GbdtModel::PredictValues(const float* values, size_t rows, bool raw_score, int threads) const {
  const data::BinnedDataset ds = data::BinFloatRows(reference_, values, rows);
  return raw_score ? PredictRaw(ds, threads) : Predict(ds, threads);
}

std::vector<int32_t> GbdtModel::PredictLeaf(const data::BinnedDataset& ds, int threads) const {
  const size_t n = ds.num_rows(), nt = trees_.size(), nf = ds.num_features();
  std::vector<int32_t> out(n * nt);
  ParallelFor(n, ResolveThreads(threads), [&](size_t b, size_t e, size_t) {
    constexpr size_t kBlock = 256;
    int32_t leaves[kBlock];
    for (size_t r0 = b; r0 < e; r0 += kBlock) {
      const size_t r1 = std::min(e, r0 + kBlock);
      for (size_t t = 0; t < nt; ++t) {
        if (ds.bytes_per_cell() == 1) trees_[t].LeavesOf(ds.cells() + r0 * nf, nf, r1 - r0, leaves);
        else trees_[t].LeavesOf(reinterpret_cast<const uint16_t*>(ds.cells()) + r0 * nf, nf, r1 - r0, leaves);
        for (size_t r = r0; r < r1; ++r) out[r * nt + t] = leaves[r - r0];
      }
    }
  });
  return out;
}

nlohmann::json GbdtModelToJson(const GbdtModel& m) {
  nlohmann::json trees = nlohmann::json::array();
  for (const auto& t : m.trees_) trees.push_back(t.ToJson(m.reference_.mappers()));
  nlohmann::json j = {{"family", "gbdt"},
          {"objective", m.params_.objective},
          {"num_outputs", m.num_outputs_},
          {"init_score", m.init_score_},
          {"params", m.params_.ToJson()},
          {"training", m.training_info_},
          {"trees", trees}};
  // What a user sees: a random forest or extra trees, whose leaves are already averaged.
  if (m.params_.random_forest()) j["forest"] = {{"kind", m.params_.family_name()}, {"averaged_trees", m.num_iterations()}};
  return j;
}

Result<GbdtModel> GbdtModelFromJson(const nlohmann::json& j, data::BinnedDataset reference) {
  auto bad = [](const std::string& what) { return Status::UserError("model: " + what); };
  if (!j.is_object() || j.value("family", "") != "gbdt") return bad("expected \"family\": \"gbdt\"");
  if (!j.contains("params")) return bad("missing 'params'");
  GbdtModel m;
  TESSERA_ASSIGN_OR_RETURN(m.params_, GbdtParamsFromJson(j["params"]));
  TESSERA_ASSIGN_OR_RETURN(std::unique_ptr<Objective> objective, Objective::Create(m.params_));
  m.num_outputs_ = objective->num_outputs();
  m.objective_ = std::move(objective);
  if (j.value("num_outputs", 0) != m.num_outputs_) return bad("num_outputs does not match the objective");
  if (!j.contains("init_score") || !j["init_score"].is_array()) return bad("missing 'init_score'");
  m.init_score_ = j["init_score"].get<std::vector<double>>();
  if (m.init_score_.size() != static_cast<size_t>(m.num_outputs_)) return bad("init_score needs one value per output");
  if (!j.contains("trees") || !j["trees"].is_array()) return bad("missing 'trees'");
  for (size_t t = 0; t < j["trees"].size(); ++t) {
    auto tree = Tree::FromJson(j["trees"][t], reference.mappers());
    if (!tree.ok()) return tree.status().WithContext("model: tree " + std::to_string(t));
    m.trees_.push_back(std::move(tree).value());
  }
  if (m.trees_.size() % static_cast<size_t>(m.num_outputs_) != 0) return bad("the tree count must be a multiple of num_outputs");
  if (m.params_.random_forest() && j.contains("forest") && j["forest"].value("averaged_trees", size_t{0}) != m.num_iterations())
    return bad("forest.averaged_trees does not match the number of trees (the leaves are averages over all of them)");
  m.reference_ = std::move(reference);
  m.training_info_ = j.value("training", nlohmann::json::object());
  return m;
}

}  // namespace tessera::models::gbdt
