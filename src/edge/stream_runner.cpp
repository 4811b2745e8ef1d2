#include "tessera/edge/stream_runner.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numeric>
#include <thread>

#include "tessera/edge/latency_histogram.h"
#include "tessera/edge/mqtt_client.h"
#include "tessera/edge/stream_features.h"
#include "tessera/explain/tree_shap.h"

namespace tessera::edge {

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxBatch = 256;

struct Inbound {
  std::string topic;
  std::string payload;
  Clock::time_point arrived;
  double wall_seconds;
};

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string Dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

std::string FieldText(const FieldValue& v) {
  if (v.kind == FieldValue::Kind::kText) return v.text;
  if (v.kind == FieldValue::Kind::kNumber) return nlohmann::json(v.number).dump();
  return "";
}

nlohmann::json FieldJson(const FieldValue& v) {
  if (v.kind == FieldValue::Kind::kText) return v.text;
  if (v.kind == FieldValue::Kind::kNumber) return v.number;
  return nullptr;
}

// Messages the broker delivered, waiting for the decision loop; bounded.
class Inbox {
 public:
  explicit Inbox(size_t capacity) : capacity_(capacity) {}
  // False when full (the message is dropped and counted by the caller).
  bool Push(Inbound item) {
    {
      std::lock_guard lock(mu_);
      if (items_.size() >= capacity_) return false;
      items_.push_back(std::move(item));
    }
    ready_.notify_one();
    return true;
  }
  // Up to `max` messages, waiting at most `wait` for the first.
  std::vector<Inbound> Pop(size_t max, std::chrono::milliseconds wait) {
    std::unique_lock lock(mu_);
    ready_.wait_for(lock, wait, [&] { return !items_.empty(); });
    std::vector<Inbound> out;
    while (!items_.empty() && out.size() < max) {
      out.push_back(std::move(items_.front()));
      items_.pop_front();
    }
    return out;
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<Inbound> items_;
};

class DecisionLoop {
 public:
  DecisionLoop(const models::gbdt::GbdtModel& model, const StreamOptions& options)
      : model_(model), options_(options), features_(model.reference()), inbox_(options.queue_size) {}

  Result<StreamStats> Run(const std::atomic<bool>& stop, const std::function<void(const StreamStats&)>& report);

 private:
  struct Row {
    size_t item;  // index in the batch
    std::string device;
    double time;
    nlohmann::json id;
  };
  void Decide(std::vector<Inbound>& batch);
  nlohmann::json DecisionFor(const Row& row, const double* scores, const double* shap) const;
  void PublishDecision(const std::string& topic, const std::string& payload, const Inbound& item);
  void DeadLetter(const Inbound& item, const std::string& reason);
  void WaitForRoomInQueue(const std::atomic<bool>& stop);
  StreamStats Snapshot();

  const models::gbdt::GbdtModel& model_;
  const StreamOptions& options_;
  StreamFeatures features_;
  Inbox inbox_;
  std::unique_ptr<MqttClient> subscriber_, publisher_;
  std::atomic<uint64_t> received_{0}, overflow_{0}, acknowledged_{0}, disconnects_{0};
  uint64_t published_ = 0, decisions_ = 0, malformed_ = 0;
  LatencyHistogram latency_;
  Clock::time_point start_ = Clock::now();
};

StreamStats DecisionLoop::Snapshot() {
  StreamStats s;
  s.received = received_;
  s.decisions = decisions_;
  s.malformed = malformed_;
  s.overflow = overflow_;
  s.acknowledged = std::min<uint64_t>(acknowledged_, published_);
  s.unacknowledged = published_ - s.acknowledged;
  s.disconnects = disconnects_;
  s.devices = features_.num_devices();
  s.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  s.p50_seconds = latency_.Quantile(0.5);
  s.p99_seconds = latency_.Quantile(0.99);
  s.max_seconds = latency_.max_seconds();
  return s;
}

void DecisionLoop::PublishDecision(const std::string& topic, const std::string& payload, const Inbound& item) {
  const Status st = publisher_->Publish(topic, payload, 1);
  if (!st.ok()) {
    std::fprintf(stderr, "edge: %s\n", st.message().c_str());
    return;
  }
  ++published_;
  latency_.Add(std::chrono::duration<double>(Clock::now() - item.arrived).count());
}

void DecisionLoop::DeadLetter(const Inbound& item, const std::string& reason) {
  ++malformed_;
  nlohmann::json letter = {{"reason", reason}, {"topic", item.topic}, {"payload", item.payload.substr(0, 4096)}};
  PublishDecision(options_.dead_letter_topic, Dump(letter), item);
}

nlohmann::json DecisionLoop::DecisionFor(const Row& row, const double* scores, const double* shap) const {
  nlohmann::json d;
  d["device"] = row.device;
  if (!row.id.is_null()) d["id"] = row.id;
  d["time"] = row.time;
  const size_t k = static_cast<size_t>(model_.num_outputs());
  const auto& classes = model_.reference().label_classes();
  auto class_name = [&](size_t c) { return c < classes.size() ? classes[c] : std::to_string(c); };
  size_t explained_output = 0;
  if (k == 1) {
    d["score"] = scores[0];
    if (model_.params().objective == "binary") d["label"] = class_name(scores[0] >= options_.threshold ? 1 : 0);
  } else {
    const size_t best = static_cast<size_t>(std::max_element(scores, scores + k) - scores);
    nlohmann::json per_class = nlohmann::json::object();
    for (size_t c = 0; c < k; ++c) per_class[class_name(c)] = scores[c];
    d["scores"] = per_class;
    d["label"] = class_name(best);
    d["score"] = scores[best];
    explained_output = best;
  }
  if (shap != nullptr) {
    const size_t nf = features_.num_features();
    const double* values = shap + explained_output * (nf + 1);
    std::vector<size_t> order(nf);
    std::iota(order.begin(), order.end(), 0);
    const size_t top = std::min(nf, static_cast<size_t>(options_.explain_top));
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(top), order.end(),
                      [&](size_t a, size_t b) { return std::abs(values[a]) > std::abs(values[b]); });
    nlohmann::json contributors = nlohmann::json::array();
    for (size_t i = 0; i < top; ++i)
      contributors.push_back({{"feature", model_.reference().feature_name(order[i])}, {"shap", values[order[i]]}});
    d["top"] = contributors;
  }
  return d;
}

void DecisionLoop::Decide(std::vector<Inbound>& batch) {
  const size_t nf = features_.num_features();
  std::vector<Row> rows;
  std::vector<uint32_t> bins;
  rows.reserve(batch.size());
  bins.reserve(batch.size() * nf);
  for (size_t i = 0; i < batch.size(); ++i) {
    const Inbound& item = batch[i];
    Result<SensorMessage> message = options_.csv ? DecodeCsvMessage(item.payload, options_.csv_columns)
                                                 : DecodeJsonMessage(item.payload);
    if (!message.ok()) {
      DeadLetter(item, message.status().message());
      continue;
    }
    Row row{i, item.topic, item.wall_seconds, nullptr};
    if (const FieldValue* device = message->Find(options_.device_field);
        device != nullptr && device->kind != FieldValue::Kind::kMissing)
      row.device = FieldText(*device);
    if (const FieldValue* time = message->Find(options_.time_field)) {
      if (time->kind != FieldValue::Kind::kNumber) {
        DeadLetter(item, "field '" + options_.time_field + "': expected a time in seconds");
        continue;
      }
      row.time = time->number;
    }
    if (const FieldValue* id = message->Find(options_.id_field)) row.id = FieldJson(*id);
    Result<std::vector<uint32_t>> row_bins = features_.Assemble(*message, row.device, row.time);
    if (!row_bins.ok()) {
      DeadLetter(item, row_bins.status().message());
      continue;
    }
    bins.insert(bins.end(), row_bins->begin(), row_bins->end());
    rows.push_back(std::move(row));
  }
  if (rows.empty()) return;

  const auto& ref = model_.reference();
  data::BinnedDataset ds(ref.schema(), ref.feature_columns(), ref.mappers(), rows.size());
  ds.set_label_classes(ref.label_classes());
  if (ds.bytes_per_cell() == 1) {
    for (size_t c = 0; c < bins.size(); ++c) ds.mutable_cells()[c] = static_cast<uint8_t>(bins[c]);
  } else {
    auto* cells = reinterpret_cast<uint16_t*>(ds.mutable_cells());
    for (size_t c = 0; c < bins.size(); ++c) cells[c] = static_cast<uint16_t>(bins[c]);
  }
  const std::vector<double> scores = model_.Predict(ds, 1);
  std::vector<double> shap;
  if (options_.explain_top > 0) shap = explain::ShapValues(model_, ds, 1);
  const size_t k = static_cast<size_t>(model_.num_outputs());
  for (size_t r = 0; r < rows.size(); ++r) {
    const double* row_shap = shap.empty() ? nullptr : shap.data() + r * k * (nf + 1);
    const std::string payload = Dump(DecisionFor(rows[r], scores.data() + r * k, row_shap));
    std::string topic = options_.output_topic;
    if (const size_t at = topic.find("{device}"); at != std::string::npos) topic.replace(at, 8, rows[r].device);
    PublishDecision(topic, payload, batch[rows[r].item]);
    ++decisions_;
  }
}

void DecisionLoop::WaitForRoomInQueue(const std::atomic<bool>& stop) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(options_.drain_timeout_seconds);
  while (published_ - std::min<uint64_t>(acknowledged_, published_) >= options_.queue_size) {
    if (stop && Clock::now() > deadline) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

Result<StreamStats> DecisionLoop::Run(const std::atomic<bool>& stop,
                                      const std::function<void(const StreamStats&)>& report) {
  MqttClient::Callbacks out_callbacks;
  out_callbacks.on_acknowledged = [this] { ++acknowledged_; };
  out_callbacks.on_connection = [this](bool up) {
    if (!up) ++disconnects_;
  };
  TESSERA_ASSIGN_OR_RETURN(publisher_, MqttClient::Start(options_.client_id + "-out", true, options_.host,
                                                         options_.port, {}, out_callbacks));
  MqttClient::Callbacks in_callbacks;
  in_callbacks.on_message = [this](const std::string& topic, std::string_view payload) {
    ++received_;
    if (!inbox_.Push({topic, std::string(payload), Clock::now(), WallSeconds()})) ++overflow_;
  };
  in_callbacks.on_connection = [](bool up) {
    std::fprintf(stderr, "edge: %s the broker\n", up ? "subscribed at" : "lost");
  };
  TESSERA_ASSIGN_OR_RETURN(subscriber_, MqttClient::Start(options_.client_id + "-in", true, options_.host,
                                                          options_.port, options_.input_topics, in_callbacks));

  auto last_report = Clock::now();
  uint64_t last_reported_messages = 0;
  uint64_t handled = 0;
  bool stopping = false;
  for (;;) {
    const bool limit_reached = options_.max_messages > 0 && handled >= options_.max_messages;
    if (!stopping && (stop || limit_reached)) {
      stopping = true;
      subscriber_->Stop();  // no more messages; the broker keeps later ones for the next run
    }
    std::vector<Inbound> batch = inbox_.Pop(kMaxBatch, std::chrono::milliseconds(stopping ? 0 : 50));
    if (batch.empty() && stopping) break;
    if (!batch.empty()) {
      WaitForRoomInQueue(stop);
      Decide(batch);
      handled += batch.size();
    }
    if (options_.report_every_seconds > 0 &&
        std::chrono::duration<double>(Clock::now() - last_report).count() >= options_.report_every_seconds) {
      StreamStats s = Snapshot();
      const double window = std::chrono::duration<double>(Clock::now() - last_report).count();
      s.window_messages_per_second = static_cast<double>(s.received - last_reported_messages) / window;
      last_reported_messages = s.received;
      last_report = Clock::now();
      if (report) report(s);
    }
  }
  // Drain: every decision acknowledged by the broker (or the timeout), then disconnect.
  const auto deadline = Clock::now() + std::chrono::duration<double>(options_.drain_timeout_seconds);
  while (acknowledged_ < published_ && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  publisher_->Stop();
  StreamStats final_stats = Snapshot();
  final_stats.window_messages_per_second =
      final_stats.seconds > 0 ? static_cast<double>(final_stats.received) / final_stats.seconds : 0;
  return final_stats;
}

}  // namespace

Result<StreamStats> RunStream(const models::gbdt::GbdtModel& model, const StreamOptions& options,
                              const std::atomic<bool>& stop, const std::function<void(const StreamStats&)>& report) {
  if (options.input_topics.empty()) return Status::UserError("edge run: give at least one input topic");
  if (options.queue_size == 0) return Status::UserError("edge run: the queue size must be at least 1");
  if (options.csv && options.csv_columns.empty())
    return Status::UserError("edge run: CSV messages need their columns (--csv-columns)");
  // Sensor messages carry numbers; the calendar parts of a datetime are not computed here.
  if (model.reference().schema().has_derived_columns())
    return Status::UserError("edge run: the model has features derived from a datetime column, which streams do not "
                             "compute; train it with --no-datetime-parts");
  DecisionLoop loop(model, options);
  return loop.Run(stop, report);
}

}  // namespace tessera::edge
