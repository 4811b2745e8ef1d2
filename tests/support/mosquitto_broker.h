// A real mosquitto broker on a free loopback port for the stream tests, with persistence on so a
// restart keeps persistent sessions and their queued QoS 1 messages (as a production broker
// configured for at-least-once delivery would).
#pragma once

#include <fcntl.h>
#include <pwd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "child_process.h"
#include "test_files.h"

namespace tessera::testing {

constexpr const char* kMosquittoBinary = "/usr/sbin/mosquitto";

inline bool HaveMosquitto() { return access(kMosquittoBinary, X_OK) == 0; }

class MosquittoBroker {
 public:
  explicit MosquittoBroker(const TempDir& dir) : dir_(dir), port_(FreeLoopbackPort()) {
    std::filesystem::create_directories(dir.Path("mosquitto"));
    config_ = dir.Write("mosquitto/mosquitto.conf", "listener " + std::to_string(port_) +
                                                        " 127.0.0.1\nallow_anonymous true\npersistence true\n"
                                                        "persistence_location " + dir.Path("mosquitto") + "/\n"
                                                        "max_queued_messages 100000\n"
                                                        // As root, mosquitto would switch to user mosquitto, who cannot write here.
                                                        "user " + std::string(getpwuid(getuid())->pw_name) + "\n");
    Start();
  }
  int port() const { return port_; }
  bool Start() {
    process_ = std::make_unique<ChildProcess>(std::vector<std::string>{kMosquittoBinary, "-c", config_},
                                              dir_.Path("mosquitto/out.log"), dir_.Path("mosquitto/err.log"));
    return WaitForLoopbackPort(port_, 10);
  }
  // A graceful stop (the broker saves its sessions); false if it did not exit.
  bool Stop() {
    process_->Signal(SIGTERM);
    return process_->Wait(10).has_value();
  }
  std::string log() const { return ReadFile(dir_.Path("mosquitto/err.log")); }

 private:
  const TempDir& dir_;
  int port_;
  std::string config_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace tessera::testing
