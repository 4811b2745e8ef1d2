// KServe / Open Inference Protocol v2 infer requests: one named input tensor per feature column.
#include <array>
#include <optional>

#include "decoders.h"
#include "json_cell.h"

namespace tessera::serve {

namespace {

using nlohmann::json;

enum class Element { kBool, kSigned, kUnsigned, kFloat, kBytes };

std::optional<Element> ElementOf(const std::string& datatype) {
  static const std::array<std::pair<std::string_view, Element>, 13> kTypes = {{
      {"BOOL", Element::kBool},     {"INT8", Element::kSigned},    {"INT16", Element::kSigned},
      {"INT32", Element::kSigned},  {"INT64", Element::kSigned},   {"UINT8", Element::kUnsigned},
      {"UINT16", Element::kUnsigned}, {"UINT32", Element::kUnsigned}, {"UINT64", Element::kUnsigned},
      {"FP16", Element::kFloat},    {"FP32", Element::kFloat},     {"FP64", Element::kFloat},
      {"BYTES", Element::kBytes},
  }};
  for (const auto& [name, element] : kTypes)
    if (name == datatype) return element;
  return std::nullopt;
}

// Whether a JSON element fits the tensor's datatype (null stands for a missing value in any).
bool Fits(const json& v, Element element) {
  if (v.is_null()) return true;
  switch (element) {
    case Element::kBool:
      return v.is_boolean();
    case Element::kSigned:
      return v.is_number_integer();
    case Element::kUnsigned:
      return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
    case Element::kFloat:
      return v.is_number();
    case Element::kBytes:
      return v.is_string();
  }
  return false;
}

const char* ElementName(Element element) {
  switch (element) {
    case Element::kBool:
      return "true or false";
    case Element::kSigned:
      return "an integer";
    case Element::kUnsigned:
      return "an integer >= 0";
    case Element::kFloat:
      return "a number";
    case Element::kBytes:
      return "a string";
  }
  return "a value";
}

// One input tensor after its structure has been checked.
struct Input {
  const json* data = nullptr;
  int feature = InputSchema::kSkippedColumn;
  Element element = Element::kFloat;
  std::string datatype;
  size_t index = 0;
  const std::string* name = nullptr;
  // "inputs[2] ("f1")", made only for an error message.
  std::string Where() const { return "inputs[" + std::to_string(index) + "] (" + QuoteName(*name) + ")"; }
};

Result<size_t> RowsOfShape(const json& shape, const Input& input) {
  const bool ok = shape.is_array() && (shape.size() == 1 || shape.size() == 2) && shape[0].is_number_unsigned() &&
                  (shape.size() == 1 || (shape[1].is_number_integer() && shape[1].get<int64_t>() == 1));
  if (!ok)
    return Status::UserError(input.Where() + ": \"shape\" must be [N] or [N, 1] (one column of N rows), found " +
                             (shape.is_array() ? shape.size() <= 4 ? shape.dump() : "an array of " + std::to_string(shape.size())
                                               : DescribeJson(shape)));
  return static_cast<size_t>(shape[0].get<uint64_t>());
}

// Checks one input's fields; sets *rows from the first input and checks the others against it.
Result<Input> CheckInput(const json& tensor, size_t index, const InputSchema& schema, std::optional<size_t>* rows) {
  auto position = [index] { return "inputs[" + std::to_string(index) + "]"; };
  if (!tensor.is_object())
    return Status::UserError(position() + ": expected an object with \"name\", \"shape\", \"datatype\" and \"data\", found " +
                             DescribeJson(tensor));
  for (const auto& [key, value] : tensor.items())
    if (key != "name" && key != "shape" && key != "datatype" && key != "data" && key != "parameters")
      return Status::UserError(position() + ": unknown field " + QuoteName(key) +
                               "; an input has \"name\", \"shape\", \"datatype\", \"data\" and \"parameters\"");
  for (const char* key : {"name", "shape", "datatype", "data"})
    if (!tensor.contains(key)) return Status::UserError(position() + ": missing \"" + key + "\"");
  const json& name = tensor["name"];
  if (!name.is_string()) return Status::UserError(position() + ": \"name\" must be a string, found " + DescribeJson(name));
  Input input;
  input.index = index;
  input.name = &name.get_ref<const std::string&>();
  const std::optional<int> f = schema.Lookup(name.get_ref<const std::string&>());
  if (!f)
    return Status::UserError(input.Where() + ": unknown input; the model's inputs are its features " + schema.FeatureList());
  input.feature = *f;
  const json& datatype = tensor["datatype"];
  const std::optional<Element> element = datatype.is_string() ? ElementOf(datatype.get<std::string>()) : std::nullopt;
  if (!element)
    return Status::UserError(input.Where() + ": \"datatype\" must be one of BOOL, INT8..INT64, UINT8..UINT64, FP16, FP32, "
                             "FP64, BYTES, found " + DescribeJson(datatype));
  input.element = *element;
  input.datatype = datatype.get<std::string>();
  TESSERA_ASSIGN_OR_RETURN(const size_t n, RowsOfShape(tensor["shape"], input));
  if (n == 0) return Status::UserError(input.Where() + ": the shape holds no rows");
  if (!rows->has_value()) {
    *rows = n;
  } else if (**rows != n) {
    return Status::UserError(input.Where() + ": " + std::to_string(n) + " rows, but inputs[0] has " +
                             std::to_string(**rows) + "; every input needs the same number of rows");
  }
  input.data = &tensor["data"];
  if (!input.data->is_array() || input.data->size() != n)
    return Status::UserError(input.Where() + ": \"data\" must be an array of " + std::to_string(n) +
                             " values (the shape's rows), found " +
                             (input.data->is_array() ? "an array of " + std::to_string(input.data->size())
                                                     : DescribeJson(*input.data)));
  return input;
}

Result<std::vector<std::string>> CheckOutputs(const json& outputs) {
  if (!outputs.is_array()) return Status::UserError("\"outputs\" must be an array, found " + DescribeJson(outputs));
  std::vector<std::string> names;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const json& o = outputs[i];
    const std::string where = "outputs[" + std::to_string(i) + "]";
    if (!o.is_object() || !o.contains("name") || !o["name"].is_string())
      return Status::UserError(where + ": expected an object with a \"name\", found " + DescribeJson(o));
    for (const auto& [key, value] : o.items())
      if (key != "name" && key != "parameters")
        return Status::UserError(where + ": unknown field " + QuoteName(key) + "; an output has \"name\" and \"parameters\"");
    const std::string& name = o["name"].get_ref<const std::string&>();
    if (name != kOutputPrediction && name != kOutputRawScore)
      return Status::UserError(where + ": unknown output " + QuoteName(name) + "; the outputs are \"" +
                               std::string(kOutputPrediction) + "\" and \"" + std::string(kOutputRawScore) + "\"");
    names.push_back(name);
  }
  return names;
}

}  // namespace

Result<DecodedRequest> DecodeV2Request(const json& request, const InputSchema& schema) {
  if (!request.is_object())
    return Status::UserError("expected a v2 infer request {\"inputs\": [{\"name\", \"shape\", \"datatype\", \"data\"}, ...]}, "
                             "found " + DescribeJson(request));
  for (const auto& [key, value] : request.items())
    if (key != "id" && key != "parameters" && key != "inputs" && key != "outputs")
      return Status::UserError("unknown field " + QuoteName(key) +
                               "; a v2 infer request has \"id\", \"parameters\", \"inputs\" and \"outputs\"");
  if (request.contains("id") && !request["id"].is_string())
    return Status::UserError("\"id\" must be a string, found " + DescribeJson(request["id"]));
  if (request.contains("parameters") && !request["parameters"].is_object())
    return Status::UserError("\"parameters\" must be an object, found " + DescribeJson(request["parameters"]));
  if (!request.contains("inputs")) return Status::UserError("missing \"inputs\" (one input tensor per feature column)");
  const json& tensors = request["inputs"];
  if (!tensors.is_array() || tensors.empty())
    return Status::UserError("\"inputs\" must be a non-empty array of input tensors, found " + DescribeJson(tensors));

  const size_t nf = schema.num_features();
  std::optional<size_t> rows;
  std::vector<Input> inputs;
  std::vector<int> input_of_feature(nf, -1);
  for (size_t i = 0; i < tensors.size(); ++i) {
    TESSERA_ASSIGN_OR_RETURN(Input input, CheckInput(tensors[i], i, schema, &rows));
    if (input.feature != InputSchema::kSkippedColumn) {
      int& slot = input_of_feature[static_cast<size_t>(input.feature)];
      if (slot >= 0) return Status::UserError(input.Where() + ": this input is given twice (also inputs[" + std::to_string(slot) + "])");
      slot = static_cast<int>(i);
    }
    inputs.push_back(std::move(input));
  }
  for (size_t f = 0; f < nf; ++f)
    if (input_of_feature[f] < 0 && !schema.is_derived(f))
      return Status::UserError("missing input " + QuoteName(schema.feature_name(f)) +
                               "; the model needs one input per feature: " + schema.FeatureList());

  DecodedRequest out = NewRequest(schema, *rows);
  if (request.contains("id")) out.id = request["id"].get<std::string>();
  if (request.contains("outputs")) {
    TESSERA_ASSIGN_OR_RETURN(out.outputs, CheckOutputs(request["outputs"]));
  }
  for (const Input& input : inputs) {
    if (input.feature == InputSchema::kSkippedColumn) continue;
    const size_t feature = static_cast<size_t>(input.feature);
    for (size_t r = 0; r < *rows; ++r) {
      const json* v = &(*input.data)[r];
      if (v->is_array() && v->size() == 1) v = &(*v)[0];  // [[1.5], [2.0]] for shape [N, 1]
      if (!Fits(*v, input.element))
        return Status::UserError(input.Where() + ", data[" + std::to_string(r) + "]: expected " + ElementName(input.element) +
                                 " (datatype " + input.datatype + ")" +
                                 ", found " + DescribeJson(*v));
      Result<float> cell = CellOfJsonValue(*v, schema, feature);
      if (!cell.ok()) return Status::UserError(input.Where() + ", data[" + std::to_string(r) + "]: " + cell.status().message());
      SetCell(&out, r, feature, *cell, schema);
      SetDerivedCells(&out, r, feature, *v, schema);
    }
  }
  return out;
}

}  // namespace tessera::serve
