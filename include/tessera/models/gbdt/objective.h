// Objective: the loss a boosted model minimises. It gives the starting score, the first and
// second derivatives of the loss per row (what trees are fitted to), and the map from raw score
// to prediction (sigmoid, softmax, exp). Stateless after construction; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/models/gbdt/params.h"

namespace tessera::models::gbdt {

class Objective {
 public:
  virtual ~Objective() = default;
  // Creates the objective named in params (params.objective).
  static Result<std::unique_ptr<Objective>> Create(const GbdtParams& params);

  virtual std::string name() const = 0;
  // Scores per row: 1, or the number of classes.
  virtual int num_outputs() const { return 1; }
  // Checks the labels suit the objective (0/1 for binary, class ids, counts >= 0, ...).
  virtual Status CheckLabels(std::span<const float> labels) const = 0;
  // The constant score that minimises the loss over the labels (per output).
  virtual std::vector<double> InitScore(std::span<const float> labels, std::span<const float> weights) const = 0;
  // The same as a function of sums over rows, so that shards can add theirs up exactly (in fixed
  // point): each row gives num_label_sums() terms (LabelSumTerms, weight 1 when unweighted) and
  // InitScoreFromSums maps their totals to the score. 0 sums when the score is not such a
  // function (a median); such objectives train in one process only.
  virtual size_t num_label_sums() const { return 0; }
  virtual void LabelSumTerms(float label, float weight, double* terms) const { (void)label, (void)weight, (void)terms; }
  virtual std::vector<double> InitScoreFromSums(std::span<const double> sums) const {
    (void)sums;
    return {};
  }
  // Fills grad/hess for rows [begin, end). Scores and gradients are row-major rows x outputs.
  virtual void Gradients(std::span<const float> labels, std::span<const float> weights, std::span<const double> scores,
                         size_t begin, size_t end, double* grad, double* hess) const = 0;
  // Raw scores -> predictions, in place (row-major rows x outputs).
  virtual void Transform(std::span<double> scores) const = 0;
  // Metric printed when the user names none.
  virtual std::string default_metric() const = 0;
  // Objectives whose Newton step is a poor leaf value (L1: the gradient is only a sign) re-fit
  // each leaf after the tree is grown, as LightGBM does. Returns the new raw leaf value for the
  // given rows (output 0), or nothing to keep the Newton value.
  virtual std::optional<double> RenewLeaf(std::span<const uint32_t> rows, std::span<const float> labels,
                                          std::span<const float> weights, std::span<const double> scores) const {
    (void)rows, (void)labels, (void)weights, (void)scores;
    return std::nullopt;
  }
};

}  // namespace tessera::models::gbdt
