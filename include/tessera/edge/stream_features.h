// Turns sensor messages into the model's binned feature rows, keeping the per-device history
// that rolling-window features need.
//
// A model feature is taken from the message field of the same name. When the message has no such
// field and the feature is named "<signal>_<stat>_<N>s" (stat: mean, min, max or last), it is
// computed over the device's values of field <signal> in the last N seconds (the window
// (t - N, t], this message included). A window with no value is missing, as is a field the
// message lacks. A device's clock is the message's time field (seconds) or, without one, the
// arrival time; a time earlier than the device's last one counts as that last time.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/binned_dataset.h"
#include "tessera/edge/sensor_message.h"

namespace tessera::edge {

enum class WindowStat { kMean, kMin, kMax, kLast };

struct WindowFeature {
  std::string signal;
  WindowStat stat = WindowStat::kLast;
  double seconds = 0;
};

// The window a feature name asks for ("temp_mean_60s"), or nothing for a plain feature.
std::optional<WindowFeature> ParseWindowFeature(std::string_view name);

class StreamFeatures {
 public:
  // `reference` gives the model's features and their bins (GbdtModel::reference()).
  explicit StreamFeatures(const data::BinnedDataset& reference);

  // The bins of one message's row (num_features() of them, in the model's feature order), after
  // adding its values to `device`'s history. Refuses a value the feature cannot take (text for a
  // numeric feature), naming the field; the history is then left unchanged.
  Result<std::vector<uint32_t>> Assemble(const SensorMessage& message, const std::string& device, double time);

  size_t num_features() const { return reference_.num_features(); }
  size_t num_devices() const { return devices_.size(); }
  // The windowed features the model has, for the start-up log.
  const std::vector<std::optional<WindowFeature>>& windows() const { return windows_; }

 private:
  struct Sample {
    double time;
    double value;
  };
  struct Device {
    double last_time = -1e300;
    std::vector<std::deque<Sample>> history;  // one per signal, oldest first
  };
  std::optional<double> WindowValue(const std::deque<Sample>& history, const WindowFeature& w, double now) const;

  const data::BinnedDataset& reference_;
  std::vector<std::optional<WindowFeature>> windows_;  // per feature
  std::vector<std::string> signals_;                   // distinct window signals
  std::vector<double> horizon_;                        // per signal: the longest window on it
  std::vector<size_t> signal_of_feature_;              // per windowed feature
  std::unordered_map<std::string, Device> devices_;
};

}  // namespace tessera::edge
