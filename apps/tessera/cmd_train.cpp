#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "cli_common.h"
#include "commands.h"
#include "tessera/dist/agreement.h"
#include "tessera/dist/sharded_ingest.h"
#include "tessera/dist/world.h"
#include "tessera/models/gbdt/booster.h"
#include "tessera/models/model_file.h"
#include "train_linear.h"

namespace tessera::cli {

namespace {

struct TrainFlags {
  IngestFlags data;
  std::vector<std::string> valid;
  std::string output, config, init_model, objective, family = "gbdt";
  std::vector<std::string> params;
  int log_every = 10;
  bool json = false;
  bool distributed = false, verbose = false;
  int checkpoint_every = 0;
  std::string checkpoint;  // default: the output path + ".checkpoint"
  bool resume = false;
  TrackingFlags tracking;
};

// Ends this rank after an error that every rank reached together (agreed with AgreeOnStatus, or
// the same deterministic check on every rank): MPI is left in order, rank 0 reports the error
// (naming the failing rank) and the other ranks exit with the same code quietly. Never for an
// error of one rank alone: leaving MPI waits for every rank, so that would hang.
[[noreturn]] void FailTogether(dist::Collective& world, const Status& st) {
  if (world.size() == 1) throw StatusError{st};
  // Rank 0 prints before any rank exits: mpirun ends the whole job when the first rank exits
  // with an error, which could otherwise cut rank 0 off before it printed.
  if (world.rank() == 0) std::fprintf(stderr, "tessera: error: %s\n", st.message().c_str()), std::fflush(stderr);
  (void)world.Barrier();
  dist::LeaveWorldAfterAgreedError(world);
  throw ExitRequest{st.kind() == ErrorKind::kUser ? 1 : 2};
}

// Ends this rank after an error of its own (communication failed, or a step failed part-way on
// this rank only): the others may be waiting for it, so the error is printed with the rank and
// the job is aborted (the MPI world's destructor calls MPI_Abort while the exception unwinds).
[[noreturn]] void FailAlone(dist::Collective& world, const Status& st) {
  if (world.size() == 1) throw StatusError{st};
  std::fprintf(stderr, "tessera: error: rank %d: %s\n", world.rank(), st.message().c_str());
  std::fflush(stderr);
  throw StatusError{st};
}

template <typename T>
T CheckTogether(dist::Collective& world, Result<T> r) {
  if (!r.ok()) FailTogether(world, r.status());
  return std::move(r).value();
}

void CheckTogether(dist::Collective& world, const Status& st) {
  if (!st.ok()) FailTogether(world, st);
}

void RunTrain(const TrainFlags& f) {
  std::map<std::string, std::string> settings;
  if (!f.config.empty()) ReadConfigFile(f.config, &settings);
  if (!f.objective.empty()) settings["objective"] = f.objective;
  ParseKeyValues(f.params, &settings);
  if (f.family == "linear") {
    if (f.distributed || !f.init_model.empty() || f.checkpoint_every > 0 || f.resume)
      Check(Status::UserError("--family linear trains in one process: --distributed, --init-model, --checkpoint-every and "
                              "--resume are for the gbdt family"));
    RunTrainLinear({f.data, f.valid, f.output, settings, f.json, f.tracking});
    return;
  }
  models::gbdt::GbdtParams params;
  Check(models::gbdt::ApplyGbdtParams(settings, &params, false));

  data::IngestOptions options = f.data.Resolve();
  options.max_bin = params.max_bin;
  options.read.threads = params.num_threads;
  options.seed = params.seed;
  // Read before joining the world: a model that cannot be read stops every rank before MPI starts.
  std::unique_ptr<models::gbdt::GbdtModel> init;
  if (!f.init_model.empty()) init = std::make_unique<models::gbdt::GbdtModel>(LoadModelArg(f.init_model, f.tracking.store));
  const std::string checkpoint_path = f.checkpoint.empty() ? f.output + ".checkpoint" : f.checkpoint;
  std::unique_ptr<models::gbdt::GbdtModel> resume_model;
  models::gbdt::TrainingState resume_state;
  if (f.resume) {
    if (!std::filesystem::exists(checkpoint_path))
      Check(Status::UserError(checkpoint_path + ": no checkpoint to resume from (write one with --checkpoint-every N)"));
    resume_model = std::make_unique<models::gbdt::GbdtModel>(Check(models::LoadModel(checkpoint_path)));
    const nlohmann::json info = resume_model->training_info();
    if (!info.contains("checkpoint")) Check(Status::UserError(checkpoint_path + ": a model, not a checkpoint"));
    resume_state = Check(models::gbdt::TrainingState::FromJson(info["checkpoint"]));
  }
  // Under mpirun (or with --distributed) every rank reads its share of the data and the ranks
  // train one model together; otherwise `world` is a world of one and nothing changes.
  std::unique_ptr<dist::Collective> world = Check(dist::JoinWorld(f.distributed));
  const bool sharded = f.distributed || world->size() > 1;
  const bool lead = world->rank() == 0;  // prints, tracks and writes the model
  if (!lead) options.progress = false;
  models::gbdt::TrainOptions train_options;
  auto start = std::chrono::steady_clock::now();
  data::BinnedDataset train;
  std::vector<data::BinnedDataset> valid;
  uint64_t total_rows = 0;
  if (sharded) {
    dist::ShardedData shard = CheckTogether(*world, dist::IngestSharded(*world, f.data.inputs, options));
    train = std::move(shard.data);
    train_options.train_rows = std::move(shard.rows);
    total_rows = shard.total_rows;
    for (const auto& v : f.valid) {
      dist::ShardedData vs = CheckTogether(*world, dist::IngestShardedWithReference(*world, {v}, options, train));
      valid.push_back(std::move(vs.data));
      train_options.valid_rows.push_back(std::move(vs.rows));
    }
    train_options.world = world.get();
  } else {
    train = Check(data::IngestBinned(f.data.inputs, options));
    for (const auto& v : f.valid) valid.push_back(Check(data::IngestWithReference({v}, options, train, true)));
    total_rows = train.num_rows();
  }
  // Multiclass needs the class count: take it from the labels when not given.
  if (params.objective == "multiclass" && params.num_class == 1) {
    double max_label = 0;
    for (float y : train.labels()) max_label = std::max<double>(max_label, y);
    if (Status st = world->AllReduceMax(std::span<double>(&max_label, 1)); !st.ok()) FailAlone(*world, st);
    params.num_class = std::max<int>(2, static_cast<int>(max_label) + 1);
  }
  CheckTogether(*world, models::gbdt::ValidateGbdtParams(params));  // the same answer on every rank
  for (size_t i = 0; i < valid.size(); ++i) {
    train_options.valid.push_back(&valid[i]);
    train_options.valid_names.push_back("valid_" + std::to_string(i));
  }
  train_options.init_model = init.get();
  train_options.resume_model = resume_model.get();
  train_options.resume_state = resume_state;
  train_options.checkpoint_every = f.checkpoint_every;
  // Rank 0 writes each checkpoint (atomically: the previous one stays valid until the new one is
  // whole); every rank learns whether it could.
  train_options.on_checkpoint = [&](const models::gbdt::GbdtModel& partial, const models::gbdt::TrainingState& state) {
    Status saved = lead ? models::SaveModel(partial, checkpoint_path).WithContext("writing the checkpoint") : Status::Ok();
    if (lead && saved.ok() && f.verbose)
      std::fprintf(stderr, "[%d]  checkpoint written to %s\n", state.iteration, checkpoint_path.c_str());
    return dist::AgreeOnStatus(*world, saved);
  };
  train_options.metric_every = f.log_every;
  const double read_seconds = SecondsSince(start);
  const bool quiet = f.data.quiet;
  const int total = params.num_iterations;
  std::unique_ptr<registry::RunTracker> tracker;
  if (lead) tracker = StartTracking(f.tracking, "train", f.data.inputs, train.schema(), params.ToJson());
  if (lead && f.verbose && sharded)
    train_options.on_communication = [&](int iteration, uint64_t bytes, double seconds) {
      std::fprintf(stderr, "[%d]  rank 0 sent %s in %.1f ms of communication\n", iteration, FormatBytes(static_cast<double>(bytes)).c_str(),
                   seconds * 1e3);
    };
  train_options.on_iteration = [&](const models::gbdt::IterationReport& r) {
    if (tracker) Check(tracker->Log(r.iteration, r.metrics));
    if (!lead || quiet || (r.iteration % f.log_every != 0 && r.iteration != total)) return;
    std::string line = "[" + std::to_string(r.iteration) + "]";
    for (const auto& [name, value] : r.metrics) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "  %s: %.6g", name.c_str(), value);
      line += buf;
    }
    std::fprintf(stderr, "%s\n", line.c_str());
  };
  const dist::CommStats comm_before = world->stats();
  auto train_start = std::chrono::steady_clock::now();
  // Training agrees on its inputs before it communicates otherwise: a user error is every rank's;
  // any other error may be this rank's alone (a broken link).
  auto trained = models::gbdt::TrainGbdt(train, params, train_options);
  if (!trained.ok()) {
    if (trained.status().kind() == ErrorKind::kUser) FailTogether(*world, trained.status());
    FailAlone(*world, trained.status());
  }
  auto model = std::move(trained).value();
  const double train_seconds = SecondsSince(train_start);
  if (tracker) model.SetTrainingInfo("run_id", tracker->run_id());
  // Every rank holds the same model; rank 0 writes it (atomically), and all learn whether it could.
  CheckTogether(*world, dist::AgreeOnStatus(*world, lead ? models::SaveModel(model, f.output) : Status::Ok()));
  if (!lead) return;
  // The model is whole: the run's checkpoint has served its purpose.
  if (f.checkpoint_every > 0 || f.resume) std::filesystem::remove(checkpoint_path);
  nlohmann::json summary = model.training_info();
  if (sharded) {
    const dist::CommStats& comm = world->stats();
    const double bytes = static_cast<double>(comm.bytes_sent - comm_before.bytes_sent);
    const double comm_seconds = comm.seconds - comm_before.seconds;
    const double trees = static_cast<double>(std::max<size_t>(1, model.trees().size()));
    summary["communication"] = {{"ranks", world->size()},
                                {"bytes_sent_rank0", bytes},
                                {"bytes_per_tree", bytes / trees},
                                {"comm_seconds", comm_seconds},
                                {"compute_seconds", train_seconds - comm_seconds}};
    if (f.verbose && !f.json)
      std::fprintf(stderr, "communication (rank 0 of %d): %s sent, %s per tree; %.2fs communicating, %.2fs computing\n",
                   world->size(), FormatBytes(bytes).c_str(), FormatBytes(bytes / trees).c_str(), comm_seconds,
                   train_seconds - comm_seconds);
  }
  if (tracker) {
    std::map<std::string, double> final_metrics = {{"train_seconds", train_seconds}};
    for (const auto& [name, value] : summary["valid_metrics"].items()) final_metrics[name] = value.get<double>();
    Check(tracker->Finish(final_metrics, {{"model", f.output}}));
  }
  summary["model"] = f.output;
  summary["family"] = model.params().family_name();  // gbdt, random_forest or extra_trees
  summary["read_seconds"] = read_seconds;
  summary["train_seconds"] = train_seconds;
  if (f.json) {
    std::printf("%s\n", summary.dump(2).c_str());
  } else {
    const std::string family = model.params().family_name();
    std::printf("trained %zu iterations (%zu trees%s) on %zu rows x %zu features in %.2fs (reading %.2fs)\n",
                model.num_iterations(), model.trees().size(),
                family == "gbdt" ? "" : (", a " + std::string(family == "extra_trees" ? "forest of extra trees" : "random forest") +
                                         ", averaged").c_str(),
                static_cast<size_t>(total_rows), train.num_features(), train_seconds, read_seconds);
    if (summary.contains("best_iteration")) std::printf("best iteration: %d\n", summary["best_iteration"].get<int>());
    for (const auto& [name, value] : summary["valid_metrics"].items()) std::printf("%s: %.6g\n", name.c_str(), value.get<double>());
    std::printf("model written to %s\n", f.output.c_str());
    if (tracker) std::printf("run %s recorded in %s\n", tracker->run_id().c_str(), tracker->store().dir().c_str());
  }
}

}  // namespace

void RegisterTrain(CLI::App* app) {
  auto f = std::make_shared<TrainFlags>();
  CLI::App* cmd = app->add_subcommand("train", "Train a model: gradient-boosted trees (default) or linear");
  AddIngestFlags(cmd, &f->data, false, "--data");
  cmd->add_option("--valid", f->valid, "Validation data (metrics per iteration, early stopping); repeatable");
  cmd->add_option("-o,--output", f->output, "Model file to write (JSON)")->required();
  cmd->add_option("--family,--model-family", f->family,
                  "Model family: gbdt (gradient-boosted trees) or linear (logistic / multinomial / linear regression "
                  "with L2, L1 or elastic-net penalty: -p lambda=, -p l1_ratio=)")
      ->check(CLI::IsMember({"gbdt", "linear"}));
  cmd->add_option("--objective", f->objective, "binary, multiclass, regression, l1, huber, poisson (linear: binary, multiclass, regression)");
  cmd->add_option("--param,-p", f->params, "Parameter key=value (LightGBM/XGBoost names); repeatable");
  cmd->add_option("--config", f->config, "File of key = value parameter lines");
  cmd->add_option("--init-model", f->init_model, "Continue boosting from this model");
  cmd->add_option("--log-every", f->log_every, "Print validation metrics every N iterations")->check(CLI::Range(1, 1000000));
  cmd->add_flag("--json", f->json, "Print the summary as JSON");
  cmd->add_flag("--distributed", f->distributed,
                "Train data-parallel over MPI: implied under mpirun; each rank reads its share of the part files "
                "(round-robin) or of one CSV (byte ranges), and rank 0 writes the model");
  cmd->add_option("--checkpoint-every", f->checkpoint_every,
                  "Write the model and training state every N iterations (atomically), for --resume")
      ->check(CLI::Range(0, 1000000000));
  cmd->add_option("--checkpoint", f->checkpoint, "Checkpoint file (default: the output path + .checkpoint)");
  cmd->add_flag("--resume", f->resume,
                "Continue from the checkpoint (same data and parameters): the final model is the one an "
                "uninterrupted run gives; under MPI too");
  cmd->add_flag("--verbose,-v", f->verbose, "Distributed: print the communication volume per iteration and a summary");
  AddTrackingFlags(cmd, &f->tracking);
  cmd->callback([f] { RunTrain(*f); });
}

}  // namespace tessera::cli
