#include "tessera/edge/stream_features.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace tessera::edge {

namespace {

constexpr std::pair<std::string_view, WindowStat> kStats[] = {
    {"mean", WindowStat::kMean}, {"min", WindowStat::kMin}, {"max", WindowStat::kMax}, {"last", WindowStat::kLast}};

// A number for a numeric feature: a JSON/CSV number, or text that reads fully as one.
Result<float> NumericValue(const FieldValue& v, std::string_view field) {
  if (v.kind == FieldValue::Kind::kNumber) return static_cast<float>(v.number);
  double number = 0;
  const char* end = v.text.data() + v.text.size();
  auto [ptr, ec] = std::from_chars(v.text.data(), end, number);
  if (ec == std::errc() && ptr == end && !v.text.empty()) return static_cast<float>(number);
  return Status::UserError("field '" + std::string(field) + "': expected a number, got \"" + v.text.substr(0, 40) + "\"");
}

// The bin of a message value for feature f, as the CSV reader would bin the same text.
Result<uint32_t> BinOf(const data::BinMapper& mapper, const FieldValue& v, std::string_view field) {
  if (v.kind == FieldValue::Kind::kMissing) return data::BinMapper::kMissingBin;
  if (mapper.kind() == data::BinMapper::Kind::kCategorical) {
    if (v.kind == FieldValue::Kind::kText) return mapper.BinOfCategory(v.text);
    char text[32];
    const auto end = std::to_chars(text, text + sizeof(text), static_cast<float>(v.number)).ptr;
    return mapper.BinOfCategory(std::string_view(text, static_cast<size_t>(end - text)));
  }
  TESSERA_ASSIGN_OR_RETURN(const float value, NumericValue(v, field));
  return mapper.BinOfValue(value);
}

}  // namespace

std::optional<WindowFeature> ParseWindowFeature(std::string_view name) {
  // <signal>_<stat>_<N>s, N a positive number of seconds.
  if (!name.ends_with('s')) return std::nullopt;
  const size_t seconds_start = name.rfind('_');
  if (seconds_start == std::string_view::npos || seconds_start == 0) return std::nullopt;
  const std::string_view seconds_text = name.substr(seconds_start + 1, name.size() - seconds_start - 2);
  double seconds = 0;
  auto [ptr, ec] = std::from_chars(seconds_text.data(), seconds_text.data() + seconds_text.size(), seconds);
  if (seconds_text.empty() || ec != std::errc() || ptr != seconds_text.data() + seconds_text.size() ||
      !(seconds > 0) || !std::isfinite(seconds))
    return std::nullopt;
  const std::string_view head = name.substr(0, seconds_start);
  const size_t stat_start = head.rfind('_');
  if (stat_start == std::string_view::npos || stat_start == 0) return std::nullopt;
  const std::string_view stat = head.substr(stat_start + 1);
  for (const auto& [stat_name, kind] : kStats)
    if (stat == stat_name) return WindowFeature{std::string(head.substr(0, stat_start)), kind, seconds};
  return std::nullopt;
}

StreamFeatures::StreamFeatures(const data::BinnedDataset& reference) : reference_(reference) {
  const size_t nf = reference.num_features();
  windows_.resize(nf);
  signal_of_feature_.assign(nf, 0);
  for (size_t f = 0; f < nf; ++f) {
    // Windows are numeric statistics; a categorical feature with such a name is a plain field.
    if (reference.mappers()[f].kind() == data::BinMapper::Kind::kCategorical) continue;
    windows_[f] = ParseWindowFeature(reference.feature_name(f));
    if (!windows_[f]) continue;
    auto it = std::find(signals_.begin(), signals_.end(), windows_[f]->signal);
    if (it == signals_.end()) {
      signals_.push_back(windows_[f]->signal);
      horizon_.push_back(0);
      it = signals_.end() - 1;
    }
    const size_t s = static_cast<size_t>(it - signals_.begin());
    signal_of_feature_[f] = s;
    horizon_[s] = std::max(horizon_[s], windows_[f]->seconds);
  }
}

std::optional<double> StreamFeatures::WindowValue(const std::deque<Sample>& history, const WindowFeature& w,
                                                  double now) const {
  double sum = 0, lo = INFINITY, hi = -INFINITY, last = NAN;
  size_t count = 0;
  for (auto it = history.rbegin(); it != history.rend() && it->time > now - w.seconds; ++it) {
    if (count == 0) last = it->value;
    sum += it->value;
    lo = std::min(lo, it->value);
    hi = std::max(hi, it->value);
    ++count;
  }
  if (count == 0) return std::nullopt;
  switch (w.stat) {
    case WindowStat::kMean: return sum / static_cast<double>(count);
    case WindowStat::kMin: return lo;
    case WindowStat::kMax: return hi;
    case WindowStat::kLast: return last;
  }
  return std::nullopt;
}

Result<std::vector<uint32_t>> StreamFeatures::Assemble(const SensorMessage& message, const std::string& device,
                                                        double time) {
  // Check the signal values first, so that a refused message leaves no trace in the history.
  std::vector<std::optional<double>> signal_values(signals_.size());
  for (size_t s = 0; s < signals_.size(); ++s) {
    const FieldValue* v = message.Find(signals_[s]);
    if (v == nullptr || v->kind == FieldValue::Kind::kMissing) continue;
    TESSERA_ASSIGN_OR_RETURN(const float value, NumericValue(*v, signals_[s]));
    if (std::isfinite(value)) signal_values[s] = value;
  }
  const size_t nf = reference_.num_features();
  std::vector<uint32_t> bins(nf);
  std::vector<bool> windowed(nf, false);
  for (size_t f = 0; f < nf; ++f) {
    const std::string& name = reference_.feature_name(f);
    if (const FieldValue* v = message.Find(name)) {
      TESSERA_ASSIGN_OR_RETURN(bins[f], BinOf(reference_.mappers()[f], *v, name));
    } else if (windows_[f]) {
      windowed[f] = true;
    } else {
      bins[f] = data::BinMapper::kMissingBin;
    }
  }
  if (signals_.empty()) return bins;

  Device& d = devices_[device];
  d.history.resize(signals_.size());
  const double now = std::max(time, d.last_time);
  d.last_time = now;
  for (size_t s = 0; s < signals_.size(); ++s) {
    auto& history = d.history[s];
    if (signal_values[s]) history.push_back({now, *signal_values[s]});
    while (!history.empty() && history.front().time <= now - horizon_[s]) history.pop_front();
  }
  for (size_t f = 0; f < nf; ++f) {
    if (!windowed[f]) continue;
    const std::optional<double> value = WindowValue(d.history[signal_of_feature_[f]], *windows_[f], now);
    bins[f] = value ? reference_.mappers()[f].BinOfValue(static_cast<float>(*value)) : data::BinMapper::kMissingBin;
  }
  return bins;
}

}  // namespace tessera::edge
