// tessera edge run: the MQTT decision loop (edge/stream_runner.h) with SIGTERM/SIGINT handling
// and a report on stderr every few seconds and at exit.
#include <csignal>
#include <cstdio>
#include <memory>

#include "cli_common.h"
#include "commands.h"
#include "tessera/edge/stream_features.h"
#include "tessera/edge/stream_runner.h"

namespace tessera::cli {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void RequestStop(int) { g_stop = true; }

struct EdgeRunFlags {
  edge::StreamOptions stream;
  std::string model, store, broker = "127.0.0.1:1883", format = "json";
  bool json = false;
};

void ParseBroker(const std::string& broker, edge::StreamOptions* options) {
  std::string address = broker;
  if (address.starts_with("mqtt://")) address = address.substr(7);
  const size_t colon = address.rfind(':');
  options->host = address.substr(0, colon);
  if (colon == std::string::npos) return;
  try {
    size_t used = 0;
    options->port = std::stoi(address.substr(colon + 1), &used);
    if (used != address.size() - colon - 1) throw std::invalid_argument("trailing text");
  } catch (const std::exception&) {
    Check(Status::UserError("--broker " + broker + ": expected host:port, e.g. 127.0.0.1:1883"));
  }
}

void PrintStats(const char* when, const edge::StreamStats& s) {
  std::fprintf(stderr,
               "edge %s: %llu messages (%.0f/s), %llu decisions, %llu malformed, %llu overflow, %llu unacknowledged, "
               "%zu devices, latency p50 %.3f ms p99 %.3f ms max %.3f ms\n",
               when, static_cast<unsigned long long>(s.received), s.window_messages_per_second,
               static_cast<unsigned long long>(s.decisions), static_cast<unsigned long long>(s.malformed),
               static_cast<unsigned long long>(s.overflow), static_cast<unsigned long long>(s.unacknowledged),
               s.devices, s.p50_seconds * 1e3, s.p99_seconds * 1e3, s.max_seconds * 1e3);
}

void RunEdge(EdgeRunFlags& f) {
  auto model = LoadModelArg(f.model, f.store);
  ParseBroker(f.broker, &f.stream);
  f.stream.csv = f.format == "csv";
  if (f.stream.csv && f.stream.csv_columns.empty())
    for (size_t c = 0; c < model.reference().num_features(); ++c)
      f.stream.csv_columns.push_back(model.reference().feature_name(c));
  edge::StreamFeatures features(model.reference());
  for (size_t c = 0; c < features.windows().size(); ++c)
    if (const auto& w = features.windows()[c])
      std::fprintf(stderr, "edge: feature %s = rolling window over '%s' (%g s)\n",
                   model.reference().feature_name(c).c_str(), w->signal.c_str(), w->seconds);

  struct sigaction action {};
  action.sa_handler = RequestStop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  std::fprintf(stderr, "edge: %s:%d, in %zu topic(s), decisions to %s, dead letters to %s\n", f.stream.host.c_str(),
               f.stream.port, f.stream.input_topics.size(), f.stream.output_topic.c_str(),
               f.stream.dead_letter_topic.c_str());
  auto stats = Check(edge::RunStream(model, f.stream, g_stop, [](const edge::StreamStats& s) { PrintStats("now", s); }));
  PrintStats("done", stats);
  if (f.json) {
    nlohmann::json j = {{"received", stats.received},
                        {"decisions", stats.decisions},
                        {"malformed", stats.malformed},
                        {"overflow", stats.overflow},
                        {"acknowledged", stats.acknowledged},
                        {"unacknowledged", stats.unacknowledged},
                        {"disconnects", stats.disconnects},
                        {"devices", stats.devices},
                        {"seconds", stats.seconds},
                        {"messages_per_second", stats.window_messages_per_second},
                        {"latency_p50_ms", stats.p50_seconds * 1e3},
                        {"latency_p99_ms", stats.p99_seconds * 1e3},
                        {"latency_max_ms", stats.max_seconds * 1e3}};
    std::printf("%s\n", j.dump(2).c_str());
  }
  if (stats.unacknowledged > 0) {
    std::fprintf(stderr, "edge: %llu publications were not acknowledged by the broker before the drain timeout\n",
                 static_cast<unsigned long long>(stats.unacknowledged));
    throw ExitRequest{1};
  }
}

}  // namespace

void RegisterEdge(CLI::App* app) {
  CLI::App* edge = app->add_subcommand("edge", "Real-time decisions on a device: MQTT sensor streams");
  edge->require_subcommand(1);
  auto f = std::make_shared<EdgeRunFlags>();
  CLI::App* run = edge->add_subcommand("run", "Subscribe to sensor messages, predict, publish decisions (QoS 1)");
  run->add_option("--model,-m", f->model, "Model file or models:/name@alias")->required();
  run->add_option("--store", f->store, "Registry store for models:/ references");
  run->add_option("--broker", f->broker, "MQTT broker host:port")->capture_default_str();
  run->add_option("--in,--input-topic", f->stream.input_topics, "Topic filter(s) to subscribe to")->required();
  run->add_option("--out,--output-topic", f->stream.output_topic, "Decision topic ({device} = the device)")
      ->capture_default_str();
  run->add_option("--dead-letter-topic", f->stream.dead_letter_topic, "Topic for unreadable messages")
      ->capture_default_str();
  run->add_option("--format", f->format, "Message format")->check(CLI::IsMember({"json", "csv"}))->capture_default_str();
  run->add_option("--csv-columns", f->stream.csv_columns, "CSV message columns (default: the model's features)")
      ->delimiter(',');
  run->add_option("--device-field", f->stream.device_field, "Field naming the device (else the topic)")
      ->capture_default_str();
  run->add_option("--time-field", f->stream.time_field, "Field with the time in seconds (else arrival time)")
      ->capture_default_str();
  run->add_option("--id-field", f->stream.id_field, "Field copied into the decision")->capture_default_str();
  run->add_option("--threshold", f->stream.threshold, "Binary models: probability for the positive label")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  run->add_option("--explain-top", f->stream.explain_top, "List the top K SHAP contributors in each decision")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--client-id", f->stream.client_id, "MQTT client id (sessions are <id>-in, <id>-out)")
      ->capture_default_str();
  run->add_option("--queue-size", f->stream.queue_size, "Bound on unacknowledged decisions and waiting messages")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  run->add_option("--report-every", f->stream.report_every_seconds, "Seconds between reports (0: only at exit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  run->add_option("--max-messages", f->stream.max_messages, "Stop after this many messages (0: until SIGTERM)");
  run->add_option("--drain-timeout", f->stream.drain_timeout_seconds, "Seconds a stop waits for acknowledgements")
      ->capture_default_str();
  run->add_flag("--json", f->json, "Print the final report as JSON on stdout");
  run->callback([f] { RunEdge(*f); });
}

}  // namespace tessera::cli
