// UiServer: the HTTP front of `tessera ui` on cpp-httplib. Serves the dashboard page and its
// static files (compiled in: assets.h, and the Vega bundles of report/vega_bundle.h under
// /static/vega/), and maps GET /api/... to the DashboardApi. Anything else gets a JSON 404;
// an exception in a handler a JSON 500. Start/Stop as HttpServer (serve/http_server.h): Bind,
// then Run blocks until Stop, which another thread may call.
#pragma once

#include <memory>
#include <string>

#include "tessera/core/status.h"
#include "tessera/ui/dashboard_api.h"

namespace httplib {
class Server;
}

namespace tessera::ui {

struct UiServerOptions {
  std::string host = "127.0.0.1";  // the dashboard has no authentication: loopback by default
  int port = 8090;                 // 0: any free port
  // Worker threads = connections served at once (cpp-httplib serves a keep-alive connection on one
  // thread until it closes): a browser opens up to 6 per page, so fewer would make requests wait
  // for another connection's idle timeout.
  int threads = 16;
};

class UiServer {
 public:
  // `api` must outlive the server.
  UiServer(const DashboardApi* api, UiServerOptions options);
  ~UiServer();
  UiServer(const UiServer&) = delete;
  UiServer& operator=(const UiServer&) = delete;

  Result<int> Bind();  // the port (the one picked when options.port is 0)
  Status Run();
  void Stop();

 private:
  void AddRoutes();
  const DashboardApi* api_;
  UiServerOptions options_;
  std::unique_ptr<httplib::Server> server_;
};

}  // namespace tessera::ui
