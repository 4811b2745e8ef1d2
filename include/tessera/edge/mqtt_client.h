// One connection to an MQTT broker (MQTT 3.1.1) through libmosquitto's threaded loop. It connects
// in the background and, when the broker goes away, reconnects with exponential backoff (1 s
// doubling to 8 s) and subscribes again. QoS 1 publications made while disconnected wait in
// libmosquitto's queue and go out after the reconnect. Callbacks run on libmosquitto's network
// thread and must not block.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/core/status.h"

struct mosquitto;
struct mosquitto_message;

namespace tessera::edge {

class MqttClient {
 public:
  struct Callbacks {
    std::function<void(const std::string& topic, std::string_view payload)> on_message;
    std::function<void()> on_acknowledged;  // the broker acknowledged one QoS 1 publication
    std::function<void(bool connected)> on_connection;  // false: lost (never for Stop())
  };

  // Starts connecting to host:port as `client_id`. A persistent session (clean session off)
  // keeps the subscriptions, and the QoS 1 messages for them, at the broker while this client is
  // away. An unreachable broker is not an error: the client keeps trying.
  static Result<std::unique_ptr<MqttClient>> Start(const std::string& client_id, bool persistent_session,
                                                   const std::string& host, int port,
                                                   std::vector<std::string> subscriptions, Callbacks callbacks);
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  Status Publish(const std::string& topic, std::string_view payload, int qos = 1);
  // Connected, and the broker has granted the subscriptions.
  bool connected() const { return connected_.load(); }
  // Waits up to `seconds` for connected() (true when it is).
  bool WaitConnected(double seconds) const;
  // Disconnects cleanly and stops the network thread; no callback runs after it returns.
  void Stop();

 private:
  MqttClient() = default;
  static void OnConnect(mosquitto*, void* self, int rc);
  static void OnDisconnect(mosquitto*, void* self, int rc);
  static void OnSubscribe(mosquitto*, void* self, int mid, int count, const int* granted);
  static void OnPublish(mosquitto*, void* self, int mid);
  static void OnMessage(mosquitto*, void* self, const mosquitto_message* message);

  mosquitto* mosq_ = nullptr;
  std::vector<std::string> subscriptions_;
  Callbacks callbacks_;
  std::atomic<bool> connected_{false};  // and subscribed
  bool stopped_ = false;
};

}  // namespace tessera::edge
