#include "tessera/models/model.h"

#include <algorithm>
#include <cmath>

#include "tessera/data/coded_rows.h"

namespace tessera::models {

Model::Model(gbdt::GbdtModel model) : family_("gbdt"), gbdt_(std::make_shared<const gbdt::GbdtModel>(std::move(model))) {}
Model::Model(linear::LinearModel model)
    : family_("linear"), linear_(std::make_shared<const linear::LinearModel>(std::move(model))) {}

Result<Model> Model::Blend(std::vector<BlendMember> members, nlohmann::json training_info) {
  if (members.empty()) return Status::UserError("blend: no members");
  const Model& first = members[0].model;
  for (size_t m = 0; m < members.size(); ++m) {
    const Model& model = members[m].model;
    const std::string which = "blend: member " + std::to_string(m);
    if (model.blend()) return Status::UserError(which + " is a blend itself");
    if (!std::isfinite(members[m].weight)) return Status::UserError(which + " has a weight that is not a number");
    if (model.objective() != first.objective() || model.num_outputs() != first.num_outputs())
      return Status::UserError(which + " has another objective than member 0");
    const data::BinnedDataset& a = model.reference();
    const data::BinnedDataset& b = first.reference();
    bool same_features = a.num_features() == b.num_features() && a.feature_columns() == b.feature_columns() &&
                         a.label_classes() == b.label_classes();
    for (size_t f = 0; same_features && f < a.num_features(); ++f)
      same_features = a.feature_name(f) == b.feature_name(f) && a.mappers()[f].ToJson() == b.mappers()[f].ToJson();
    if (!same_features) return Status::UserError(which + " reads other features than member 0");
  }
  Model blend;
  blend.family_ = "blend";
  blend.blend_ = std::make_shared<const std::vector<BlendMember>>(std::move(members));
  blend.blend_info_ = training_info.is_object() ? std::move(training_info) : nlohmann::json::object();
  return blend;
}

bool Model::ReadsBins() const {
  if (blend_) return std::any_of(blend_->begin(), blend_->end(), [](const BlendMember& m) { return m.model.ReadsBins(); });
  return gbdt_ != nullptr;
}

bool Model::ReadsValues() const {
  if (blend_) return std::any_of(blend_->begin(), blend_->end(), [](const BlendMember& m) { return m.model.ReadsValues(); });
  return linear_ != nullptr;
}

const data::BinnedDataset& Model::reference() const {
  if (blend_) return blend_->front().model.reference();
  return gbdt_ ? gbdt_->reference() : linear_->reference();
}

int Model::num_outputs() const {
  if (blend_) return blend_->front().model.num_outputs();
  return gbdt_ ? gbdt_->num_outputs() : linear_->num_outputs();
}

const std::string& Model::objective() const {
  if (blend_) return blend_->front().model.objective();
  return gbdt_ ? gbdt_->params().objective : linear_->params().objective;
}

nlohmann::json Model::training_info() const {
  if (blend_) return blend_info_;
  return gbdt_ ? gbdt_->training_info() : linear_->training_info();
}

Model Model::WithTrainingInfo(const std::string& key, nlohmann::json value) const {
  if (blend_) {
    Model copy = *this;
    copy.blend_info_[key] = std::move(value);
    return copy;
  }
  if (gbdt_) {
    gbdt::GbdtModel copy = *gbdt_;
    copy.SetTrainingInfo(key, std::move(value));
    return Model(std::move(copy));
  }
  linear::LinearModel copy = *linear_;
  copy.SetTrainingInfo(key, std::move(value));
  return Model(std::move(copy));
}

// A blend's members read the same features; the first holds the reference distribution.
const std::vector<std::vector<uint64_t>>& Model::reference_counts() const {
  if (blend_) return blend_->front().model.reference_counts();
  return gbdt_ ? gbdt_->reference_counts() : linear_->reference_counts();
}

std::vector<double> Model::PredictValues(const float* values, size_t rows, bool raw_score, int threads) const {
  if (gbdt_) return gbdt_->PredictValues(values, rows, raw_score, threads);
  if (linear_) return linear_->PredictValues(values, rows, raw_score, threads);
  std::vector<double> sum(rows * static_cast<size_t>(num_outputs()), 0.0);
  for (const BlendMember& m : *blend_) {
    const std::vector<double> raw = m.model.PredictValues(values, rows, true, threads);
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += m.weight * raw[i];
  }
  if (!raw_score) Transform(&sum);
  return sum;
}

std::vector<double> Model::PredictRaw(const data::BinnedDataset& bins, const data::CodedRows& values, int threads) const {
  if (gbdt_) return gbdt_->PredictRaw(bins, threads);
  if (linear_) return linear_->PredictRaw(values, threads);
  std::vector<double> sum;
  for (const BlendMember& m : *blend_) {
    const std::vector<double> raw = m.model.PredictRaw(bins, values, threads);
    if (sum.empty()) sum.assign(raw.size(), 0.0);
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += m.weight * raw[i];
  }
  return sum;
}

void Model::Transform(std::vector<double>* scores) const {
  if (gbdt_) gbdt_->Transform(scores);
  else if (linear_) linear_->Transform(scores);
  else blend_->front().model.Transform(scores);
}

Result<Model::TablePredictions> Model::PredictTable(const std::vector<std::string>& inputs, const data::IngestOptions& options,
                                                    bool need_labels, bool raw_score) const {
  TablePredictions out;
  TESSERA_ASSIGN_OR_RETURN(out.data, data::IngestWithReference(inputs, options, reference(), need_labels));
  data::CodedRows coded;
  if (ReadsValues()) {
    TESSERA_ASSIGN_OR_RETURN(coded, data::ReadCodedRows(inputs, options, reference()));
    if (coded.rows != out.data.num_rows()) return Status::UserError("the input changed while it was read");
  }
  out.scores = PredictRaw(out.data, coded, options.read.threads);
  if (!raw_score) Transform(&out.scores);
  return out;
}

Status RequireGbdt(const Model& model, const std::string& source, const std::string& what) {
  if (model.gbdt()) return Status::Ok();
  return Status::UserError(source + ": a '" + model.family() + "' model; " + what +
                           " needs a tree model (family 'gbdt')");
}

}  // namespace tessera::models
