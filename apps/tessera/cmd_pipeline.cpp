// tessera pipeline run FILE.yaml: runs the steps of a pipeline in order, each as a tessera
// process of its own, skipping those whose inputs and definition have not changed since their
// last successful run. A failing step stops the pipeline: nothing after it runs.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "cli_common.h"
#include "commands.h"
#include "tessera/pipeline/pipeline.h"

namespace tessera::cli {

namespace {

namespace fs = std::filesystem;

struct PipelineFlags {
  std::string file, store;
  bool force = false;
};

// Runs this same program with `args` in `dir`; returns its exit code.
int RunChild(const std::vector<std::string>& args, const std::string& dir, const std::string& store) {
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) throw StatusError{Status::Internal("pipeline: cannot start a process")};
  if (pid == 0) {
    if (chdir(dir.c_str()) != 0) _exit(127);
    if (!store.empty()) setenv("TESSERA_STORE", store.c_str(), 1);
    std::vector<char*> argv;
    static char program[] = "tessera";
    argv.push_back(program);
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

void RunPipeline(const PipelineFlags& f) {
  const auto p = Check(pipeline::LoadPipeline(f.file));
  // The store the steps use: --store, else the file's, else the usual default (all absolute, as
  // steps run in the file's folder).
  std::string store = !f.store.empty() ? fs::absolute(f.store).string()
                      : !p.store.empty() ? (fs::path(p.dir) / p.store).string()
                                         : fs::absolute(registry::Store::DefaultDir()).string();
  std::unique_ptr<registry::Store> opened;
  auto resolve = [&](const std::string& ref) -> Result<std::string> {
    if (!opened) {
      TESSERA_ASSIGN_OR_RETURN(opened, registry::Store::Open(store));
    }
    auto version = opened->ResolveRef(ref);
    // A reference that does not resolve yet (no champion before the first promotion) is part
    // of the key as such: once it resolves, the step runs again.
    return version.ok() ? version->artifact : std::string("unresolved");
  };
  size_t ran = 0, cached = 0;
  std::printf("pipeline %s: %zu steps\n", p.name.c_str(), p.steps.size());
  for (size_t index = 0; index < p.steps.size(); ++index) {
    const pipeline::Step& step = p.steps[index];
    const std::string key = Check(pipeline::StepKey(p, step, resolve));
    opened.reset();  // steps change the store; read it afresh for the next key
    const auto record = Check(pipeline::ReadRecord(p, step));
    bool up_to_date = !f.force && record.key == key;
    for (const auto& out : step.outputs)
      if (up_to_date) {
        auto it = record.outputs.find(out);
        const std::string now = pipeline::ContentHash((fs::path(p.dir) / out).string());
        up_to_date = it != record.outputs.end() && !now.empty() && it->second == now;
      }
    if (up_to_date) {
      std::printf("[%s] cached: nothing it depends on changed\n", step.name.c_str());
      ++cached;
      continue;
    }
    const auto args = pipeline::StepArguments(step);
    std::string shown = "tessera";
    for (const auto& a : args) shown += " " + a;
    std::printf("[%s] running: %s\n", step.name.c_str(), shown.c_str());
    const int code = RunChild(args, p.dir, store);
    if (code != 0) {
      std::printf("[%s] failed with exit code %d; the pipeline stops here (%zu later steps not run)\n", step.name.c_str(), code,
                  p.steps.size() - index - 1);
      throw ExitRequest{code == 3 ? 3 : 1};
    }
    pipeline::StepRecord done;
    // The key as the step left things: a step that moves an alias it reads (gate --promote) must
    // not look changed on the next run because of its own doing.
    done.key = Check(pipeline::StepKey(p, step, resolve));
    opened.reset();
    for (const auto& out : step.outputs) {
      const std::string hash = pipeline::ContentHash((fs::path(p.dir) / out).string());
      if (hash.empty())
        throw StatusError{Status::UserError(f.file + ":" + std::to_string(step.line) + ": step '" + step.name +
                                            "' lists output '" + out + "' but did not write it")};
      done.outputs[out] = hash;
    }
    Check(pipeline::WriteRecord(p, step, done));
    ++ran;
  }
  std::printf("pipeline %s: %zu ran, %zu cached\n", p.name.c_str(), ran, cached);
}

}  // namespace

void RegisterPipeline(CLI::App* app) {
  auto f = std::make_shared<PipelineFlags>();
  CLI::App* cmd = app->add_subcommand("pipeline", "Run a pipeline of steps declared in a YAML file");
  cmd->require_subcommand(1);
  CLI::App* run = cmd->add_subcommand("run", "Run the steps whose inputs changed since their last run");
  run->add_option("file", f->file, "Pipeline YAML file")->required();
  run->add_flag("--force", f->force, "Run every step, changed or not");
  AddStoreFlag(run, &f->store);
  run->callback([f] { RunPipeline(*f); });
}

}  // namespace tessera::cli
