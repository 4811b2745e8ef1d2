#include "tessera/ui/ui_server.h"

#include <httplib.h>

#include <utility>
#include <vector>

#include "tessera/report/html.h"
#include "tessera/report/vega_bundle.h"
#include "tessera/ui/assets.h"

namespace tessera::ui {

namespace {

void Send(UiResponse&& answer, httplib::Response& res) {
  res.status = answer.status;
  res.body = std::move(answer.body);
  res.set_header("Content-Type", answer.content_type);
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
}

std::string_view Match(const httplib::Request& req, size_t i) {
  return i < req.matches.size() ? std::string_view(req.matches[i].first, req.matches[i].second)
                                : std::string_view();
}

// The page, a compiled-in static file, or a Vega bundle ("/static/vega/vega-lite.js").
UiResponse StaticFile(std::string_view path) {
  if (path == "/" || path == "/index.html") path = "/static/index.html";
  if (const Asset* asset = FindAsset(path))
    return {200, std::string(asset->bytes()), asset->content_type};
  constexpr std::string_view kVega = "/static/vega/";
  if (path.substr(0, kVega.size()) == kVega) {
    // Prepared once (thread-safe static): without the source map link, which the browser would
    // otherwise try to fetch.
    static const std::vector<std::pair<std::string, std::string>> scripts = [] {
      std::vector<std::pair<std::string, std::string>> out;
      for (const report::VegaLibrary& lib : report::VegaLibraries())
        out.emplace_back(std::string("/static/vega/") + lib.package + ".js",
                         report::ScriptForHtml(lib.source()));
      return out;
    }();
    for (const auto& [url, script] : scripts)
      if (path == url) return {200, script, "text/javascript; charset=utf-8"};
  }
  return JsonError(404, "no file " + std::string(path));
}

}  // namespace

UiServer::UiServer(const DashboardApi* api, UiServerOptions options)
    : api_(api), options_(std::move(options)), server_(std::make_unique<httplib::Server>()) {
  const size_t threads = static_cast<size_t>(std::max(options_.threads, 1));
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_payload_max_length(1 << 16);  // the dashboard takes no bodies
  AddRoutes();
}

UiServer::~UiServer() = default;

void UiServer::AddRoutes() {
  const DashboardApi* api = api_;
  auto route = [this](const char* pattern, auto handler) {
    server_->Get(pattern, [handler](const httplib::Request& req, httplib::Response& res) {
      Send(handler(req), res);
    });
  };
  route("/api/runs",
        [api](const httplib::Request& req) { return api->Runs(req.get_param_value("limit")); });
  route(R"(/api/runs/([^/]+))",
        [api](const httplib::Request& req) { return api->Run(Match(req, 1)); });
  route(R"(/api/runs/([^/]+)/metrics)",
        [api](const httplib::Request& req) { return api->RunMetrics(Match(req, 1)); });
  route("/api/models", [api](const httplib::Request&) { return api->Models(); });
  route(R"(/api/models/([^/]+))",
        [api](const httplib::Request& req) { return api->Model(Match(req, 1)); });
  route(R"(/api/models/([^/]+)/versions/([^/]+))",
        [api](const httplib::Request& req) { return api->Lineage(Match(req, 1), Match(req, 2)); });
  route("/api/drift", [api](const httplib::Request&) { return api->Drift(); });
  route(R"(/(?:index\.html|static/.+)?)",
        [](const httplib::Request& req) { return StaticFile(req.path); });

  server_->set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req,
                                                                     httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const std::string message =
        res.status == 404 ? "no route for " + req.method + " " + req.path +
                                "; the API is GET /api/runs, /api/runs/{id}, "
                                "/api/runs/{id}/metrics, /api/models, "
                                "/api/models/{name}, /api/models/{name}/versions/{v} and /api/drift"
                          : "HTTP error " + std::to_string(res.status);
    Send(JsonError(res.status, message), res);
    return httplib::Server::HandlerResponse::Handled;
  }));
  server_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        Send(JsonError(500, "internal error: " + what), res);
      });
}

Result<int> UiServer::Bind() {
  if (options_.port == 0) {
    const int port = server_->bind_to_any_port(options_.host);
    if (port < 0) return Status::UserError("cannot listen on " + options_.host + " (any port)");
    return port;
  }
  if (!server_->bind_to_port(options_.host, options_.port))
    return Status::UserError("cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port) +
                             " (in use, or not an address of this machine?)");
  return options_.port;
}

Status UiServer::Run() {
  if (!server_->listen_after_bind())
    return Status::Internal("the dashboard's HTTP server stopped with an error");
  return Status::Ok();
}

void UiServer::Stop() {
  server_->stop();
}

}  // namespace tessera::ui
