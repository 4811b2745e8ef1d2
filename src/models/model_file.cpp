#include "tessera/models/model_file.h"

#include <fstream>
#include <iterator>
#include <sstream>

#include "tessera/core/atomic_file.h"

namespace tessera::models {

nlohmann::json ModelToJson(const gbdt::GbdtModel& model) {
  const data::BinnedDataset& ref = model.reference();
  nlohmann::json mappers = nlohmann::json::array();
  nlohmann::json names = nlohmann::json::array();
  for (size_t f = 0; f < ref.num_features(); ++f) {
    mappers.push_back(ref.mappers()[f].ToJson());
    names.push_back(ref.feature_name(f));
  }
  nlohmann::json doc;
  doc["format_version"] = kModelFormatVersion;
  doc["tessera_version"] = TESSERA_VERSION;
  doc["schema"] = ref.schema().ToJson();
  doc["features"] = {{"columns", ref.feature_columns()}, {"names", names}, {"bin_mappers", mappers}};
  doc["label_classes"] = ref.label_classes();
  doc["model"] = gbdt::GbdtModelToJson(model);
  if (!model.reference_counts().empty()) doc["reference"] = {{"bin_counts", model.reference_counts()}};
  return doc;
}

Result<gbdt::GbdtModel> ModelFromJson(const nlohmann::json& doc, const std::string& source) {
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
    auto model = gbdt::GbdtModelFromJson(doc.at("model"), std::move(reference));
    if (!model.ok()) return model.status().WithContext(source);
    if (doc.contains("reference")) {
      auto counts = doc["reference"].at("bin_counts").get<std::vector<std::vector<uint64_t>>>();
      const auto& ref = model->reference();
      if (counts.size() != ref.num_features()) return bad("reference: one list of bin counts per feature expected");
      for (size_t f = 0; f < counts.size(); ++f)
        if (counts[f].size() != ref.mappers()[f].num_bins())
          return bad("reference: feature " + std::to_string(f) + " needs " + std::to_string(ref.mappers()[f].num_bins()) + " bin counts");
      model->SetReferenceCounts(std::move(counts));
    }
    return model;
  } catch (const nlohmann::json::exception& e) {
    return bad(std::string("malformed model document: ") + e.what());
  }
}

Status SaveModel(const gbdt::GbdtModel& model, const std::string& path) {
  return WriteFileAtomically(path, ModelToJson(model).dump(1) + "\n");
}

Result<gbdt::GbdtModel> LoadModel(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::UserError(path + ": cannot open model file");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return Status::AtOffset(path, e.byte, "not a Tessera model: not valid JSON (" + std::string(e.what()) + ")");
  }
  return ModelFromJson(doc, path);
}

}  // namespace tessera::models
