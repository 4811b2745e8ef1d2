// ModelReloader: keeps the served model in step with its source. It loads the first model, then
// a background thread checks the source every `interval` when it follows a registry alias
// (models:/name@alias), and at once when asked (SIGHUP, for any source). A new version is loaded
// and checked in that thread while requests go on with the old one, then swapped in through the
// ModelHolder; a version that fails to load or to predict is refused, logged once, and the old
// one keeps serving (a forced check tries a refused version again). Thread-safe: RequestReload
// and Stop may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "tessera/core/status.h"
#include "tessera/serve/model_holder.h"
#include "tessera/serve/model_source.h"

namespace tessera::serve {

struct ReloadOptions {
  std::chrono::milliseconds interval{2000};  // between checks of an alias
  size_t drift_window = 10000;               // rows in each model's drift window
  std::string name;                          // the name to serve under (empty: the source's)
  std::function<void(const std::string&)> log;        // one line per event (default: stderr)
  std::function<void(bool accepted)> on_reload;       // after each new version accepted or refused
};

class ModelReloader {
 public:
  // `source` and `holder` must outlive the reloader.
  ModelReloader(ModelSource* source, ModelHolder* holder, ReloadOptions options);
  ~ModelReloader();
  ModelReloader(const ModelReloader&) = delete;
  ModelReloader& operator=(const ModelReloader&) = delete;

  // Loads the model the source points at now into the holder; an error when it cannot be served.
  Status LoadInitial();
  // One check: when the source points at another model than the one served (and not at one
  // refused before, unless `retry_refused`), loads, checks and swaps it in. Ok when nothing
  // changed or the new model is served; the reason it was refused otherwise.
  Status CheckNow(bool retry_refused);

  // Starts the background thread.
  void Start();
  // Asks the background thread to check now, retrying a refused version (SIGHUP).
  void RequestReload();
  // Ends the background thread (also done by the destructor).
  void Stop();

 private:
  void Loop();
  void Log(const std::string& line) const;
  Status Load(const ModelIdentity& identity);

  ModelSource* source_;
  ModelHolder* holder_;
  ReloadOptions options_;
  std::optional<ModelIdentity> refused_;  // the last version refused, not retried by polling
  std::string last_check_error_;          // logged once while it lasts
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false, requested_ = false;
};

}  // namespace tessera::serve
