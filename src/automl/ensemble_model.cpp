#include "tessera/automl/ensemble_model.h"

#include "tessera/models/gbdt/blend.h"

namespace tessera::automl {

Result<models::Model> EnsembleModel(const std::vector<models::Model>& members, const std::vector<double>& weights) {
  if (members.empty() || members.size() != weights.size()) return Status::Internal("ensemble: one weight per member expected");
  std::vector<models::gbdt::BlendMember> trees;
  std::vector<models::BlendMember> others;
  nlohmann::json linear_described = nlohmann::json::array();
  for (size_t m = 0; m < members.size(); ++m) {
    if (members[m].gbdt()) {
      trees.push_back({members[m].gbdt(), weights[m]});
    } else if (members[m].linear()) {
      others.push_back({weights[m], members[m]});
      linear_described.push_back(
          {{"weight", weights[m]}, {"family", "linear"}, {"params", members[m].linear()->params().ToJson()}});
    } else {
      return Status::Internal("ensemble: member " + std::to_string(m) + " is a '" + members[m].family() + "' model");
    }
  }
  nlohmann::json info = nlohmann::json::object();
  nlohmann::json described = nlohmann::json::array();
  if (!trees.empty()) {
    TESSERA_ASSIGN_OR_RETURN(models::gbdt::GbdtModel blended, models::gbdt::BlendModels(trees));
    if (others.empty()) return models::Model(std::move(blended));
    info = blended.training_info();
    described = info.value("ensemble", nlohmann::json::array());
    others.insert(others.begin(), models::BlendMember{1.0, models::Model(std::move(blended))});
  } else {
    info = members[0].training_info();
  }
  for (auto& d : linear_described) described.push_back(std::move(d));
  info["ensemble"] = std::move(described);
  return models::Model::Blend(std::move(others), std::move(info));
}

}  // namespace tessera::automl
