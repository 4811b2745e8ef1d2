// bench/edge's MQTT round trip: publishes sensor messages (rows of a CSV file as JSON objects,
// each with an id) to a broker at a fixed rate, QoS 1, and collects the decisions `tessera edge
// run` publishes back. Latency is producer send -> decision received, both in this process.
// Prints one JSON object: sent, delivered (distinct ids), duplicates, lost, send rate, p50/p99/max.
//
// Usage: tessera_mqtt_bench PORT RATE MESSAGES ROWS.csv [IN_TOPIC] [OUT_FILTER]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tessera/edge/mqtt_client.h"

using namespace tessera;
using Clock = std::chrono::steady_clock;

namespace {

// Each CSV row (header names, numeric cells) as a JSON object text without the closing brace.
std::vector<std::string> ReadRows(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> names;
  std::stringstream header(line);
  for (std::string name; std::getline(header, name, ',');) names.push_back(name);
  std::vector<std::string> rows;
  while (std::getline(in, line) && rows.size() < 100000) {
    std::stringstream cells(line);
    std::string row = "{";
    size_t c = 0;
    for (std::string cell; std::getline(cells, cell, ',') && c < names.size(); ++c) {
      if (names[c] == "label") continue;
      row += (row.size() > 1 ? ",\"" : "\"") + names[c] + "\":" + (cell.empty() ? "null" : cell);
    }
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s PORT RATE MESSAGES ROWS.csv [IN_TOPIC] [OUT_FILTER]\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const double rate = std::atof(argv[2]);
  const size_t messages = static_cast<size_t>(std::atoll(argv[3]));
  const std::vector<std::string> rows = ReadRows(argv[4]);
  const std::string in_topic = argc > 5 ? argv[5] : "sensors/bench";
  const std::string out_filter = argc > 6 ? argv[6] : "decisions/#";
  if (rows.empty()) {
    std::fprintf(stderr, "mqtt_bench: no rows in %s\n", argv[4]);
    return 2;
  }

  std::vector<Clock::time_point> sent_at(messages);
  std::vector<double> latency(messages, -1);
  std::mutex mu;
  size_t delivered = 0, duplicates = 0;
  edge::MqttClient::Callbacks callbacks;
  callbacks.on_message = [&](const std::string&, std::string_view payload) {
    const auto now = Clock::now();
    const auto d = nlohmann::json::parse(payload, nullptr, false);
    if (d.is_discarded() || !d.contains("id")) return;
    const size_t id = d["id"].get<size_t>();
    std::lock_guard lock(mu);
    if (id >= messages) return;
    if (latency[id] >= 0) {
      ++duplicates;
      return;
    }
    latency[id] = std::chrono::duration<double>(now - sent_at[id]).count();
    ++delivered;
  };
  auto collector = edge::MqttClient::Start("bench-collector", false, "127.0.0.1", port, {out_filter}, callbacks);
  auto producer = edge::MqttClient::Start("bench-producer", false, "127.0.0.1", port, {}, {});
  if (!collector.ok() || !producer.ok() || !(*collector)->WaitConnected(10) || !(*producer)->WaitConnected(10)) {
    std::fprintf(stderr, "mqtt_bench: cannot connect to 127.0.0.1:%d\n", port);
    return 1;
  }

  const auto start = Clock::now();
  for (size_t i = 0; i < messages; ++i) {
    const auto due = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(i / rate));
    while (Clock::now() < due) {
      if (due - Clock::now() > std::chrono::microseconds(200)) std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    const std::string payload = rows[i % rows.size()] + ",\"device\":\"dev" + std::to_string(i % 16) +
                                "\",\"id\":" + std::to_string(i) + "}";
    {
      std::lock_guard lock(mu);
      sent_at[i] = Clock::now();
    }
    if (!(*producer)->Publish(in_topic, payload, 1).ok()) return 1;
  }
  const double send_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  // Wait for the stragglers: until everything came back, or 10 s without progress.
  size_t last = 0;
  auto last_progress = Clock::now();
  for (;;) {
    size_t now_delivered;
    {
      std::lock_guard lock(mu);
      now_delivered = delivered;
    }
    if (now_delivered == messages) break;
    if (now_delivered != last) last = now_delivered, last_progress = Clock::now();
    if (Clock::now() - last_progress > std::chrono::seconds(10)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  (*producer)->Stop();
  (*collector)->Stop();

  std::lock_guard lock(mu);
  std::vector<double> seen;
  for (double l : latency)
    if (l >= 0) seen.push_back(l);
  std::sort(seen.begin(), seen.end());
  auto quantile = [&](double q) {
    return seen.empty() ? 0.0 : seen[std::min(seen.size() - 1, static_cast<size_t>(q * static_cast<double>(seen.size())))];
  };
  nlohmann::json out = {{"rate", rate},
                        {"sent", messages},
                        {"delivered", delivered},
                        {"lost", messages - delivered},
                        {"duplicates", duplicates},
                        {"send_rate", static_cast<double>(messages) / send_seconds},
                        {"p50_ms", quantile(0.5) * 1e3},
                        {"p99_ms", quantile(0.99) * 1e3},
                        {"max_ms", seen.empty() ? 0 : seen.back() * 1e3}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
