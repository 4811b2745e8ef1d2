#include "tessera/models/model.h"

#include "tessera/data/coded_rows.h"

namespace tessera::models {

Model::Model(gbdt::GbdtModel model) : family_("gbdt"), gbdt_(std::make_shared<const gbdt::GbdtModel>(std::move(model))) {}
Model::Model(linear::LinearModel model)
    : family_("linear"), linear_(std::make_shared<const linear::LinearModel>(std::move(model))) {}

const data::BinnedDataset& Model::reference() const { return gbdt_ ? gbdt_->reference() : linear_->reference(); }
int Model::num_outputs() const { return gbdt_ ? gbdt_->num_outputs() : linear_->num_outputs(); }
const std::string& Model::objective() const { return gbdt_ ? gbdt_->params().objective : linear_->params().objective; }
nlohmann::json Model::training_info() const { return gbdt_ ? gbdt_->training_info() : linear_->training_info(); }
Model Model::WithTrainingInfo(const std::string& key, nlohmann::json value) const {
  if (gbdt_) {
    gbdt::GbdtModel copy = *gbdt_;
    copy.SetTrainingInfo(key, std::move(value));
    return Model(std::move(copy));
  }
  linear::LinearModel copy = *linear_;
  copy.SetTrainingInfo(key, std::move(value));
  return Model(std::move(copy));
}
const std::vector<std::vector<uint64_t>>& Model::reference_counts() const {
  return gbdt_ ? gbdt_->reference_counts() : linear_->reference_counts();
}

std::vector<double> Model::PredictValues(const float* values, size_t rows, bool raw_score, int threads) const {
  return gbdt_ ? gbdt_->PredictValues(values, rows, raw_score, threads) : linear_->PredictValues(values, rows, raw_score, threads);
}

Result<Model::TablePredictions> Model::PredictTable(const std::vector<std::string>& inputs, const data::IngestOptions& options,
                                                    bool need_labels, bool raw_score) const {
  TablePredictions out;
  TESSERA_ASSIGN_OR_RETURN(out.data, data::IngestWithReference(inputs, options, reference(), need_labels));
  if (gbdt_) {
    out.scores = gbdt_->PredictRaw(out.data, options.read.threads);
    if (!raw_score) gbdt_->Transform(&out.scores);
    return out;
  }
  TESSERA_ASSIGN_OR_RETURN(data::CodedRows coded, data::ReadCodedRows(inputs, options, reference()));
  if (coded.rows != out.data.num_rows()) return Status::UserError("the input changed while it was read");
  out.scores = raw_score ? linear_->PredictRaw(coded, options.read.threads) : linear_->Predict(coded, options.read.threads);
  return out;
}

Status RequireGbdt(const Model& model, const std::string& source, const std::string& what) {
  if (model.gbdt()) return Status::Ok();
  return Status::UserError(source + ": a '" + model.family() + "' model; " + what +
                           " needs a tree model (family 'gbdt')");
}

}  // namespace tessera::models
