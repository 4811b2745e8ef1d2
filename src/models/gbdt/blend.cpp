#include "tessera/models/gbdt/blend.h"

#include <string>

namespace tessera::models::gbdt {

Result<GbdtModel> BlendModels(const std::vector<BlendMember>& members) {
  if (members.empty()) return Status::UserError("blend: no members");
  const GbdtModel& first = *members[0].model;
  GbdtModel blend = first;
  // The blend is a plain sum of trees, not a forest to grow (even if its first member is one).
  blend.params_.boosting = "gbdt";
  blend.params_.extra_trees = false;
  blend.trees_.clear();
  blend.init_score_.assign(first.init_score_.size(), 0.0);
  nlohmann::json described = nlohmann::json::array();
  for (size_t m = 0; m < members.size(); ++m) {
    const GbdtModel& model = *members[m].model;
    const double w = members[m].weight;
    const std::string which = "blend: member " + std::to_string(m);
    if (model.params_.objective != first.params_.objective || model.num_outputs_ != first.num_outputs_)
      return Status::UserError(which + " has another objective than member 0");
    if (model.reference_.num_features() != first.reference_.num_features())
      return Status::UserError(which + " has other features than member 0");
    for (size_t k = 0; k < blend.init_score_.size(); ++k) blend.init_score_[k] += w * model.init_score_[k];
    // Trees stay iteration-major (tree i belongs to output i % num_outputs) since every member's
    // tree count is a multiple of num_outputs.
    for (const Tree& tree : model.trees_) {
      Tree scaled = tree;
      for (size_t leaf = 0; leaf < scaled.num_leaves(); ++leaf)
        scaled.set_leaf_value(static_cast<int>(leaf), w * scaled.leaf_value(static_cast<int>(leaf)));
      blend.trees_.push_back(std::move(scaled));
    }
    described.push_back({{"weight", w}, {"trees", model.trees_.size()}, {"params", model.params_.ToJson()}});
  }
  blend.training_info_["ensemble"] = described;
  return blend;
}

}  // namespace tessera::models::gbdt
