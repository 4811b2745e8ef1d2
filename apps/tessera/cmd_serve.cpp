// tessera serve: the model server (src/serve). Loads the model, listens, prints the address,
// serves until SIGINT/SIGTERM; SIGHUP reloads the model. See docs/serving.md.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "cli_common.h"
#include "commands.h"
#include "tessera/serve/api.h"
#include "tessera/serve/http_server.h"
#include "tessera/serve/model_reloader.h"

namespace tessera::cli {

namespace {

struct ServeFlags {
  std::string model, name, store;
  serve::HttpServerOptions http;
  int reload_interval_ms = 2000;
  size_t drift_window = 10000;
  size_t micro_batch_rows = 0;  // 0: off
};

void RunServe(const ServeFlags& f) {
  // A watcher thread takes the signals with sigwait: block them before any thread starts, so
  // that every thread inherits the mask and none is interrupted by them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  serve::ModelSource source(f.model, StoreDir(f.store));
  serve::ModelHolder holder;
  std::unique_ptr<serve::ServerMetrics> metrics;  // its score buckets come from the first model
  serve::ReloadOptions reload;
  reload.interval = std::chrono::milliseconds(f.reload_interval_ms);
  reload.drift_window = f.drift_window;
  reload.name = f.name;
  reload.on_reload = [&metrics](bool accepted) {
    if (metrics) metrics->RecordReload(accepted);
  };
  serve::ModelReloader reloader(&source, &holder, reload);
  Check(reloader.LoadInitial());
  metrics = std::make_unique<serve::ServerMetrics>(serve::ScoreBuckets(holder.Get()->model()));
  std::unique_ptr<serve::MicroBatcher> batcher;
  if (f.micro_batch_rows > 0) batcher = std::make_unique<serve::MicroBatcher>(f.micro_batch_rows, metrics.get());
  serve::Api api(&holder, metrics.get(), batcher.get());
  serve::HttpServer server(&api, metrics.get(), f.http);
  const int port = Check(server.Bind());
  std::printf("tessera serve: listening on http://%s:%d\n", f.http.host.c_str(), port);
  std::fflush(stdout);
  reloader.Start();

  std::atomic<bool> running{true};
  std::thread watcher([&] {
    for (;;) {
      int signal = 0;
      if (sigwait(&signals, &signal) != 0) continue;
      if (signal == SIGHUP) {
        reloader.RequestReload();
        continue;
      }
      // Stop() is lost if it comes before the server runs: repeat it until Run() returns.
      while (running.load()) {
        server.Stop();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      return;
    }
  });
  const Status served = server.Run();
  if (running.exchange(false)) pthread_kill(watcher.native_handle(), SIGTERM);  // ends its sigwait
  watcher.join();
  reloader.Stop();
  Check(served);
  std::fprintf(stderr, "tessera serve: stopped\n");
}

}  // namespace

void RegisterServe(CLI::App* app) {
  auto f = std::make_shared<ServeFlags>();
  CLI::App* cmd = app->add_subcommand("serve", "Serve a model over HTTP (KServe v2 and MLflow-style JSON, /metrics)");
  cmd->add_option("--model,-m", f->model, "Model file or registry reference (models:/name@alias follows the alias)")
      ->required();
  cmd->add_option("--name", f->name, "Name to serve the model under (default: the registered name or file stem)");
  cmd->add_option("--host", f->http.host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", f->http.port, "Port (0 = any free port; the address is printed)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--threads", f->http.threads, "Worker threads = connections served at once")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  cmd->add_option("--max-body-bytes", f->http.max_body_bytes, "Largest request body; larger ones get 413")
      ->check(CLI::Range(size_t{1}, size_t{1} << 34))
      ->capture_default_str();
  cmd->add_option("--reload-interval-ms", f->reload_interval_ms, "How often an alias is checked for a new version")
      ->check(CLI::Range(10, 86400000))
      ->capture_default_str();
  cmd->add_option("--drift-window", f->drift_window, "Recent rows the drift (PSI) gauges are computed over")
      ->check(CLI::Range(size_t{1}, size_t{100000000}))
      ->capture_default_str();
  cmd->add_option("--micro-batch-rows", f->micro_batch_rows,
                  "Predict concurrent requests together in batches of up to N rows (0 = each on its own; "
                  "see docs/serving.md for when it helps)")
      ->check(CLI::Range(size_t{0}, size_t{100000}))
      ->capture_default_str();
  AddStoreFlag(cmd, &f->store);
  cmd->callback([f] { RunServe(*f); });
}

}  // namespace tessera::cli
