#include "tessera/edge/mqtt_client.h"

#include <mosquitto.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

namespace tessera::edge {

namespace {

std::string MosquittoError(int rc) {
  return rc == MOSQ_ERR_ERRNO ? std::string(mosquitto_strerror(rc)) + " (errno " + std::to_string(errno) + ")"
                              : std::string(mosquitto_strerror(rc));
}

}  // namespace

Result<std::unique_ptr<MqttClient>> MqttClient::Start(const std::string& client_id, bool persistent_session,
                                                      const std::string& host, int port,
                                                      std::vector<std::string> subscriptions, Callbacks callbacks) {
  static std::once_flag init;
  std::call_once(init, [] { mosquitto_lib_init(); });
  if (port <= 0 || port > 65535) return Status::UserError("MQTT port " + std::to_string(port) + " is not in 1..65535");
  std::unique_ptr<MqttClient> client(new MqttClient());
  client->subscriptions_ = std::move(subscriptions);
  client->callbacks_ = std::move(callbacks);
  client->mosq_ = mosquitto_new(client_id.c_str(), !persistent_session, client.get());
  if (client->mosq_ == nullptr) return Status::Internal("cannot create an MQTT client '" + client_id + "'");
  mosquitto_connect_callback_set(client->mosq_, &MqttClient::OnConnect);
  mosquitto_disconnect_callback_set(client->mosq_, &MqttClient::OnDisconnect);
  mosquitto_publish_callback_set(client->mosq_, &MqttClient::OnPublish);
  mosquitto_message_callback_set(client->mosq_, &MqttClient::OnMessage);
  mosquitto_subscribe_callback_set(client->mosq_, &MqttClient::OnSubscribe);
  mosquitto_int_option(client->mosq_, MOSQ_OPT_TCP_NODELAY, 1);
  // libmosquitto keeps in-flight messages in a list it walks on each acknowledgement, so a deep
  // window costs more than it gains on loopback; 100 measured better than 20 and 1000.
  mosquitto_max_inflight_messages_set(client->mosq_, 100);
  mosquitto_reconnect_delay_set(client->mosq_, 1, 8, true);
  int rc = mosquitto_connect_async(client->mosq_, host.c_str(), port, 30);
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_ERRNO)
    return Status::UserError("MQTT broker " + host + ":" + std::to_string(port) + ": " + MosquittoError(rc));
  if (rc == MOSQ_ERR_ERRNO)
    std::fprintf(stderr, "mqtt %s: broker %s:%d not reachable yet (%s); retrying\n", client_id.c_str(), host.c_str(),
                 port, MosquittoError(rc).c_str());
  rc = mosquitto_loop_start(client->mosq_);
  if (rc != MOSQ_ERR_SUCCESS) return Status::Internal("MQTT network thread: " + MosquittoError(rc));
  return client;
}

MqttClient::~MqttClient() {
  Stop();
  if (mosq_ != nullptr) mosquitto_destroy(mosq_);
}

void MqttClient::Stop() {
  if (stopped_ || mosq_ == nullptr) return;
  stopped_ = true;
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, false);
  connected_ = false;
}

Status MqttClient::Publish(const std::string& topic, std::string_view payload, int qos) {
  const int rc = mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), qos,
                                   false);
  // Not connected: a QoS 1 message is already queued by libmosquitto and goes out on reconnect.
  if (rc == MOSQ_ERR_SUCCESS || (rc == MOSQ_ERR_NO_CONN && qos > 0)) return Status::Ok();
  return Status::Internal("MQTT publish to '" + topic + "': " + MosquittoError(rc));
}

bool MqttClient::WaitConnected(double seconds) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!connected_.load()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void MqttClient::OnConnect(mosquitto* mosq, void* self, int rc) {
  auto* client = static_cast<MqttClient*>(self);
  if (rc != 0) {
    std::fprintf(stderr, "mqtt: the broker refused the connection: %s\n", mosquitto_connack_string(rc));
    return;
  }
  if (client->subscriptions_.empty()) {
    client->connected_ = true;
    if (client->callbacks_.on_connection) client->callbacks_.on_connection(true);
    return;
  }
  // Ready once the broker has granted the subscriptions (OnSubscribe), not before.
  std::vector<char*> topics;
  for (auto& topic : client->subscriptions_) topics.push_back(topic.data());
  mosquitto_subscribe_multiple(mosq, nullptr, static_cast<int>(topics.size()), topics.data(), 1, 0, nullptr);
}

void MqttClient::OnSubscribe(mosquitto*, void* self, int, int, const int*) {
  auto* client = static_cast<MqttClient*>(self);
  client->connected_ = true;
  if (client->callbacks_.on_connection) client->callbacks_.on_connection(true);
}

void MqttClient::OnDisconnect(mosquitto*, void* self, int rc) {
  auto* client = static_cast<MqttClient*>(self);
  client->connected_ = false;
  // rc 0 is our own Stop(): not a lost connection.
  if (rc != 0 && client->callbacks_.on_connection) client->callbacks_.on_connection(false);
}

void MqttClient::OnPublish(mosquitto*, void* self, int) {
  auto* client = static_cast<MqttClient*>(self);
  if (client->callbacks_.on_acknowledged) client->callbacks_.on_acknowledged();
}

void MqttClient::OnMessage(mosquitto*, void* self, const mosquitto_message* message) {
  auto* client = static_cast<MqttClient*>(self);
  if (!client->callbacks_.on_message) return;
  client->callbacks_.on_message(message->topic,
                                std::string_view(static_cast<const char*>(message->payload),
                                                 static_cast<size_t>(std::max(message->payloadlen, 0))));
}

}  // namespace tessera::edge
