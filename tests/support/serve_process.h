// Runs `tessera serve` as a child process for integration tests: starts it with --port 0, reads
// the address it prints on stdout, and stops it (SIGTERM, then SIGKILL if it hangs) at the end.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_files.h"

namespace tessera::testing {

class ServeProcess {
 public:
  // `args`: what follows `tessera serve`, split at spaces; runs in `dir`, stderr to dir/<log>.
  ServeProcess(const TempDir& dir, const std::string& args, const std::string& log = "serve.log")
      : log_(dir.Path(log)) {
    std::vector<std::string> words = {TESSERA_BINARY, "serve"};
    std::istringstream in(args);
    for (std::string w; in >> w;) words.push_back(w);
    if (args.find("--port") == std::string::npos) words.insert(words.end(), {"--port", "0"});
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      if (chdir(dir.path().c_str()) != 0) _exit(127);
      dup2(out[1], 1);
      const int err = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (err >= 0) dup2(err, 2);
      close(out[0]);
      std::vector<char*> argv;
      for (auto& w : words) argv.push_back(w.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    stdout_fd_ = out[0];
    // The first line is "tessera serve: listening on http://HOST:PORT".
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{stdout_fd_, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char buf[256];
      const ssize_t n = read(stdout_fd_, buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    const size_t at = line.find("http://");
    const size_t colon = at == std::string::npos ? std::string::npos : line.find(':', at + 7);
    if (colon != std::string::npos) {
      host_ = line.substr(at + 7, colon - at - 7);
      port_ = std::atoi(line.c_str() + colon + 1);
    }
  }
  ~ServeProcess() {
    Stop();
    if (stdout_fd_ >= 0) close(stdout_fd_);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  bool started() const { return port_ > 0; }
  int port() const { return port_; }
  const std::string& host() const { return host_; }
  pid_t pid() const { return pid_; }
  std::string log() const { return ReadFile(log_); }
  void Signal(int signal) const {
    if (pid_ > 0) kill(pid_, signal);
  }

  // SIGTERM and wait (SIGKILL after 10 s); returns the exit code, -1 if it did not exit by itself.
  int Stop() {
    if (pid_ <= 0) return exit_code_;
    kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return exit_code_ = -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return exit_code_;
  }

 private:
  std::string log_, host_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1, port_ = 0, exit_code_ = -1;
};

}  // namespace tessera::testing
