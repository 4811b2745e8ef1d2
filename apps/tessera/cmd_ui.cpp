// tessera ui: the web dashboard (src/ui) — runs, metric curves, registered models, lineage and
// a served model's drift. Opens the store, listens, prints the address, serves until SIGINT or
// SIGTERM. See docs/serving.md.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "cli_common.h"
#include "commands.h"
#include "tessera/ui/ui_server.h"

namespace tessera::cli {

namespace {

struct UiFlags {
  std::string store, serve_url;
  ui::UiServerOptions http;
};

void RunUi(const UiFlags& f) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const std::string dir = StoreDir(f.store);
  // Only an existing store: a mistyped --store must not create an empty one and show nothing.
  if (!std::filesystem::exists(std::filesystem::path(dir) / "store.db"))
    Check(Status::UserError("no store at " + dir +
                            " (no store.db): give --store DIR or set $TESSERA_STORE to the "
                            "folder tessera train records runs in"));
  auto store = Check(registry::Store::Open(dir));
  std::unique_ptr<ui::DriftClient> drift;
  if (!f.serve_url.empty()) drift = Check(ui::DriftClient::Create(f.serve_url));
  ui::DashboardApi api(std::move(store), std::move(drift));
  ui::UiServer server(&api, f.http);
  const int port = Check(server.Bind());
  std::printf("tessera ui: listening on http://%s:%d\n", f.http.host.c_str(), port);
  std::fflush(stdout);

  std::atomic<bool> running{true};
  std::thread watcher([&] {
    int signal = 0;
    while (sigwait(&signals, &signal) != 0) {
    }
    while (running.load()) {  // Stop() is lost if it comes before the server runs
      server.Stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  const Status served = server.Run();
  if (running.exchange(false)) pthread_kill(watcher.native_handle(), SIGTERM);  // ends its sigwait
  watcher.join();
  Check(served);
  std::fprintf(stderr, "tessera ui: stopped\n");
}

}  // namespace

void RegisterUi(CLI::App* app) {
  auto f = std::make_shared<UiFlags>();
  CLI::App* cmd = app->add_subcommand(
      "ui", "Web dashboard: runs and metric curves, models and aliases, lineage, drift");
  cmd->add_option("--serve-url", f->serve_url,
                  "http://HOST:PORT of a running tessera serve whose drift gauges to show");
  cmd->add_option("--host", f->http.host,
                  "Address to listen on (the dashboard has no login: keep it local)")
      ->capture_default_str();
  cmd->add_option("--port", f->http.port, "Port (0 = any free port; the address is printed)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--threads", f->http.threads, "Worker threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  AddStoreFlag(cmd, &f->store);
  cmd->callback([f] { RunUi(*f); });
}

}  // namespace tessera::cli
