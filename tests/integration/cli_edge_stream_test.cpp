// tessera edge run against a real mosquitto broker: decisions equal `tessera predict` on the same
// rows (rolling windows included), unreadable messages go to the dead-letter topic, a broker
// restart mid-stream loses no decision, SIGTERM drains and exits 0.
#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "child_process.h"
#include "mosquitto_broker.h"
#include "required_tool.h"
#include "run_binary.h"
#include "tessera/edge/mqtt_client.h"
#include "test_files.h"

namespace tessera::testing {
namespace {

using nlohmann::json;

// Every message a test client receives, by topic.
class Collector {
 public:
  Collector(int port, const std::string& id, std::vector<std::string> topics) {
    edge::MqttClient::Callbacks callbacks;
    callbacks.on_message = [this](const std::string& topic, std::string_view payload) {
      std::lock_guard lock(mu_);
      messages_.emplace_back(topic, std::string(payload));
    };
    client_ = std::move(edge::MqttClient::Start(id, true, "127.0.0.1", port, std::move(topics), callbacks)).value();
    EXPECT_TRUE(client_->WaitConnected(10));
  }
  std::vector<std::pair<std::string, std::string>> messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }
  // Waits until `done(messages)` holds (true) or `seconds` pass (false).
  template <typename Done>
  bool WaitFor(Done done, double seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!done(messages())) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> messages_;
  std::unique_ptr<edge::MqttClient> client_;
};

class EdgeStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveMosquitto()) TESSERA_MISSING_TOOL("mosquitto not found (scripts/bootstrap installs it)");
    // speed, zone (text categories) and a rolling window over the temperature decide the label.
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> speed(0, 100), temp(10, 40);
    std::ostringstream csv;
    csv << "speed,zone,temp_max_5s,alert\n";
    const char* zones[] = {"a", "b", "c"};
    for (int i = 0; i < 3000; ++i) {
      const double s = speed(rng), t = temp(rng);
      const std::string z = zones[i % 3];
      csv << s << ',' << z << ',' << t << ',' << ((s > 60 || (t > 30 && z == "b")) ? 1 : 0) << '\n';
    }
    dir_.Write("train.csv", csv.str());
    auto r = RunTessera(dir_, "train --data train.csv --label alert --objective binary --param num_iterations=30 "
                              "--param num_leaves=8 --no-track -o model.json --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    broker_ = std::make_unique<MosquittoBroker>(dir_);
  }

  // Starts `tessera edge run` and waits until it has subscribed.
  std::unique_ptr<ChildProcess> StartRunner(const std::string& client_id, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {TESSERA_BINARY, "edge", "run", "--model", dir_.Path("model.json"), "--broker",
                                     "127.0.0.1:" + std::to_string(broker_->port()), "--in", "sensors/+", "--out",
                                     "decisions/{device}", "--dead-letter-topic", "dead", "--client-id", client_id,
                                     "--report-every", "0", "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    runner_out_ = dir_.Path(client_id + ".out");
    runner_err_ = dir_.Path(client_id + ".err");
    auto runner = std::make_unique<ChildProcess>(argv, runner_out_, runner_err_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (ReadFile(runner_err_).find("subscribed at the broker") == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline || !runner->running()) {
        ADD_FAILURE() << "edge run did not subscribe: " << ReadFile(runner_err_);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return runner;
  }

  std::unique_ptr<edge::MqttClient> Producer(const std::string& id) {
    auto client = std::move(edge::MqttClient::Start(id, true, "127.0.0.1", broker_->port(), {}, {})).value();
    EXPECT_TRUE(client->WaitConnected(10));
    return client;
  }

  TempDir dir_;
  std::unique_ptr<MosquittoBroker> broker_;
  std::string runner_out_, runner_err_;
};

TEST_F(EdgeStreamTest, DecisionsMatchPredictWithRollingWindowsAndBadMessagesGoToDeadLetters) {
  Collector collector(broker_->port(), "collector-1", {"decisions/#", "dead"});
  auto runner = StartRunner("edge-1", {"--explain-top", "2"});
  auto producer = Producer("producer-1");
  // d1's temperatures 20, 35, 25 at t = 100..102: the 5 s maximum is 35 at t = 102; at t = 110
  // only the new 20 is inside the window. d2 has a history of its own.
  const std::vector<std::string> good = {
      R"({"device":"d1","ts":100,"id":1,"speed":10,"zone":"b","temp":20})",
      R"({"device":"d1","ts":101,"id":2,"speed":10,"zone":"b","temp":35})",
      R"({"device":"d1","ts":102,"id":3,"speed":10,"zone":"b","temp":25})",
      R"({"device":"d2","ts":102,"id":4,"speed":80,"zone":"zzz","temp":12})",
      R"({"device":"d1","ts":110,"id":5,"speed":70,"zone":"a","temp":20})",
      R"({"device":"d2","ts":103,"id":6,"speed":5,"zone":"b","temp":null,"temp_max_5s":31.5})"};
  const std::string expected_rows =
      "speed,zone,temp_max_5s\n10,b,20\n10,b,35\n10,b,35\n80,zzz,12\n70,a,20\n5,b,31.5\n";
  const std::vector<std::string> bad = {"not json", R"({"device":"d3","speed":"fast"})", "[1,2]",
                                        R"({"device":"d3","ts":"noon","speed":1})"};
  for (const auto& m : good) ASSERT_TRUE(producer->Publish("sensors/s1", m).ok());
  for (const auto& m : bad) ASSERT_TRUE(producer->Publish("sensors/s1", m).ok());

  ASSERT_TRUE(collector.WaitFor([&](const auto& ms) { return ms.size() >= good.size() + bad.size(); }, 20))
      << ReadFile(runner_err_);
  runner->Signal(SIGTERM);
  ASSERT_EQ(runner->Wait(30), 0) << ReadFile(runner_err_);
  const json report = json::parse(ReadFile(runner_out_));
  EXPECT_EQ(report["received"], good.size() + bad.size());
  EXPECT_EQ(report["decisions"], good.size());
  EXPECT_EQ(report["malformed"], bad.size());
  EXPECT_EQ(report["unacknowledged"], 0);
  EXPECT_EQ(report["devices"], 2);

  dir_.Write("rows.csv", expected_rows);
  auto predicted = RunTessera(dir_, "predict --model model.json --data rows.csv -o preds.csv --quiet");
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  std::istringstream preds(ReadFile(dir_.Path("preds.csv")));
  std::string line;
  std::getline(preds, line);  // header
  std::vector<double> expected;
  while (std::getline(preds, line)) expected.push_back(std::stod(line));
  ASSERT_EQ(expected.size(), good.size());

  std::map<int, json> decisions;
  std::vector<json> dead;
  for (const auto& [topic, payload] : collector.messages()) {
    if (topic == "dead") {
      dead.push_back(json::parse(payload));
      continue;
    }
    json d = json::parse(payload);
    EXPECT_EQ(topic, "decisions/" + d["device"].get<std::string>());
    decisions[d["id"].get<int>()] = d;
  }
  ASSERT_EQ(decisions.size(), good.size());
  for (int id = 1; id <= static_cast<int>(good.size()); ++id) {
    const json& d = decisions[id];
    EXPECT_NEAR(d["score"].get<double>(), expected[static_cast<size_t>(id - 1)], 1e-12) << d.dump();
    EXPECT_EQ(d["label"], expected[static_cast<size_t>(id - 1)] >= 0.5 ? "1" : "0") << d.dump();
    ASSERT_EQ(d["top"].size(), 2u) << d.dump();
    EXPECT_GE(std::abs(d["top"][0]["shap"].get<double>()), std::abs(d["top"][1]["shap"].get<double>()));
  }
  EXPECT_EQ(decisions[1]["time"], 100);
  ASSERT_EQ(dead.size(), bad.size());
  std::set<std::string> reasons;
  for (const auto& letter : dead) {
    EXPECT_EQ(letter["topic"], "sensors/s1");
    reasons.insert(letter["reason"].get<std::string>());
  }
  EXPECT_TRUE(reasons.begin()->starts_with("byte 2: not valid JSON: ")) << json(reasons).dump();
  EXPECT_TRUE(reasons.count("field 'speed': expected a number, got \"fast\"")) << json(reasons).dump();
  EXPECT_TRUE(reasons.count("expected a JSON object, got array")) << json(reasons).dump();
  EXPECT_TRUE(reasons.count("field 'ts': expected a time in seconds")) << json(reasons).dump();
}

TEST_F(EdgeStreamTest, BrokerRestartMidStreamLosesNoDecision) {
  Collector collector(broker_->port(), "collector-2", {"decisions/#"});
  auto runner = StartRunner("edge-2");
  auto producer = Producer("producer-2");
  constexpr int kMessages = 400;
  auto publish = [&](int from, int to, bool paced) {
    for (int i = from; i < to; ++i) {
      const std::string m = R"({"device":"d)" + std::to_string(i % 5) + R"(","id":)" + std::to_string(i) +
                            R"(,"speed":)" + std::to_string(i % 100) + R"(,"zone":"b","temp":25})";
      ASSERT_TRUE(producer->Publish("sensors/s" + std::to_string(i % 3), m).ok());
      if (paced) std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  };
  // A burst, and the broker stops at once: messages and decisions are in flight everywhere.
  publish(0, kMessages / 2, false);
  ASSERT_TRUE(broker_->Stop());
  publish(kMessages / 2, kMessages * 3 / 4, true);  // queued in the producer while the broker is down
  ASSERT_TRUE(broker_->Start()) << broker_->log();
  publish(kMessages * 3 / 4, kMessages, true);

  auto unique_ids = [](const std::vector<std::pair<std::string, std::string>>& ms) {
    std::set<int> ids;
    for (const auto& [topic, payload] : ms) ids.insert(json::parse(payload)["id"].get<int>());
    return ids;
  };
  const bool all = collector.WaitFor([&](const auto& ms) { return unique_ids(ms).size() == kMessages; }, 60);
  EXPECT_TRUE(all) << unique_ids(collector.messages()).size() << " of " << kMessages << " decisions\n"
                   << ReadFile(runner_err_) << broker_->log();
  runner->Signal(SIGTERM);
  ASSERT_EQ(runner->Wait(30), 0) << ReadFile(runner_err_);
  const json report = json::parse(ReadFile(runner_out_));
  EXPECT_GE(report["decisions"].get<int>(), kMessages);  // at least once: a resend may repeat one
  EXPECT_EQ(report["malformed"], 0);
  EXPECT_GE(report["disconnects"].get<int>(), 1);
}

TEST_F(EdgeStreamTest, BadOptionsAreClearErrors) {
  auto r = RunTessera(dir_, "edge run --model model.json --in s --broker 127.0.0.1:notaport");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("expected host:port"), std::string::npos) << r.err;
  r = RunTessera(dir_, "edge run --model missing.json --in s");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing.json"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tessera::testing
