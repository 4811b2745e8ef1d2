// tessera serve through the real binary and a real HTTP client: predictions equal `tessera
// predict` on the same rows, the v2 protocol, /explain, errors as JSON (400, 404, 413, 422),
// 10,000 malformed requests, /metrics, hot reload under load, and a real Prometheus scrape.
#include <httplib.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "required_tool.h"
#include "run_binary.h"
#include "serve_process.h"

namespace tessera {
namespace {

using nlohmann::json;
using testing::RunTessera;
using testing::ServeProcess;
using testing::TempDir;

struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

Csv ReadCsv(const std::string& path, size_t max_rows) {
  Csv csv;
  std::istringstream in(testing::ReadFile(path));
  std::string line;
  bool first = true;
  while (std::getline(in, line) && csv.rows.size() < max_rows) {
    std::vector<std::string> cells;
    size_t start = 0;
    for (size_t comma; (comma = line.find(',', start)) != std::string::npos; start = comma + 1)
      cells.push_back(line.substr(start, comma - start));
    cells.push_back(line.substr(start));
    if (first) csv.header = cells;
    else csv.rows.push_back(cells);
    first = false;
  }
  return csv;
}

std::vector<double> ReadColumn(const std::string& path) {
  std::vector<double> out;
  std::istringstream in(testing::ReadFile(path));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) out.push_back(std::stod(line));
  return out;
}

// {"columns": [...], "data": [[...]]} with every value as the CSV's text.
std::string SplitBody(const Csv& csv) {
  json body = {{"columns", csv.header}, {"data", json::array()}};
  for (const auto& row : csv.rows) body["data"].push_back(row);
  return body.dump();
}

bool IsCategory(const std::string& column) { return column.rfind("cat", 0) == 0; }

// {"instances": [{...}]} with numbers as JSON numbers, categories as strings, empty as null.
std::string InstancesBody(const Csv& csv) {
  json instances = json::array();
  for (const auto& row : csv.rows) {
    json record;
    for (size_t c = 0; c < csv.header.size(); ++c) {
      const std::string& v = row[c];
      if (v.empty()) record[csv.header[c]] = nullptr;
      else if (IsCategory(csv.header[c])) record[csv.header[c]] = v;
      else record[csv.header[c]] = std::stod(v);
    }
    instances.push_back(record);
  }
  return json{{"instances", instances}}.dump();
}

std::string V2Body(const Csv& csv) {
  json inputs = json::array();
  for (size_t c = 0; c < csv.header.size(); ++c) {
    const bool text = IsCategory(csv.header[c]);
    json data = json::array();
    for (const auto& row : csv.rows) {
      if (row[c].empty()) data.push_back(nullptr);
      else if (text) data.push_back(row[c]);
      else data.push_back(std::stod(row[c]));
    }
    inputs.push_back({{"name", csv.header[c]}, {"shape", {csv.rows.size()}}, {"datatype", text ? "BYTES" : "FP64"}, {"data", data}});
  }
  return json{{"id", "req-7"}, {"inputs", inputs}, {"outputs", {{{"name", "prediction"}}, {{"name", "raw_score"}}}}}.dump();
}

// Trains a model on synthetic data with two categorical columns and missing values.
void TrainModel(const TempDir& dir, const std::string& out, int trees, int seed = 1) {
  ASSERT_EQ(RunTessera(dir, "gen -o train.csv --rows 3000 --categoricals 2 --missing 0.05 --seed " + std::to_string(seed)).exit_code, 0);
  auto train = RunTessera(dir, "train --data train.csv --label label --categorical cat0,cat1 -o " + out +
                                   " -p num_iterations=" + std::to_string(trees) + " -p num_leaves=15 --no-track -q");
  ASSERT_EQ(train.exit_code, 0) << train.err;
}

class ServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    TrainModel(*dir_, "model.json", 30);
    ASSERT_EQ(RunTessera(*dir_, "gen -o test.csv --rows 1000 --categoricals 2 --missing 0.05 --seed 2").exit_code, 0);
    server_ = new ServeProcess(*dir_, "--model model.json --max-body-bytes 1000000 --threads 8 --drift-window 1000");
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  void SetUp() override { ASSERT_TRUE(server_->started()) << server_->log(); }

  static httplib::Client Client() {
    httplib::Client client(server_->host(), server_->port());
    client.set_read_timeout(30, 0);
    return client;
  }
  // The test rows without the label column, as the server and `tessera predict` get them.
  static Csv TestRows(size_t rows) {
    Csv csv = ReadCsv(dir_->Path("test.csv"), rows);
    const size_t label = csv.header.size() - 1;
    EXPECT_EQ(csv.header[label], "label");
    csv.header.pop_back();
    for (auto& row : csv.rows) row.resize(label);
    return csv;
  }
  static void ExpectJsonError(const httplib::Result& res, int status, const std::string& says) {
    ASSERT_TRUE(res) << "no answer";
    EXPECT_EQ(res->status, status) << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
    const json body = json::parse(res->body, nullptr, false);
    ASSERT_TRUE(body.is_object() && body.contains("error")) << res->body;
    EXPECT_NE(body["error"].get<std::string>().find(says), std::string::npos) << res->body;
  }

  static TempDir* dir_;
  static ServeProcess* server_;
};
TempDir* ServeTest::dir_ = nullptr;
ServeProcess* ServeTest::server_ = nullptr;

TEST_F(ServeTest, HealthAndV2Metadata) {
  auto client = Client();
  auto live = client.Get("/v2/health/live");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  EXPECT_EQ(json::parse(live->body)["live"], true);
  auto ready = client.Get("/v2/health/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  auto meta = client.Get("/v2/models/model");
  ASSERT_TRUE(meta);
  ASSERT_EQ(meta->status, 200) << meta->body;
  const json m = json::parse(meta->body);
  EXPECT_EQ(m["name"], "model");
  EXPECT_EQ(m["platform"], "tessera");
  ASSERT_EQ(m["inputs"].size(), 30u);  // f0..f27, cat0, cat1
  EXPECT_EQ(m["inputs"][0]["name"], "f0");
  EXPECT_EQ(m["inputs"][0]["datatype"], "FP32");
  EXPECT_EQ(m["inputs"][28]["name"], "cat0");
  EXPECT_EQ(m["inputs"][28]["datatype"], "BYTES");
  EXPECT_EQ(m["outputs"][0]["name"], "prediction");
  ExpectJsonError(client.Get("/v2/models/other"), 404, "this server serves 'model'");
  auto model_ready = client.Get("/v2/models/model/ready");
  ASSERT_TRUE(model_ready);
  EXPECT_EQ(model_ready->status, 200);
}

TEST_F(ServeTest, PredictionsEqualTheCliOnTheSameRows) {
  const Csv rows = TestRows(100);
  ASSERT_EQ(RunTessera(*dir_, "predict -m model.json --data test.csv -o pred.csv -q").exit_code, 0);
  ASSERT_EQ(RunTessera(*dir_, "predict -m model.json --data test.csv --raw-score -o raw.csv -q").exit_code, 0);
  std::vector<double> expected = ReadColumn(dir_->Path("pred.csv")), raw = ReadColumn(dir_->Path("raw.csv"));
  ASSERT_EQ(expected.size(), 1000u);
  expected.resize(100);
  raw.resize(100);
  auto client = Client();
  for (const std::string& body : {SplitBody(rows), InstancesBody(rows)}) {
    auto res = client.Post("/predict", body, "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(json::parse(res->body)["predictions"].get<std::vector<double>>(), expected);
  }
  auto v2 = client.Post("/v2/models/model/infer", V2Body(rows), "application/json");
  ASSERT_TRUE(v2);
  ASSERT_EQ(v2->status, 200) << v2->body;
  const json answer = json::parse(v2->body);
  EXPECT_EQ(answer["model_name"], "model");
  EXPECT_EQ(answer["id"], "req-7");
  ASSERT_EQ(answer["outputs"].size(), 2u);
  EXPECT_EQ(answer["outputs"][0]["name"], "prediction");
  EXPECT_EQ(answer["outputs"][0]["shape"], json::array({100}));
  EXPECT_EQ(answer["outputs"][0]["data"].get<std::vector<double>>(), expected);
  EXPECT_EQ(answer["outputs"][1]["data"].get<std::vector<double>>(), raw);
  // One row at a time gives the same numbers.
  for (size_t r = 0; r < 5; ++r) {
    Csv one = rows;
    one.rows = {rows.rows[r]};
    auto res = client.Post("/predict", SplitBody(one), "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(json::parse(res->body)["predictions"][0].get<double>(), expected[r]);
  }
}

TEST_F(ServeTest, ExplainAddsUpToTheRawScores) {
  Csv rows = TestRows(3);
  auto client = Client();
  auto res = client.Post("/explain", SplitBody(rows), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json e = json::parse(res->body);
  ASSERT_EQ(e["features"].size(), 30u);
  ASSERT_EQ(e["contributions"].size(), 3u);
  auto v2 = client.Post("/v2/models/model/infer", V2Body(rows), "application/json");
  ASSERT_TRUE(v2);
  const auto raw = json::parse(v2->body)["outputs"][1]["data"].get<std::vector<double>>();
  for (size_t r = 0; r < 3; ++r) {
    double sum = e["expected_value"].get<double>();
    for (const auto& c : e["contributions"][r]) sum += c.get<double>();
    EXPECT_NEAR(sum, raw[r], 1e-9);
    EXPECT_EQ(e["raw_scores"][r].get<double>(), raw[r]);
  }
}

TEST_F(ServeTest, BadRequestsGetJsonErrors) {
  auto client = Client();
  ExpectJsonError(client.Post("/predict", "{\"instances\": [", "application/json"), 400, "not valid JSON");
  ExpectJsonError(client.Post("/predict", "", "application/json"), 400, "empty");
  const Csv rows = TestRows(1);
  json record;
  for (size_t c = 0; c < rows.header.size(); ++c) record[rows.header[c]] = 1;
  json unknown = record;
  unknown["colour"] = "red";
  ExpectJsonError(client.Post("/predict", json{{"instances", {unknown}}}.dump(), "application/json"), 422,
                  "unknown column \"colour\"");
  json wrong = record;
  wrong["f3"] = "tall";
  ExpectJsonError(client.Post("/predict", json{{"instances", {wrong}}}.dump(), "application/json"), 422,
                  "instances[0], column \"f3\": expected a number or null, found \"tall\"");
  json missing = record;
  missing.erase("f7");
  ExpectJsonError(client.Post("/predict", json{{"instances", {missing}}}.dump(), "application/json"), 422,
                  "no value for column \"f7\"");
  ExpectJsonError(client.Post("/v2/models/model/infer", "{\"inputs\": 3}", "application/json"), 422, "\"inputs\" must be");
  ExpectJsonError(client.Post("/v2/models/churn/infer", "{}", "application/json"), 404, "not served here");
  ExpectJsonError(client.Post("/predict", std::string(1100000, ' '), "application/json"), 413, "larger than the limit of 1000000");
  ExpectJsonError(client.Get("/predict"), 404, "no route for GET /predict");
  ExpectJsonError(client.Get("/nothing/here"), 404, "no route");
  // The connection still serves after all that.
  auto live = client.Get("/v2/health/live");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
}

// Mutations of valid bodies (truncated, bytes flipped or inserted, types swapped), random bytes,
// deep nesting and oversized bodies, to every route: each gets an answer, every error a JSON body.
TEST_F(ServeTest, SurvivesTenThousandMalformedRequests) {
  const Csv rows = TestRows(2);
  const std::vector<std::string> bodies = {SplitBody(rows), InstancesBody(rows), V2Body(rows)};
  const std::vector<std::string> paths = {"/predict", "/v2/models/model/infer", "/explain", "/v2/models/model",
                                          "/v2/health/live", "/metrics", "/v2/models/model/versions/x/infer", "/p"};
  std::mt19937_64 rng(2024);
  auto client = Client();
  std::map<int, int> statuses;
  for (int i = 0; i < 10000; ++i) {
    std::string body = bodies[rng() % bodies.size()];
    switch (rng() % 7) {
      case 0:
        body.resize(rng() % body.size());
        break;
      case 1:
        for (int k = 0, n = 1 + static_cast<int>(rng() % 8); k < n; ++k) body[rng() % body.size()] = static_cast<char>(rng());
        break;
      case 2:
        body.insert(rng() % body.size(), std::string(1 + rng() % 4, static_cast<char>(rng())));
        break;
      case 3: {  // a value of another type
        static const char* kSwaps[] = {"[", "{", "null", "true", "\"x\"", "-1e999", "\"\\ud800\""};
        const size_t at = body.find_first_of(",:", rng() % body.size());
        if (at != std::string::npos) body.insert(at + 1, kSwaps[rng() % 7]);
        break;
      }
      case 4:
        body.clear();
        for (size_t k = 0, n = rng() % 200; k < n; ++k) body += static_cast<char>(rng());
        break;
      case 5:
        body = std::string(1 + rng() % 20000, '[');
        break;
      default:
        if (rng() % 50 == 0) body = std::string(1100000, 'x');  // over the limit
        break;
    }
    const std::string& path = rng() % 4 == 0 ? paths[rng() % paths.size()] : paths[rng() % 3];
    auto res = rng() % 10 == 0 ? client.Get(path) : client.Post(path, body, "application/json");
    ASSERT_TRUE(res) << "request " << i << " got no answer (" << httplib::to_string(res.error()) << ")";
    ++statuses[res->status];
    ASSERT_TRUE(res->status == 200 || res->status == 400 || res->status == 404 || res->status == 413 || res->status == 422)
        << "request " << i << ": " << res->status << " " << res->body;
    if (res->status >= 400) {
      const json answer = json::parse(res->body, nullptr, false);
      ASSERT_TRUE(answer.is_object() && answer.contains("error")) << "request " << i << ": " << res->body;
    }
  }
  EXPECT_GT(statuses[400], 1000);
  EXPECT_GT(statuses[422], 500);
  EXPECT_GT(statuses[413], 10);
  auto live = Client().Get("/v2/health/live");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
}

// The PSI gauge of feature f0 in a /metrics text.
double PsiOf(const std::string& metrics, const std::string& feature) {
  const std::string key = "tessera_feature_psi{feature=\"" + feature + "\"} ";
  const size_t at = metrics.find(key);
  EXPECT_NE(at, std::string::npos) << feature;
  return at == std::string::npos ? NAN : std::stod(metrics.substr(at + key.size()));
}

TEST_F(ServeTest, MetricsCountRequestsAndShowDrift) {
  auto client = Client();
  // The drift window (1,000 rows here) filled with rows like the training data.
  const Csv rows = TestRows(1000);
  ASSERT_EQ(client.Post("/predict", SplitBody(rows), "application/json")->status, 200);
  ASSERT_EQ(client.Post("/predict", "{}", "application/json")->status, 422);
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = res->body;
  EXPECT_NE(text.find("tessera_requests_total{route=\"/predict\",status=\"200\"} "), std::string::npos) << text;
  EXPECT_NE(text.find("tessera_requests_total{route=\"/predict\",status=\"422\"} "), std::string::npos);
  EXPECT_NE(text.find("tessera_request_duration_seconds_bucket{route=\"/predict\",le=\"+Inf\"} "), std::string::npos);
  EXPECT_NE(text.find("tessera_batch_rows_bucket{le=\"1000\"} "), std::string::npos);
  EXPECT_NE(text.find("tessera_prediction_score_bucket{le=\"0.5\"} "), std::string::npos);
  EXPECT_NE(text.find("tessera_model_info{name=\"model\",version=\"\",artifact=\""), std::string::npos);
  EXPECT_NE(text.find("tessera_drift_window_rows 1000\n"), std::string::npos);
  for (const char* feature : {"f0", "f13", "f27", "cat0", "cat1"}) EXPECT_LT(PsiOf(text, feature), 0.1) << feature;
  // The same value of f0 in every row: a major shift of f0 alone.
  Csv same = rows;
  for (auto& row : same.rows) row[0] = "1000";
  ASSERT_EQ(client.Post("/predict", SplitBody(same), "application/json")->status, 200);
  const std::string after = client.Get("/metrics")->body;
  EXPECT_GT(PsiOf(after, "f0"), 1.0);
  EXPECT_LT(PsiOf(after, "f13"), 0.1);
}

// Clients hammer /predict while the alias moves to a new version, then to a broken one (refused,
// the old one keeps serving), then SIGHUP loads it once it is repaired: no request fails.
// `flags`: more server flags (the micro-batcher).
void AliasMovesUnderLoadWithoutFailedRequests(const std::string& flags) {
  TempDir dir;
  TrainModel(dir, "m1.json", 3);
  TrainModel(dir, "m2.json", 12);
  TrainModel(dir, "m3.json", 20);
  ASSERT_EQ(RunTessera(dir, "models register churn --model m1.json --alias champion").exit_code, 0);
  ASSERT_EQ(RunTessera(dir, "models register churn --model m2.json").exit_code, 0);
  auto v3 = RunTessera(dir, "models register churn --model m3.json --json");
  ASSERT_EQ(v3.exit_code, 0) << v3.err;
  const std::string sha = json::parse(v3.out)["artifact"];
  ServeProcess server(dir, "--model models:/churn@champion --reload-interval-ms 100 --threads 16 " + flags);
  ASSERT_TRUE(server.started()) << server.log();

  Csv one = ReadCsv(dir.Path("train.csv"), 1);
  one.header.pop_back();
  one.rows[0].pop_back();
  const std::string body = SplitBody(one);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, requests{0};
  std::vector<std::set<double>> seen(4);
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&, t] {
      httplib::Client client(server.host(), server.port());
      client.set_read_timeout(30, 0);
      while (!stop.load()) {
        auto res = client.Post("/predict", body, "application/json");
        ++requests;
        if (!res || res->status != 200) {
          ++failures;
          continue;
        }
        seen[t].insert(json::parse(res->body)["predictions"][0].get<double>());
      }
    });
  httplib::Client control(server.host(), server.port());
  auto served_version = [&] {
    auto res = control.Get("/v2/models/churn");
    return res && res->status == 200 ? json::parse(res->body)["versions"][0].get<std::string>() : std::string("?");
  };
  auto wait_for_version = [&](const std::string& version) {
    for (int i = 0; i < 200 && served_version() != version; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return served_version();
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(served_version(), "1");
  ASSERT_EQ(RunTessera(dir, "models alias churn champion 2").exit_code, 0);
  EXPECT_EQ(wait_for_version("2"), "2");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  // Version 3's artifact is damaged on disk: the server refuses it and keeps version 2.
  const std::string artifact = dir.Path("tessera-store/artifacts/" + sha.substr(0, 2) + "/" + sha);
  const std::string good = testing::ReadFile(artifact);
  std::string bad = good;
  bad[bad.size() / 2] ^= 1;
  dir.Write("tessera-store/artifacts/" + sha.substr(0, 2) + "/" + sha, bad);
  ASSERT_EQ(RunTessera(dir, "models alias churn champion 3").exit_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_EQ(served_version(), "2");
  EXPECT_NE(server.log().find("refused 'churn' version 3"), std::string::npos) << server.log();

  // Repaired, it is still not retried by polling; SIGHUP retries it.
  dir.Write("tessera-store/artifacts/" + sha.substr(0, 2) + "/" + sha, good);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(served_version(), "2");
  server.Signal(SIGHUP);
  EXPECT_EQ(wait_for_version("3"), "3");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  for (auto& c : clients) c.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(requests.load(), 200);
  std::set<double> all;
  for (const auto& s : seen) all.insert(s.begin(), s.end());
  EXPECT_EQ(all.size(), 3u);  // the three versions' predictions for the row
  const std::string metrics = control.Get("/metrics")->body;
  EXPECT_NE(metrics.find("tessera_model_reloads_total{result=\"accepted\"} 2\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("tessera_model_reloads_total{result=\"refused\"} 1\n"), std::string::npos) << metrics;
  EXPECT_EQ(server.Stop(), 0) << server.log();
}

TEST(ServeReload, AliasMovesUnderLoadWithoutFailedRequests) { AliasMovesUnderLoadWithoutFailedRequests(""); }

// The same through the micro-batcher: a batch never mixes versions, and the metrics still count.
TEST(ServeReload, AliasMovesUnderLoadWithMicroBatching) {
  AliasMovesUnderLoadWithoutFailedRequests("--micro-batch-rows 16");
}

// Debian's Prometheus scrapes the server every second; its query API then returns the counter.
TEST(ServePrometheus, RealPrometheusScrapesTheRequestCounter) {
  if (access("/usr/bin/prometheus", X_OK) != 0)
    TESSERA_MISSING_TOOL("/usr/bin/prometheus not found (scripts/bootstrap installs prometheus)");
  TempDir dir;
  TrainModel(dir, "m.json", 5);
  ServeProcess server(dir, "--model m.json --threads 8");
  ASSERT_TRUE(server.started()) << server.log();
  const int prom_port = testing::FreeLoopbackPort();
  ASSERT_GT(prom_port, 0);
  dir.Write("prometheus.yml", "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n"
                              "  - job_name: tessera\n    scrape_interval: 1s\n    static_configs:\n"
                              "      - targets: ['127.0.0.1:" + std::to_string(server.port()) + "']\n");
  const std::string log = dir.Path("prometheus.log");
  testing::ChildProcess prometheus_process(
      {"/usr/bin/prometheus", "--config.file=" + dir.Path("prometheus.yml"), "--storage.tsdb.path=" + dir.Path("tsdb"),
       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
      log, log);
  Csv one = ReadCsv(dir.Path("train.csv"), 1);
  one.header.pop_back();
  one.rows[0].pop_back();
  httplib::Client client(server.host(), server.port());
  for (int i = 0; i < 20; ++i) ASSERT_EQ(client.Post("/predict", SplitBody(one), "application/json")->status, 200);

  httplib::Client prometheus("127.0.0.1", prom_port);
  double counted = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (counted < 20 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto res = prometheus.Get("/api/v1/query?query=tessera_requests_total%7Broute%3D%22%2Fpredict%22%2Cstatus%3D%22200%22%7D");
    if (!res || res->status != 200) continue;
    const json answer = json::parse(res->body, nullptr, false);
    if (answer.is_discarded() || answer["status"] != "success" || answer["data"]["result"].empty()) continue;
    counted = std::stod(answer["data"]["result"][0]["value"][1].get<std::string>());
    EXPECT_EQ(answer["data"]["result"][0]["metric"]["job"], "tessera");
  }
  prometheus_process.Signal(SIGTERM);
  prometheus_process.Wait(30);
  EXPECT_EQ(counted, 20) << testing::ReadFile(dir.Path("prometheus.log"));
}

}  // namespace
}  // namespace tessera
