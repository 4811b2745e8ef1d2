#include "tessera/serve/model_reloader.h"

#include <cstdio>

namespace tessera::serve {

ModelReloader::ModelReloader(ModelSource* source, ModelHolder* holder, ReloadOptions options)
    : source_(source), holder_(holder), options_(std::move(options)) {}

ModelReloader::~ModelReloader() { Stop(); }

void ModelReloader::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::fprintf(stderr, "tessera serve: %s\n", line.c_str());
    std::fflush(stderr);
  }
}

Status ModelReloader::Load(const ModelIdentity& identity) {
  TESSERA_ASSIGN_OR_RETURN(models::Model model, source_->Load(identity));
  ModelIdentity served_as = identity;
  if (!options_.name.empty()) served_as.name = options_.name;
  TESSERA_ASSIGN_OR_RETURN(auto served, ServedModel::Create(std::move(model), served_as, options_.drift_window));
  holder_->Set(std::move(served));
  return Status::Ok();
}

Status ModelReloader::LoadInitial() {
  TESSERA_ASSIGN_OR_RETURN(const ModelIdentity identity, source_->Resolve());
  TESSERA_RETURN_IF_ERROR(Load(identity));
  Log("serving " + DescribeModel(holder_->Get()->identity()) + " from " + source_->ref());
  return Status::Ok();
}

Status ModelReloader::CheckNow(bool retry_refused) {
  Result<ModelIdentity> identity = source_->Resolve();
  if (!identity.ok()) {
    // The alias may point nowhere for a moment, or the store be busy: keep serving, say why (once).
    if (identity.status().message() != last_check_error_)
      Log("cannot check " + source_->ref() + " for a new version: " + identity.status().message());
    last_check_error_ = identity.status().message();
    return identity.status();
  }
  last_check_error_.clear();
  std::shared_ptr<const ServedModel> current = holder_->Get();
  if (current && current->identity() == *identity) return Status::Ok();
  if (!retry_refused && refused_ && *refused_ == *identity) return Status::Ok();
  Status loaded = Load(*identity);
  if (!loaded.ok()) {
    refused_ = *identity;
    Log("refused " + DescribeModel(*identity) + ": " + loaded.message() + "; still serving " +
        (current ? DescribeModel(current->identity()) : std::string("nothing")));
    if (options_.on_reload) options_.on_reload(false);
    return loaded;
  }
  refused_.reset();
  Log("now serving " + DescribeModel(holder_->Get()->identity()) +
      (current ? " instead of " + DescribeModel(current->identity()) : std::string()));
  if (options_.on_reload) options_.on_reload(true);
  return Status::Ok();
}

void ModelReloader::Start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void ModelReloader::RequestReload() {
  {
    std::lock_guard lock(mutex_);
    requested_ = true;
  }
  wake_.notify_one();
}

void ModelReloader::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void ModelReloader::Loop() {
  const bool poll = source_->follows_alias();
  std::unique_lock lock(mutex_);
  for (;;) {
    if (poll) wake_.wait_for(lock, options_.interval, [this] { return stop_ || requested_; });
    else wake_.wait(lock, [this] { return stop_ || requested_; });
    if (stop_) return;
    const bool forced = requested_;
    requested_ = false;
    lock.unlock();
    (void)CheckNow(forced);
    lock.lock();
  }
}

}  // namespace tessera::serve
