// `tessera edge run`: a real-time decision loop on an MQTT broker. Sensor messages come in on
// subscribed topics (QoS 1), become feature rows (edge/stream_features.h), are scored by the model
// in small batches, and each decision goes out on the output topic (QoS 1). A message that cannot
// be read goes to the dead-letter topic with the reason instead; the loop never stops for one.
//
// Two broker connections with persistent sessions (clean session off): one subscribes, one
// publishes. libmosquitto reconnects each with exponential backoff when the broker goes away;
// decisions made meanwhile wait in the publisher's queue, bounded by `queue_size` unacknowledged
// decisions (the loop pauses at the bound, and incoming messages wait in an inbox of the same
// bound; past that they are counted as overflow). A stop request (SIGTERM) disconnects the
// subscriber first, so the broker keeps what arrives later for the next run, then decides every
// message already received, waits for the broker to acknowledge every decision, and returns.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/models/gbdt/booster.h"

namespace tessera::edge {

struct StreamOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id = "tessera-edge";  // the connections are <client_id>-in and <client_id>-out
  std::vector<std::string> input_topics;   // MQTT topic filters, e.g. "sensors/+/data"
  std::string output_topic = "tessera/decisions";  // "{device}" is replaced by the device
  std::string dead_letter_topic = "tessera/dead-letter";
  bool csv = false;                  // payloads are CSV lines of `csv_columns` (else JSON objects)
  std::vector<std::string> csv_columns;
  std::string device_field = "device";  // absent from a message: the topic is the device
  std::string time_field = "ts";        // seconds; absent: the arrival time
  std::string id_field = "id";          // copied into the decision when present
  double threshold = 0.5;               // binary models: the probability for the positive label
  int explain_top = 0;                  // > 0: the decision lists the top SHAP contributors
  size_t queue_size = 10000;
  double report_every_seconds = 10;     // 0: only the final report
  uint64_t max_messages = 0;            // > 0: stop after this many messages (tests, benchmarks)
  double drain_timeout_seconds = 30;    // how long a stop waits for the broker's acknowledgements
};

struct StreamStats {
  uint64_t received = 0;    // messages taken from the broker
  uint64_t decisions = 0;   // decisions published
  uint64_t malformed = 0;   // messages sent to the dead-letter topic
  uint64_t overflow = 0;    // messages dropped because the inbox was full
  uint64_t acknowledged = 0;  // publications (decisions and dead letters) the broker acknowledged
  uint64_t unacknowledged = 0;
  uint64_t disconnects = 0;
  size_t devices = 0;
  double seconds = 0;
  double p50_seconds = 0, p99_seconds = 0, max_seconds = 0;  // arrival -> decision handed to the broker
  double window_messages_per_second = 0;  // since the previous report
};

// Runs until `stop` becomes true (or max_messages), then drains. `report` is called every
// report_every_seconds from the loop's thread. Errors: bad options, a broker that refuses the
// connection for a reason other than being unreachable.
Result<StreamStats> RunStream(const models::gbdt::GbdtModel& model, const StreamOptions& options,
                              const std::atomic<bool>& stop, const std::function<void(const StreamStats&)>& report);

}  // namespace tessera::edge
