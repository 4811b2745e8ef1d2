#include "tessera/models/model_file.h"

#include <fstream>
#include <iterator>
#include <sstream>

#include "tessera/core/atomic_file.h"

namespace tessera::models {

namespace {

// The parts every family shares: schema, features (columns, names, bin mappers), label classes,
// and the reference distribution.
nlohmann::json CommonToJson(const data::BinnedDataset& ref, const std::vector<std::vector<uint64_t>>& counts) {
  nlohmann::json mappers = nlohmann::json::array();
  nlohmann::json names = nlohmann::json::array();
  for (size_t f = 0; f < ref.num_features(); ++f) {
    mappers.push_back(ref.mappers()[f].ToJson());
    names.push_back(ref.feature_name(f));
  }
  nlohmann::json doc;
  doc["format_version"] = ref.schema().has_derived_columns() ? kModelFormatVersion : 1;
  doc["tessera_version"] = TESSERA_VERSION;
  doc["schema"] = ref.schema().ToJson();
  doc["features"] = {{"columns", ref.feature_columns()}, {"names", names}, {"bin_mappers", mappers}};
  doc["label_classes"] = ref.label_classes();
  if (!counts.empty()) doc["reference"] = {{"bin_counts", counts}};
  return doc;
}

Result<data::BinnedDataset> ReferenceFromJson(const nlohmann::json& doc, const std::string& source) {
  auto bad = [&](const std::string& what) { return Status::UserError(source + ": " + what); };
  auto schema = data::Schema::FromJson(doc.at("schema"));
  if (!schema.ok()) return schema.status().WithContext(source);
  const auto& features = doc.at("features");
  std::vector<size_t> columns = features.at("columns").get<std::vector<size_t>>();
  std::vector<data::BinMapper> mappers;
  for (const auto& m : features.at("bin_mappers")) {
    auto mapper = data::BinMapper::FromJson(m);
    if (!mapper.ok()) return mapper.status().WithContext(source);
    mappers.push_back(std::move(mapper).value());
  }
  if (columns.size() != mappers.size()) return bad("features: one bin mapper per feature column expected");
  for (size_t c : columns)
    if (c >= schema->size() || schema->column(c).role != data::ColumnRole::kFeature)
      return bad("features: column index does not name a feature of the schema");
  data::BinnedDataset reference(std::move(schema).value(), std::move(columns), std::move(mappers), 0);
  reference.set_label_classes(doc.value("label_classes", std::vector<std::string>{}));
  return reference;
}

Result<std::vector<std::vector<uint64_t>>> CountsFromJson(const nlohmann::json& doc, const data::BinnedDataset& ref,
                                                          const std::string& source) {
  auto bad = [&](const std::string& what) { return Status::UserError(source + ": " + what); };
  if (!doc.contains("reference")) return std::vector<std::vector<uint64_t>>{};
  auto counts = doc["reference"].at("bin_counts").get<std::vector<std::vector<uint64_t>>>();
  if (counts.size() != ref.num_features()) return bad("reference: one list of bin counts per feature expected");
  for (size_t f = 0; f < counts.size(); ++f)
    if (counts[f].size() != ref.mappers()[f].num_bins())
      return bad("reference: feature " + std::to_string(f) + " needs " + std::to_string(ref.mappers()[f].num_bins()) + " bin counts");
  return counts;
}

Result<nlohmann::json> ReadDocument(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::UserError(path + ": cannot open model file");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return Status::AtOffset(path, e.byte, "not a Tessera model: not valid JSON (" + std::string(e.what()) + ")");
  }
}

}  // namespace

nlohmann::json ModelToJson(const gbdt::GbdtModel& model) {
  nlohmann::json doc = CommonToJson(model.reference(), model.reference_counts());
  doc["model"] = gbdt::GbdtModelToJson(model);
  return doc;
}

nlohmann::json ModelToJson(const linear::LinearModel& model) {
  nlohmann::json doc = CommonToJson(model.reference(), model.reference_counts());
  doc["model"] = linear::LinearModelToJson(model);
  return doc;
}

namespace {

// A family's part of the document ("model").
nlohmann::json FamilyToJson(const Model& model) {
  if (model.gbdt()) return gbdt::GbdtModelToJson(*model.gbdt());
  if (model.linear()) return linear::LinearModelToJson(*model.linear());
  nlohmann::json members = nlohmann::json::array();
  for (const BlendMember& m : *model.blend()) members.push_back({{"weight", m.weight}, {"model", FamilyToJson(m.model)}});
  return {{"family", "blend"}, {"members", std::move(members)}, {"training", model.training_info()}};
}

// A family's part read against the document's reference; `counts` go to the model (a blend's
// first member).
Result<Model> FamilyFromJson(const nlohmann::json& part, data::BinnedDataset reference,
                             std::vector<std::vector<uint64_t>> counts, bool in_blend) {
  const std::string family = part.is_object() ? part.value("family", "gbdt") : "gbdt";
  if (family == "gbdt") {
    nlohmann::json with_family = part;
    if (with_family.is_object() && !with_family.contains("family")) with_family["family"] = "gbdt";
    TESSERA_ASSIGN_OR_RETURN(gbdt::GbdtModel model, gbdt::GbdtModelFromJson(with_family, std::move(reference)));
    if (!counts.empty()) model.SetReferenceCounts(std::move(counts));
    return Model(std::move(model));
  }
  if (family == "linear") {
    TESSERA_ASSIGN_OR_RETURN(linear::LinearModel model, linear::LinearModelFromJson(part, std::move(reference)));
    if (!counts.empty()) model.SetReferenceCounts(std::move(counts));
    return Model(std::move(model));
  }
  if (family == "blend" && !in_blend) {
    const nlohmann::json& parts = part.at("members");
    if (!parts.is_array() || parts.empty()) return Status::UserError("model.members: a non-empty array expected");
    std::vector<BlendMember> members;
    for (size_t m = 0; m < parts.size(); ++m) {
      const double weight = parts[m].at("weight").get<double>();
      auto model = FamilyFromJson(parts[m].at("model"), reference, m == 0 ? std::move(counts) : decltype(counts){}, true);
      if (!model.ok()) return model.status().WithContext("model.members[" + std::to_string(m) + "]");
      members.push_back({weight, std::move(model).value()});
    }
    return Model::Blend(std::move(members), part.value("training", nlohmann::json::object()));
  }
  return Status::UserError("model family '" + family + "' is not known to this build (" +
                           (in_blend ? "a blend's members: gbdt, linear)" : "known: gbdt, linear, blend)"));
}

}  // namespace

nlohmann::json ModelToJson(const Model& model) {
  nlohmann::json doc = CommonToJson(model.reference(), model.reference_counts());
  doc["model"] = FamilyToJson(model);
  return doc;
}

Result<Model> AnyModelFromJson(const nlohmann::json& doc, const std::string& source) {
  auto bad = [&](const std::string& what) { return Status::UserError(source + ": " + what); };
  if (!doc.is_object()) return bad("not a Tessera model (expected a JSON object)");
  if (!doc.contains("format_version") || !doc["format_version"].is_number_integer())
    return bad("not a Tessera model (no format_version)");
  int version = doc["format_version"].get<int>();
  if (version > kModelFormatVersion)
    return bad("written by a newer Tessera (model format " + std::to_string(version) + "; this build reads up to " +
               std::to_string(kModelFormatVersion) + ")");
  if (version < 1) return bad("invalid model format version " + std::to_string(version));
  try {
    TESSERA_ASSIGN_OR_RETURN(data::BinnedDataset reference, ReferenceFromJson(doc, source));
    TESSERA_ASSIGN_OR_RETURN(auto counts, CountsFromJson(doc, reference, source));
    auto model = FamilyFromJson(doc.at("model"), std::move(reference), std::move(counts), false);
    if (!model.ok()) return model.status().WithContext(source);
    return model;
  } catch (const nlohmann::json::exception& e) {
    return bad(std::string("malformed model document: ") + e.what());
  }
}

Result<gbdt::GbdtModel> ModelFromJson(const nlohmann::json& doc, const std::string& source) {
  TESSERA_ASSIGN_OR_RETURN(Model model, AnyModelFromJson(doc, source));
  TESSERA_RETURN_IF_ERROR(RequireGbdt(model, source, "this command"));
  return *model.gbdt();
}

Status SaveModel(const gbdt::GbdtModel& model, const std::string& path) {
  return WriteFileAtomically(path, ModelToJson(model).dump(1) + "\n");
}

Status SaveModel(const linear::LinearModel& model, const std::string& path) {
  return WriteFileAtomically(path, ModelToJson(model).dump(1) + "\n");
}

Status SaveModel(const Model& model, const std::string& path) {
  return WriteFileAtomically(path, ModelToJson(model).dump(1) + "\n");
}

Result<Model> LoadAnyModel(const std::string& path) {
  TESSERA_ASSIGN_OR_RETURN(nlohmann::json doc, ReadDocument(path));
  return AnyModelFromJson(doc, path);
}

Result<gbdt::GbdtModel> LoadModel(const std::string& path) {
  TESSERA_ASSIGN_OR_RETURN(nlohmann::json doc, ReadDocument(path));
  return ModelFromJson(doc, path);
}

}  // namespace tessera::models
