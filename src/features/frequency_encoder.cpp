#include "tessera/features/frequency_encoder.h"

#include <algorithm>
#include <map>

namespace tessera::features {

FrequencyEncoder FrequencyEncoder::Fit(ColumnView codes) {
  std::map<uint32_t, uint64_t> counts;
  for (size_t i = 0; i < codes.rows; ++i) ++counts[codes[i] >= 0 ? static_cast<uint32_t>(codes[i]) : 0];
  FrequencyEncoder e;
  for (const auto& [code, count] : counts) {
    e.codes_.push_back(code);
    e.shares_.push_back(static_cast<double>(count) / static_cast<double>(codes.rows));
  }
  return e;
}

double FrequencyEncoder::FrequencyOf(float code) const {
  const uint32_t c = code >= 0 ? static_cast<uint32_t>(code) : 0;
  auto it = std::lower_bound(codes_.begin(), codes_.end(), c);
  return it != codes_.end() && *it == c ? shares_[static_cast<size_t>(it - codes_.begin())] : 0.0;
}

void FrequencyEncoder::Transform(ColumnView codes, OutputBlock out) const {
  for (size_t i = 0; i < codes.rows; ++i) out.at(i, 0) = FrequencyOf(codes[i]);
}

nlohmann::json FrequencyEncoder::ToJson() const { return {{"transform", "frequency"}, {"codes", codes_}, {"shares", shares_}}; }

Result<FrequencyEncoder> FrequencyEncoder::FromJson(const nlohmann::json& j) {
  FrequencyEncoder e;
  e.codes_ = j.at("codes").get<std::vector<uint32_t>>();
  e.shares_ = j.at("shares").get<std::vector<double>>();
  if (e.codes_.size() != e.shares_.size()) return Status::UserError("frequency: one share per code expected");
  if (!std::is_sorted(e.codes_.begin(), e.codes_.end())) return Status::UserError("frequency: codes must be sorted");
  return e;
}

}  // namespace tessera::features
