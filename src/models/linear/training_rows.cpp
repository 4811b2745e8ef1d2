#include "tessera/models/linear/training_rows.h"

#include "tessera/data/table_reader.h"

namespace tessera::models::linear {

Status RequireRawValues(const std::vector<std::string>& inputs) {
  for (const auto& input : inputs)
    if (data::FormatFromPath(input) == data::TableFormat::kTsr)
      return Status::UserError(input + ": the linear family needs the raw data (CSV or LibSVM); a .tsr cache holds only bins");
  return Status::Ok();
}

Result<data::CodedRows> ReadTrainingRows(const std::vector<std::string>& inputs, const data::IngestOptions& options,
                                         const data::BinnedDataset& train) {
  TESSERA_RETURN_IF_ERROR(RequireRawValues(inputs));
  TESSERA_ASSIGN_OR_RETURN(data::CodedRows coded, data::ReadCodedRows(inputs, options, train));
  if (coded.rows != train.num_rows()) return Status::UserError(inputs[0] + ": the input changed while it was read");
  return coded;
}

}  // namespace tessera::models::linear
