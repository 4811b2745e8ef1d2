#include "tessera/models/linear/linear_model.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "tessera/core/parallel.h"
#include "tessera/metrics/metrics.h"
#include "tessera/models/linear/solvers.h"

namespace tessera::models::linear {

namespace {

std::vector<features::InputColumn> InputColumns(const data::BinnedDataset& ref) {
  std::vector<features::InputColumn> inputs;
  for (size_t f = 0; f < ref.num_features(); ++f) {
    const data::BinMapper& m = ref.mappers()[f];
    const bool categorical = m.kind() == data::BinMapper::Kind::kCategorical;
    inputs.push_back({ref.feature_name(f), categorical, categorical ? m.categories() : std::vector<std::string>{}});
  }
  return inputs;
}

}  // namespace

std::vector<double> LinearModel::PredictRaw(const data::CodedRows& rows, int threads) const {
  const size_t p = pipeline_.num_outputs(), k = static_cast<size_t>(num_outputs_), nf = rows.cols;
  std::vector<double> scores(rows.rows * k);
  // Blocks of rows at a time, so that the encoded matrix never has more than a block's rows per
  // thread; every row's score depends on that row alone, whatever the split.
  constexpr size_t kBlock = 1024;
  const size_t blocks = (rows.rows + kBlock - 1) / kBlock;
  ParallelFor(blocks, ResolveThreads(threads), [&](size_t b0, size_t b1, size_t) {
    for (size_t b = b0; b < b1; ++b) {
      const size_t first = b * kBlock, n = std::min(rows.rows, first + kBlock) - first;
      const std::vector<double> x = pipeline_.Transform(std::span<const float>(rows.values.data() + first * nf, n * nf), n);
      for (size_t i = 0; i < n; ++i)
        for (size_t c = 0; c < k; ++c) {
          double s = intercept_[c];
          const double* w = coef_.data() + c * p;
          const double* xi = x.data() + i * p;
          for (size_t j = 0; j < p; ++j) s += w[j] * xi[j];
          scores[(first + i) * k + c] = s;
        }
    }
  });
  return scores;
}

void LinearModel::Transform(std::vector<double>* scores) const {
  if (params_.objective == "binary") {
    for (double& s : *scores) s = 1.0 / (1.0 + std::exp(-s));
  } else if (params_.objective == "multiclass") {
    const size_t k = static_cast<size_t>(num_outputs_);
    for (size_t i = 0; i + k <= scores->size(); i += k) {
      double* z = scores->data() + i;
      const double m = *std::max_element(z, z + k);
      double sum = 0;
      for (size_t c = 0; c < k; ++c) sum += (z[c] = std::exp(z[c] - m));
      for (size_t c = 0; c < k; ++c) z[c] /= sum;
    }
  }
}

std::vector<double> LinearModel::Predict(const data::CodedRows& rows, int threads) const {
  std::vector<double> scores = PredictRaw(rows, threads);
  Transform(&scores);
  return scores;
}

std::vector<double> LinearModel::PredictValues(const float* values, size_t rows, bool raw_score, int threads) const {
  const data::CodedRows coded = data::CodeFloatRows(reference_, values, rows);
  return raw_score ? PredictRaw(coded, threads) : Predict(coded, threads);
}

Result<LinearModel> TrainLinear(const data::BinnedDataset& train, const data::CodedRows& coded, const LinearParams& params,
                                const std::function<bool()>& should_stop) {
  TESSERA_RETURN_IF_ERROR(ValidateLinearParams(params));
  const size_t n = train.num_rows();
  if (!train.has_labels()) return Status::UserError("linear training needs labels (--label)");
  if (coded.rows != n || coded.cols != train.num_features())
    return Status::Internal("linear training: the coded rows do not match the binned training rows");
  const auto start = std::chrono::steady_clock::now();
  LinearModel m;
  m.params_ = params;
  const bool regression = params.objective == "regression";
  const int classes = params.objective == "multiclass" ? params.num_class : 2;
  // Targets for target encoding: the label (regression, binary) or one 0/1 column per class.
  std::vector<std::string> target_names;
  std::vector<double> targets;
  if (params.objective == "multiclass") {
    for (int c = 0; c < classes; ++c)
      target_names.push_back(static_cast<size_t>(c) < train.label_classes().size() ? train.label_classes()[static_cast<size_t>(c)]
                                                                                    : std::to_string(c));
    targets.assign(n * static_cast<size_t>(classes), 0.0);
    for (size_t i = 0; i < n; ++i) {
      const float y = train.labels()[i];
      if (!(y >= 0) || y >= static_cast<float>(classes) || y != std::floor(y))
        return Status::UserError("objective=multiclass: label " + std::to_string(y) + " of row " + std::to_string(i) +
                                 " is not a class id in [0, " + std::to_string(classes - 1) + "]");
      targets[i * static_cast<size_t>(classes) + static_cast<size_t>(y)] = 1.0;
    }
  } else {
    target_names = {"label"};
    for (float y : train.labels()) {
      if (!regression && y != 0 && y != 1)
        return Status::UserError("objective=binary needs labels 0 and 1 (or two text classes), got " + std::to_string(y));
      targets.push_back(y);
    }
  }
  features::PipelineOptions po;
  po.impute = params.impute == "median" ? features::Imputer::Strategy::kMedian : features::Imputer::Strategy::kMean;
  po.one_hot_max_levels = static_cast<size_t>(params.one_hot_max_levels);
  po.target.folds = params.target_encoding_folds;
  po.target.smoothing = params.target_smoothing;
  po.target.seed = params.seed;
  DesignMatrix x;
  TESSERA_ASSIGN_OR_RETURN(m.pipeline_, features::FeaturePipeline::Fit(InputColumns(train), coded.values, n, targets, target_names,
                                                                       po, &x.values));
  x.rows = n;
  x.cols = m.pipeline_.num_outputs();
  SolverOptions so;
  so.lambda = params.lambda;
  so.l1_ratio = params.l1_ratio;
  // Coordinate-descent sweeps cost cols^2 (not a pass over the rows): allow more of them.
  so.max_iterations = params.max_iterations > 0 ? params.max_iterations : (regression ? 10000 : 1000);
  so.tolerance = params.tolerance;
  so.threads = params.num_threads;
  so.should_stop = should_stop;
  LinearFit fit;
  if (regression) {
    TESSERA_ASSIGN_OR_RETURN(fit, FitElasticNet(x, train.labels(), train.weights(), so));
  } else {
    TESSERA_ASSIGN_OR_RETURN(fit, FitLogistic(x, train.labels(), classes, train.weights(), so));
  }
  m.num_outputs_ = fit.num_outputs;
  m.coef_ = std::move(fit.coef);
  m.intercept_ = std::move(fit.intercept);
  m.reference_ = data::BinnedDataset(train.schema(), train.feature_columns(), train.mappers(), 0);
  m.reference_.set_label_classes(train.label_classes());
  m.reference_counts_ = data::BinCounts(train);
  size_t nonzero = 0;
  for (double w : m.coef_) nonzero += w != 0;
  m.training_info_ = {{"rows", n},
                      {"features", train.num_features()},
                      {"encoded_columns", x.cols},
                      {"nonzero_coefficients", nonzero},
                      {"solver", regression ? (params.l1_ratio > 0 || params.lambda == 0 ? "coordinate_descent" : "cholesky")
                                            : (params.l1_ratio > 0 ? "owlqn" : "lbfgs")},
                      {"iterations", fit.iterations},
                      {"converged", fit.converged},
                      {"train_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()},
                      {"tessera_version", TESSERA_VERSION}};
  return m;
}

nlohmann::json LinearModelToJson(const LinearModel& m) {
  const size_t p = m.pipeline_.num_outputs();
  nlohmann::json coef = nlohmann::json::array();
  for (int c = 0; c < m.num_outputs_; ++c)
    coef.push_back(std::vector<double>(m.coef_.begin() + static_cast<std::ptrdiff_t>(c * p),
                                       m.coef_.begin() + static_cast<std::ptrdiff_t>((c + 1) * p)));
  return {{"family", "linear"},
          {"objective", m.params_.objective},
          {"num_outputs", m.num_outputs_},
          {"params", m.params_.ToJson()},
          {"training", m.training_info_},
          {"pipeline", m.pipeline_.ToJson()},
          {"coefficients", coef},
          {"intercepts", m.intercept_}};
}

Result<LinearModel> LinearModelFromJson(const nlohmann::json& j, data::BinnedDataset reference) {
  auto bad = [](const std::string& what) { return Status::UserError("model: " + what); };
  if (!j.is_object() || j.value("family", "") != "linear") return bad("expected \"family\": \"linear\"");
  try {
    LinearModel m;
    TESSERA_ASSIGN_OR_RETURN(m.params_, LinearParamsFromJson(j.at("params")));
    auto pipeline = features::FeaturePipeline::FromJson(j.at("pipeline"));
    if (!pipeline.ok()) return pipeline.status().WithContext("model");
    m.pipeline_ = std::move(pipeline).value();
    if (m.pipeline_.num_inputs() != reference.num_features())
      return bad("the feature pipeline has " + std::to_string(m.pipeline_.num_inputs()) + " inputs, the model " +
                 std::to_string(reference.num_features()) + " features");
    const int expected_outputs = m.params_.objective == "multiclass" ? m.params_.num_class : 1;
    m.num_outputs_ = j.at("num_outputs").get<int>();
    if (m.num_outputs_ != expected_outputs) return bad("num_outputs does not match the objective");
    m.intercept_ = j.at("intercepts").get<std::vector<double>>();
    if (m.intercept_.size() != static_cast<size_t>(m.num_outputs_)) return bad("intercepts: one per output expected");
    const auto coef = j.at("coefficients").get<std::vector<std::vector<double>>>();
    if (coef.size() != static_cast<size_t>(m.num_outputs_)) return bad("coefficients: one list per output expected");
    for (const auto& row : coef) {
      if (row.size() != m.pipeline_.num_outputs())
        return bad("coefficients: one per encoded column (" + std::to_string(m.pipeline_.num_outputs()) + ") expected");
      m.coef_.insert(m.coef_.end(), row.begin(), row.end());
    }
    m.training_info_ = j.value("training", nlohmann::json::object());
    m.reference_ = std::move(reference);
    return m;
  } catch (const nlohmann::json::exception& e) {
    return bad(std::string("malformed linear model: ") + e.what());
  }
}

}  // namespace tessera::models::linear
