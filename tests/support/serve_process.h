// Runs `tessera serve` (or `tessera ui`, which prints the same first line) as a child process for
// integration tests: starts it with --port 0, reads the address it prints on stdout, and stops it
// (SIGTERM, then SIGKILL if it hangs) at the end.
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "test_files.h"

namespace tessera::testing {

class ServeProcess {
 public:
  // `args`: what follows `tessera <command>`, split at spaces; runs in `dir`, stderr to dir/<log>.
  ServeProcess(const TempDir& dir, const std::string& args, const std::string& log = "serve.log",
               const std::string& command = "serve")
      : log_(dir.Path(log)) {
    std::vector<std::string> words = {TESSERA_BINARY, command};
    std::istringstream in(args);
    for (std::string w; in >> w;) words.push_back(w);
    if (args.find("--port") == std::string::npos) words.insert(words.end(), {"--port", "0"});
    const std::string out = log_ + ".stdout";
    process_ = std::make_unique<ChildProcess>(words, out, log_, dir.path().string());
    // The first line is "tessera serve: listening on http://HOST:PORT" (or "tessera ui: ...").
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while ((line = ReadFile(out)).find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline &&
           process_->running())
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const size_t at = line.find("http://");
    const size_t colon = at == std::string::npos ? std::string::npos : line.find(':', at + 7);
    if (colon != std::string::npos) {
      host_ = line.substr(at + 7, colon - at - 7);
      port_ = std::atoi(line.c_str() + colon + 1);
    }
  }
  ~ServeProcess() { Stop(); }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  bool started() const { return port_ > 0; }
  int port() const { return port_; }
  const std::string& host() const { return host_; }
  pid_t pid() const { return process_->pid(); }
  std::string log() const { return ReadFile(log_); }
  void Signal(int signal) const { process_->Signal(signal); }

  // SIGTERM and wait (SIGKILL after 10 s); returns the exit code, -1 if it did not exit by itself.
  int Stop() {
    if (stopped_) return exit_code_;
    stopped_ = true;
    if (auto code = process_->Wait(0)) return exit_code_ = *code < 128 ? *code : -1;
    process_->Signal(SIGTERM);
    if (auto code = process_->Wait(10)) return exit_code_ = *code < 128 ? *code : -1;
    process_->Signal(SIGKILL);
    process_->Wait(10);
    return exit_code_ = -1;
  }

 private:
  std::string log_, host_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0, exit_code_ = -1;
  bool stopped_ = false;
};

}  // namespace tessera::testing
