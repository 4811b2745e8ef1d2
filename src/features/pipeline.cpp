#include "tessera/features/pipeline.h"

namespace tessera::features {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// Names of a one-hot encoder's levels: "<missing>", the category, or "<rare>".
std::vector<std::string> LevelNames(const InputColumn& in, const OneHotEncoder& e) {
  std::vector<std::string> names;
  for (uint32_t code : e.levels()) {
    if (code == 0) names.push_back("<missing>");
    else if (code <= in.categories.size()) names.push_back(in.categories[code - 1]);
    else names.push_back("<rare>");
  }
  return names;
}

}  // namespace

size_t FeaturePipeline::StepOutputs(const Step& step) {
  return std::visit(Overloaded{[](const Imputer& s) { return s.num_outputs(); },
                               [](const OneHotEncoder& s) { return s.num_outputs(); },
                               [](const TargetAndFrequency& s) { return s.target.num_outputs() + 1; }},
                    step);
}

Result<FeaturePipeline> FeaturePipeline::Fit(const std::vector<InputColumn>& inputs, std::span<const float> coded, size_t rows,
                                             std::span<const double> targets, const std::vector<std::string>& target_names,
                                             const PipelineOptions& options, std::vector<double>* train_out) {
  const size_t ni = inputs.size(), width = target_names.size();
  if (coded.size() != rows * ni) return Status::Internal("feature pipeline: coded rows do not match the inputs");
  if (width == 0 || targets.size() != rows * width) return Status::Internal("feature pipeline: targets do not match the rows");
  if (options.target.folds < 2) return Status::UserError("target_encoding_folds must be at least 2, got " + std::to_string(options.target.folds));
  FeaturePipeline p;
  p.inputs_ = inputs;
  // Fit each step; target encoders write their out-of-fold training encodings on the way.
  std::vector<std::vector<double>> oof(ni);
  for (size_t c = 0; c < ni; ++c) {
    const ColumnView col{coded.data() + c, rows, ni};
    if (!inputs[c].categorical) {
      p.steps_.emplace_back(Imputer::Fit(col, options.impute));
      continue;
    }
    OneHotEncoder one_hot = OneHotEncoder::Fit(col);
    if (one_hot.levels().size() <= options.one_hot_max_levels) {
      p.steps_.emplace_back(std::move(one_hot));
      continue;
    }
    oof[c].resize(rows * width);
    TargetAndFrequency tf{TargetEncoder::FitOutOfFold(col, targets, width, options.target, OutputBlock{oof[c].data(), rows, width, 0}),
                          FrequencyEncoder::Fit(col)};
    p.steps_.emplace_back(std::move(tf));
  }
  for (size_t c = 0; c < ni; ++c) {
    const std::string& name = inputs[c].name;
    std::vector<std::string> names =
        std::visit(Overloaded{[&](const Imputer& s) { return s.OutputNames(name); },
                              [&](const OneHotEncoder& s) { return s.OutputNames(name, LevelNames(inputs[c], s)); },
                              [&](const TargetAndFrequency& s) {
                                auto n = s.target.OutputNames(name, target_names);
                                n.push_back(s.frequency.OutputNames(name)[0]);
                                return n;
                              }},
                   p.steps_[c]);
    p.output_names_.insert(p.output_names_.end(), names.begin(), names.end());
  }
  // The training matrix: the full-data encodings, with the target columns replaced by their
  // out-of-fold values, then standardized on itself.
  p.Encode(coded, rows, train_out);
  const size_t no = p.num_outputs();
  size_t first = 0;
  for (size_t c = 0; c < ni; ++c) {
    if (!oof[c].empty())
      for (size_t i = 0; i < rows; ++i)
        for (size_t t = 0; t < width; ++t) (*train_out)[i * no + first + t] = oof[c][i * width + t];
    first += StepOutputs(p.steps_[c]);
  }
  p.standardizer_ = Standardizer::Fit(*train_out, rows, no);
  p.standardizer_.Transform(train_out->data(), rows);
  return p;
}

void FeaturePipeline::Encode(std::span<const float> coded, size_t rows, std::vector<double>* out) const {
  const size_t ni = inputs_.size(), no = num_outputs();
  out->assign(rows * no, 0.0);
  size_t first = 0;
  for (size_t c = 0; c < ni; ++c) {
    const ColumnView col{coded.data() + c, rows, ni};
    const OutputBlock block{out->data(), rows, no, first};
    std::visit(Overloaded{[&](const Imputer& s) { s.Transform(col, block); },
                          [&](const OneHotEncoder& s) { s.Transform(col, block); },
                          [&](const TargetAndFrequency& s) {
                            s.target.Transform(col, block);
                            s.frequency.Transform(col, OutputBlock{out->data(), rows, no, first + s.target.num_outputs()});
                          }},
               steps_[c]);
    first += StepOutputs(steps_[c]);
  }
}

std::vector<size_t> FeaturePipeline::OutputInputs() const {
  std::vector<size_t> out;
  for (size_t c = 0; c < steps_.size(); ++c) out.insert(out.end(), StepOutputs(steps_[c]), c);
  return out;
}

std::vector<double> FeaturePipeline::Transform(std::span<const float> coded, size_t rows) const {
  std::vector<double> out;
  Encode(coded, rows, &out);
  standardizer_.Transform(out.data(), rows);
  return out;
}

nlohmann::json FeaturePipeline::ToJson() const {
  nlohmann::json steps = nlohmann::json::array();
  for (size_t c = 0; c < inputs_.size(); ++c) {
    nlohmann::json s = std::visit(Overloaded{[](const Imputer& t) { return t.ToJson(); },
                                             [](const OneHotEncoder& t) { return t.ToJson(); },
                                             [](const TargetAndFrequency& t) {
                                               return nlohmann::json{{"transform", "target+frequency"},
                                                                     {"target", t.target.ToJson()},
                                                                     {"frequency", t.frequency.ToJson()}};
                                             }},
                                  steps_[c]);
    s["input"] = inputs_[c].name;
    s["kind"] = inputs_[c].categorical ? "categorical" : "numeric";
    steps.push_back(std::move(s));
  }
  return {{"steps", steps}, {"standardize", standardizer_.ToJson()}, {"outputs", output_names_}};
}

Result<FeaturePipeline> FeaturePipeline::FromJson(const nlohmann::json& j) {
  auto bad = [](const std::string& what) { return Status::UserError("feature pipeline: " + what); };
  try {
    FeaturePipeline p;
    for (const auto& s : j.at("steps")) {
      InputColumn in;
      in.name = s.at("input").get<std::string>();
      in.categorical = s.at("kind").get<std::string>() == "categorical";
      const std::string kind = s.at("transform").get<std::string>();
      if (kind == "impute" && !in.categorical) {
        TESSERA_ASSIGN_OR_RETURN(Imputer t, Imputer::FromJson(s));
        p.steps_.emplace_back(std::move(t));
      } else if (kind == "one_hot" && in.categorical) {
        TESSERA_ASSIGN_OR_RETURN(OneHotEncoder t, OneHotEncoder::FromJson(s));
        p.steps_.emplace_back(std::move(t));
      } else if (kind == "target+frequency" && in.categorical) {
        TESSERA_ASSIGN_OR_RETURN(TargetEncoder t, TargetEncoder::FromJson(s.at("target")));
        TESSERA_ASSIGN_OR_RETURN(FrequencyEncoder f, FrequencyEncoder::FromJson(s.at("frequency")));
        p.steps_.emplace_back(TargetAndFrequency{std::move(t), std::move(f)});
      } else {
        return bad("transform \"" + kind + "\" does not apply to " + (in.categorical ? "categorical" : "numeric") + " input '" +
                   in.name + "'");
      }
      p.inputs_.push_back(std::move(in));
    }
    TESSERA_ASSIGN_OR_RETURN(p.standardizer_, Standardizer::FromJson(j.at("standardize")));
    p.output_names_ = j.at("outputs").get<std::vector<std::string>>();
    size_t outputs = 0;
    for (const auto& s : p.steps_) outputs += StepOutputs(s);
    if (outputs != p.output_names_.size() || outputs != p.standardizer_.mean().size())
      return bad("the steps make " + std::to_string(outputs) + " columns, but " + std::to_string(p.output_names_.size()) +
                 " output names and " + std::to_string(p.standardizer_.mean().size()) + " scales are given");
    return p;
  } catch (const nlohmann::json::exception& e) {
    return bad(std::string("malformed: ") + e.what());
  }
}

}  // namespace tessera::features
