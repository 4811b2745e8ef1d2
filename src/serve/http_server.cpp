#include "tessera/serve/http_server.h"

#include <httplib.h>

#include <sys/socket.h>

#include <chrono>

#include "tessera/serve/response_encoder.h"

namespace tessera::serve {

namespace {

using Clock = std::chrono::steady_clock;

// cpp-httplib 0.11 listens with a backlog of 5 connections: a burst of clients connecting at once
// (a load balancer opening its pool) would see dropped SYNs and one-second connect retries.
// listen() again on the bound socket sets a longer queue.
class ListeningServer : public httplib::Server {
 public:
  bool RaiseBacklog(int backlog) { return ::listen(svr_sock_, backlog) == 0; }
};

void Send(ApiResponse&& answer, httplib::Response& res) {
  res.status = answer.status;
  res.body = std::move(answer.body);
  res.set_header("Content-Type", std::string(answer.content_type));
}

std::string HttpLayerError(const httplib::Request& req, int status, size_t max_body_bytes) {
  switch (status) {
    case 404:
      return "no route for " + req.method + " " + req.path +
             "; the routes are GET /v2/health/live, GET /v2/health/ready, GET /v2/models/{name}, "
             "POST /v2/models/{name}/infer, POST /predict, POST /explain, GET /metrics and GET /drift";
    case 413:
      return "the request body is larger than the limit of " + std::to_string(max_body_bytes) +
             " bytes (tessera serve --max-body-bytes)";
    case 400:
      return "malformed HTTP request";
    default:
      return "HTTP error " + std::to_string(status);
  }
}

}  // namespace

HttpServer::HttpServer(const Api* api, ServerMetrics* metrics, HttpServerOptions options)
    : api_(api), metrics_(metrics), options_(std::move(options)), server_(std::make_unique<ListeningServer>()) {
  const size_t threads = static_cast<size_t>(std::max(options_.threads, 1));
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_payload_max_length(options_.max_body_bytes);
  server_->set_keep_alive_max_count(options_.keep_alive_requests);
  server_->set_keep_alive_timeout(options_.keep_alive_seconds);
  server_->set_tcp_nodelay(true);
  AddRoutes();
}

HttpServer::~HttpServer() = default;

void HttpServer::AddRoutes() {
  // Runs one handler, timed, and counts its answer.
  auto timed = [this](Route route, auto handler) {
    return [this, route, handler](const httplib::Request& req, httplib::Response& res) {
      const auto start = Clock::now();
      ApiResponse answer = handler(req);
      const int status = answer.status;
      Send(std::move(answer), res);
      metrics_->RecordRequest(route, status, std::chrono::duration<double>(Clock::now() - start).count());
    };
  };
  auto match = [](const httplib::Request& req, size_t i) -> std::string_view {
    return i < req.matches.size() ? std::string_view(req.matches[i].first, req.matches[i].second) : std::string_view();
  };
  const Api* api = api_;
  // The hot routes first: cpp-httplib tries the patterns of a method in order.
  server_->Post("/predict", timed(Route::kPredict, [api](const httplib::Request& req) { return api->Predict(req.body); }));
  server_->Post(R"(/v2/models/([^/]+)(?:/versions/([^/]+))?/infer)",
                timed(Route::kInfer, [api, match](const httplib::Request& req) {
                  return api->Infer(match(req, 1), match(req, 2), req.body);
                }));
  server_->Post("/explain", timed(Route::kExplain, [api](const httplib::Request& req) { return api->Explain(req.body); }));
  server_->Get("/v2/health/live", timed(Route::kLive, [api](const httplib::Request&) { return api->Live(); }));
  server_->Get("/v2/health/ready", timed(Route::kReady, [api](const httplib::Request&) { return api->Ready(); }));
  server_->Get("/v2", timed(Route::kServerMetadata, [api](const httplib::Request&) { return api->ServerMetadata(); }));
  server_->Get(R"(/v2/models/([^/]+)(?:/versions/([^/]+))?)",
               timed(Route::kModelMetadata, [api, match](const httplib::Request& req) {
                 return api->ModelMetadata(match(req, 1), match(req, 2));
               }));
  server_->Get(R"(/v2/models/([^/]+)(?:/versions/([^/]+))?/ready)",
               timed(Route::kModelReady, [api, match](const httplib::Request& req) {
                 return api->ModelReady(match(req, 1), match(req, 2));
               }));
  server_->Get("/metrics", timed(Route::kMetrics, [api](const httplib::Request&) { return api->Metrics(); }));
  server_->Get("/drift", timed(Route::kDrift, [api](const httplib::Request&) { return api->Drift(); }));

  // Answers the HTTP layer gives by itself (404, 413, 400) get a JSON body and are counted; the
  // handlers' own error answers already have a body and pass through.
  const size_t max_body = options_.max_body_bytes;
  server_->set_error_handler(httplib::Server::HandlerWithResponse(
      [this, max_body](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    res.body = ErrorBody(HttpLayerError(req, res.status, max_body));
    res.set_header("Content-Type", std::string(kJsonContentType));
    metrics_->RecordRequest(ClassifyRoute(req.path), res.status, -1);
    return httplib::Server::HandlerResponse::Handled;
  }));
  server_->set_exception_handler([this](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::bad_alloc&) {
      what = "out of memory";
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    res.status = 500;
    res.body = ErrorBody("internal error: " + what);
    res.set_header("Content-Type", std::string(kJsonContentType));
    metrics_->RecordRequest(ClassifyRoute(req.path), 500, -1);
  });
}

Result<int> HttpServer::Bind() {
  int port = options_.port;
  if (port == 0) {
    port = server_->bind_to_any_port(options_.host);
    if (port < 0) return Status::UserError("cannot listen on " + options_.host + " (any port)");
  } else if (!server_->bind_to_port(options_.host, port)) {
    return Status::UserError("cannot listen on " + options_.host + ":" + std::to_string(port) +
                             " (in use, or not an address of this machine?)");
  }
  if (!static_cast<ListeningServer*>(server_.get())->RaiseBacklog(SOMAXCONN))
    return Status::Internal("cannot set the listen queue of " + options_.host + ":" + std::to_string(port));
  return port;
}

Status HttpServer::Run() {
  if (!server_->listen_after_bind()) return Status::Internal("the HTTP server stopped with an error");
  return Status::Ok();
}

void HttpServer::Stop() { server_->stop(); }

}  // namespace tessera::serve
