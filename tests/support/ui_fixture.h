// A registry and a running model server for the dashboard's tests, made with the real binary:
// two tracked training runs (per-step validation metrics), model "churn" with version 1
// (@champion) and 2 (@challenger), `tessera serve` on models:/churn@champion that has received
// `kRowsSent` rows, and `tessera ui` pointed at it. Everything lives in one TempDir.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "run_binary.h"
#include "serve_process.h"

namespace tessera::testing {

class UiFixture {
 public:
  static constexpr size_t kRowsSent = 300;

  // Fails the test (fatally: call through ASSERT_NO_FATAL_FAILURE) when a step fails.
  void SetUp() {
    ASSERT_EQ(RunTessera(dir, "gen -o t.csv --rows 3000 --seed 7").exit_code, 0);
    for (const char* iterations : {"30", "50"}) {
      auto train =
          RunTessera(dir, std::string("train --data t.csv --label label --valid t.csv -o m") +
                              iterations + ".json -p num_iterations=" + iterations + " --json -q");
      ASSERT_EQ(train.exit_code, 0) << train.err;
      runs.push_back(nlohmann::json::parse(train.out)["run_id"]);
    }
    for (const auto& [run, alias] : std::vector<std::pair<std::string, std::string>>{
             {runs[0], "champion"}, {runs[1], "challenger"}}) {
      auto reg =
          RunTessera(dir, "models register churn --run " + run + " --alias " + alias + " --json");
      ASSERT_EQ(reg.exit_code, 0) << reg.err;
    }
    serve = std::make_unique<ServeProcess>(dir, "-m models:/churn@champion", "serve.log");
    ASSERT_TRUE(serve->started()) << serve->log();
    httplib::Client client(serve->host(), serve->port());
    auto res = client.Post("/predict", RowsBody(kRowsSent), "application/json");
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    ASSERT_EQ(res->status, 200) << res->body;
    serve_url = "http://" + serve->host() + ":" + std::to_string(serve->port());
    ui = std::make_unique<ServeProcess>(dir, "--serve-url " + serve_url, "ui.log", "ui");
    ASSERT_TRUE(ui->started()) << ui->log();
  }

  httplib::Client UiClient() const { return httplib::Client(ui->host(), ui->port()); }
  std::string UiUrl() const { return "http://" + ui->host() + ":" + std::to_string(ui->port()); }

  // {"columns": [...], "data": [[...], ...]}: the first `rows` rows of t.csv without the label.
  std::string RowsBody(size_t rows) const {
    std::ifstream in(dir.Path("t.csv"));
    std::string line;
    std::getline(in, line);
    std::vector<std::string> header = Split(line);
    nlohmann::json columns = nlohmann::json::array(), data = nlohmann::json::array();
    for (const auto& h : header)
      if (h != "label") columns.push_back(h);
    for (size_t r = 0; r < rows && std::getline(in, line); ++r) {
      const std::vector<std::string> cells = Split(line);
      nlohmann::json row = nlohmann::json::array();
      for (size_t c = 0; c < cells.size() && c < header.size(); ++c) {
        if (header[c] == "label") continue;
        char* end = nullptr;
        const double v = std::strtod(cells[c].c_str(), &end);
        if (!cells[c].empty() && end && *end == '\0')
          row.push_back(v);
        else
          row.push_back(cells[c]);
      }
      data.push_back(row);
    }
    return nlohmann::json{{"columns", columns}, {"data", data}}.dump();
  }

  TempDir dir;
  std::vector<std::string> runs;  // run ids: 30 and 50 iterations
  std::string serve_url;
  std::unique_ptr<ServeProcess> serve, ui;

 private:
  static std::vector<std::string> Split(const std::string& line) {
    std::vector<std::string> out;
    std::stringstream in(line);
    for (std::string cell; std::getline(in, cell, ',');) out.push_back(cell);
    return out;
  }
};

}  // namespace tessera::testing
