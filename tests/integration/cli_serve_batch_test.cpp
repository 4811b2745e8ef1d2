// tessera serve --micro-batch-rows: concurrent requests coalesced into batch predicts each get
// exactly their own rows' answers (the same numbers tessera predict gives), for one-row and
// several-row requests and for v2 raw scores, and /metrics shows that batches really coalesced.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "run_binary.h"
#include "serve_process.h"

namespace tessera {
namespace {

using nlohmann::json;
using testing::RunTessera;
using testing::ServeProcess;
using testing::TempDir;

std::vector<std::string> SplitLine(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream in(line);
  for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

std::vector<double> ReadColumn(const std::string& path) {
  std::vector<double> out;
  std::istringstream in(testing::ReadFile(path));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) out.push_back(std::stod(line));
  return out;
}

// The value of the Prometheus sample `name` (no labels), -1 if absent.
double Sample(const std::string& metrics, const std::string& name) {
  const size_t at = metrics.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(metrics.substr(at + name.size() + 2));
}

TEST(ServeMicroBatch, ConcurrentRequestsGetExactlyTheirOwnAnswers) {
  TempDir dir;
  ASSERT_EQ(RunTessera(dir, "gen -o train.csv --rows 3000 --categoricals 2 --missing 0.05 --seed 1")
                .exit_code,
            0);
  auto train =
      RunTessera(dir,
                 "train --data train.csv --label label --categorical cat0,cat1 -o model.json "
                 "-p num_iterations=300 -p num_leaves=31 --no-track -q");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  ASSERT_EQ(RunTessera(dir, "gen -o test.csv --rows 1000 --categoricals 2 --missing 0.05 --seed 2")
                .exit_code,
            0);
  ASSERT_EQ(RunTessera(dir, "predict -m model.json --data test.csv -o pred.csv -q").exit_code, 0);
  ASSERT_EQ(
      RunTessera(dir, "predict -m model.json --data test.csv --raw-score -o raw.csv -q").exit_code,
      0);
  const std::vector<double> expected = ReadColumn(dir.Path("pred.csv")),
                            raw = ReadColumn(dir.Path("raw.csv"));
  ASSERT_EQ(expected.size(), 1000u);

  std::istringstream csv(testing::ReadFile(dir.Path("test.csv")));
  std::string line;
  std::getline(csv, line);
  std::vector<std::string> header = SplitLine(line);
  ASSERT_EQ(header.back(), "label");
  header.pop_back();
  std::vector<json> rows;  // the cells as text, without the label
  while (std::getline(csv, line)) {
    std::vector<std::string> cells = SplitLine(line);
    cells.resize(header.size());
    rows.emplace_back(cells);
  }
  ASSERT_EQ(rows.size(), 1000u);

  ServeProcess server(dir, "--model model.json --threads 32 --micro-batch-rows 32");
  ASSERT_TRUE(server.started()) << server.log();

  // 16 clients at once, 60 requests each over the 1,000 rows: even clients send one row, odd ones
  // three; every fourth request of a client is a v2 infer asking for the raw score.
  constexpr int kClients = 16, kRequests = 60;
  std::atomic<int> wrong{0}, failed{0}, sent_rows{0};
  std::vector<std::string> first_errors(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client client(server.host(), server.port());
      client.set_read_timeout(30, 0);
      const size_t n = c % 2 == 0 ? 1 : 3;
      for (int i = 0; i < kRequests; ++i) {
        const size_t first =
            (static_cast<size_t>(c) * 61 + static_cast<size_t>(i) * 7) % (rows.size() - n);
        const bool v2 = i % 4 == 3;
        json body;
        if (v2) {
          json inputs = json::array();
          for (size_t col = 0; col < header.size(); ++col) {
            json data = json::array();
            for (size_t r = first; r < first + n; ++r) data.push_back(rows[r][col]);
            inputs.push_back(
                {{"name", header[col]}, {"shape", {n}}, {"datatype", "BYTES"}, {"data", data}});
          }
          body = {{"inputs", inputs}, {"outputs", {{{"name", "raw_score"}}}}};
        } else {
          body = {{"columns", header}, {"data", json::array()}};
          for (size_t r = first; r < first + n; ++r) body["data"].push_back(rows[r]);
        }
        auto res = client.Post(v2 ? "/v2/models/model/infer" : "/predict", body.dump(),
                               "application/json");
        if (!res || res->status != 200) {
          if (failed++ == 0 || first_errors[c].empty())
            first_errors[c] = res ? res->body : httplib::to_string(res.error());
          continue;
        }
        const json answer = json::parse(res->body);
        const std::vector<double> got = v2 ? answer["outputs"][0]["data"].get<std::vector<double>>()
                                           : answer["predictions"].get<std::vector<double>>();
        const std::vector<double>& truth = v2 ? raw : expected;
        bool same = got.size() == n;
        for (size_t r = 0; same && r < n; ++r) same = got[r] == truth[first + r];
        if (!same) {
          if (wrong++ == 0 || first_errors[c].empty())
            first_errors[c] =
                "rows " + std::to_string(first) + "+" + std::to_string(n) + ": " + res->body;
        }
        sent_rows += static_cast<int>(n);
      }
    });
  }
  for (auto& t : clients) t.join();
  std::string errors;
  for (const auto& e : first_errors)
    if (!e.empty()) errors += e.substr(0, 300) + "\n";
  EXPECT_EQ(failed.load(), 0) << errors;
  EXPECT_EQ(wrong.load(), 0) << errors;

  httplib::Client client(server.host(), server.port());
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  const double batches = Sample(metrics->body, "tessera_micro_batch_requests_count");
  const double requests = Sample(metrics->body, "tessera_micro_batch_requests_sum");
  EXPECT_EQ(requests, kClients * kRequests) << "every request goes through the batcher";
  EXPECT_GT(batches, 0);
  EXPECT_LT(batches, requests) << "no two concurrent requests were ever predicted together";
  std::printf("micro-batching: %d requests in %.0f batches\n", kClients * kRequests, batches);
  EXPECT_EQ(server.Stop(), 0) << server.log();
}

}  // namespace
}  // namespace tessera
