// HttpServer: the HTTP/1.1 front of `tessera serve`, on cpp-httplib (Debian's
// libcpp-httplib-dev). Maps methods and paths to the Api, times each handler into the
// ServerMetrics, and turns every answer of the HTTP layer itself (no such route, body over the
// limit, malformed request, an exception) into a JSON {"error": ...} body.
//
// Threading (cpp-httplib's model): one thread accepts connections and hands each to a fixed pool
// of `threads` workers; a worker serves its connection's keep-alive requests one after another
// until the client closes it, it stays idle for `keep_alive_seconds`, or `keep_alive_requests`
// have been served. So `threads` bounds the connections served at once; more wait in the queue.
// Handlers run on the workers and predict on that thread. Start/Stop from one controlling thread;
// Stop may also be called from another thread (a signal watcher) while Run blocks.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "tessera/core/status.h"
#include "tessera/serve/api.h"

namespace httplib {
class Server;
}

namespace tessera::serve {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                          // 0: any free port (see Bind)
  int threads = 64;                         // worker threads = connections served at once
  size_t max_body_bytes = 16u << 20;        // larger bodies get 413
  int keep_alive_seconds = 5;
  size_t keep_alive_requests = 10000;
};

class HttpServer {
 public:
  // `api` and `metrics` must outlive the server.
  HttpServer(const Api* api, ServerMetrics* metrics, HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the listening socket; returns the port (the one picked when options.port is 0).
  Result<int> Bind();
  // Serves until Stop(); returns an error if the server could not run.
  Status Run();
  void Stop();

 private:
  void AddRoutes();
  const Api* api_;
  ServerMetrics* metrics_;
  HttpServerOptions options_;
  std::unique_ptr<httplib::Server> server_;
};

}  // namespace tessera::serve
