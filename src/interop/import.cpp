#include "tessera/interop/import.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>

#include "tessera/models/model_file.h"

namespace tessera::interop {

std::optional<ForeignFormat> ParseForeignFormat(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (lower == "xgboost") return ForeignFormat::kXgboostJson;
  if (lower == "lightgbm") return ForeignFormat::kLightgbmText;
  return std::nullopt;
}

std::string_view ToString(ForeignFormat format) {
  return format == ForeignFormat::kXgboostJson ? "xgboost" : "lightgbm";
}

Result<models::gbdt::GbdtModel> ImportModel(std::string_view text, ForeignFormat format,
                                            const std::string& source_name) {
  Result<nlohmann::json> doc = format == ForeignFormat::kXgboostJson
                                   ? XgboostJsonToDocument(text, source_name)
                                   : LightgbmTextToDocument(text, source_name);
  if (!doc.ok()) return doc.status();
  // The loader checks the document as it checks any model file; a failure here means the
  // translation produced something the format does not allow, which is our bug.
  auto model = models::ModelFromJson(doc.value(), source_name + " (imported)");
  if (!model.ok())
    return Status::Internal("interop: the translated model does not load: " +
                            model.status().message());
  return model;
}

Result<models::gbdt::GbdtModel> ImportModelFile(const std::string& path, ForeignFormat format) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::UserError(path + ": cannot open model file");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::UserError(path + ": cannot read model file");
  return ImportModel(text, format, path);
}

}  // namespace tessera::interop
