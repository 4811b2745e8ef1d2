#include "tessera/pipeline/pipeline.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "tessera/core/atomic_file.h"
#include "tessera/core/sha256.h"

namespace tessera::pipeline {

namespace {

namespace fs = std::filesystem;

Status AtNode(const std::string& path, const YAML::Node& node, const std::string& what) {
  const auto mark = node.Mark();
  return Status::UserError(path + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) + ": " + what);
}

// A scalar as text; booleans stay "true"/"false".
Result<std::string> Scalar(const std::string& path, const YAML::Node& node, const std::string& what) {
  if (!node.IsScalar()) return AtNode(path, node, what + ": expected a single value");
  return node.Scalar();
}

Status CheckKeys(const std::string& path, const YAML::Node& map, const std::set<std::string>& known, const std::string& what) {
  for (const auto& kv : map) {
    const std::string key = kv.first.Scalar();
    if (!known.count(key)) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return AtNode(path, kv.first, "unknown key '" + key + "' in " + what + " (expected: " + list + ")");
    }
  }
  return Status::Ok();
}

fs::path Resolve(const Pipeline& p, const std::string& value) { return fs::path(p.dir) / value; }

}  // namespace

std::string ContentHash(const std::string& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    auto h = Sha256File(path);
    return h.ok() ? h.value() : "";
  }
  if (!fs::is_directory(path, ec)) return "";
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(path, ec))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  Sha256 all;
  for (const auto& f : files) {
    all.Update(fs::relative(f, path).string());
    all.Update(ContentHash(f.string()));
  }
  return all.Finish();
}

Result<Pipeline> LoadPipeline(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Status::UserError(path + ": cannot open the pipeline file");
  } catch (const YAML::ParserException& e) {
    return Status::UserError(path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                             ": not valid YAML: " + e.msg);
  }
  if (!root.IsMap()) return Status::UserError(path + ": expected a mapping with 'name' and 'steps'");
  TESSERA_RETURN_IF_ERROR(CheckKeys(path, root, {"name", "store", "steps"}, "the pipeline"));
  Pipeline p;
  p.dir = fs::absolute(path).parent_path().string();
  p.name = root["name"] ? root["name"].Scalar() : fs::path(path).stem().string();
  if (root["store"]) {
    TESSERA_ASSIGN_OR_RETURN(p.store, Scalar(path, root["store"], "store"));
  }
  const YAML::Node steps = root["steps"];
  if (!steps || !steps.IsSequence() || steps.size() == 0) return Status::UserError(path + ": 'steps' must list at least one step");
  std::set<std::string> names;
  for (const auto& node : steps) {
    if (!node.IsMap()) return AtNode(path, node, "a step must be a mapping with 'name' and 'run'");
    TESSERA_RETURN_IF_ERROR(CheckKeys(path, node, {"name", "run", "args", "params", "positional", "outputs"}, "a step"));
    Step step;
    step.line = node.Mark().line + 1;
    if (!node["name"] || !node["run"]) return AtNode(path, node, "a step needs 'name' and 'run'");
    TESSERA_ASSIGN_OR_RETURN(step.name, Scalar(path, node["name"], "name"));
    if (step.name.empty() || step.name.find_first_of("/\\ ") != std::string::npos)
      return AtNode(path, node["name"], "a step name must be a non-empty word");
    if (!names.insert(step.name).second) return AtNode(path, node["name"], "two steps are called '" + step.name + "'");
    TESSERA_ASSIGN_OR_RETURN(std::string run, Scalar(path, node["run"], "run"));
    for (size_t at = 0; at < run.size();) {
      const size_t end = std::min(run.find(' ', at), run.size());
      if (end > at) step.command.push_back(run.substr(at, end - at));
      at = end + 1;
    }
    if (step.command.empty() || step.command[0] == "pipeline")
      return AtNode(path, node["run"], "'run' names a tessera command (train, eval, gate, models register, ...)");
    if (const auto args = node["args"]) {
      if (!args.IsMap()) return AtNode(path, args, "'args' must map flags to values");
      for (const auto& kv : args) {
        const std::string flag = kv.first.Scalar();
        if (kv.second.IsSequence()) {
          for (const auto& item : kv.second) {
            TESSERA_ASSIGN_OR_RETURN(std::string v, Scalar(path, item, flag));
            step.args.emplace_back(flag, v);
          }
          continue;
        }
        TESSERA_ASSIGN_OR_RETURN(std::string v, Scalar(path, kv.second, flag));
        if (v == "true") v = "";  // a bare flag
        else if (v == "false") continue;
        step.args.emplace_back(flag, v);
      }
    }
    if (const auto params = node["params"]) {
      if (!params.IsMap()) return AtNode(path, params, "'params' must map parameter names to values");
      for (const auto& kv : params) {
        TESSERA_ASSIGN_OR_RETURN(std::string v, Scalar(path, kv.second, kv.first.Scalar()));
        step.params.emplace_back(kv.first.Scalar(), v);
      }
    }
    for (const char* list : {"positional", "outputs"}) {
      const auto items = node[list];
      if (!items) continue;
      if (!items.IsSequence()) return AtNode(path, items, std::string("'") + list + "' must be a list");
      for (const auto& item : items) {
        TESSERA_ASSIGN_OR_RETURN(std::string v, Scalar(path, item, list));
        (std::string(list) == "outputs" ? step.outputs : step.positional).push_back(v);
      }
    }
    p.steps.push_back(std::move(step));
  }
  return p;
}

std::vector<std::string> StepArguments(const Step& step) {
  std::vector<std::string> argv = step.command;
  for (const auto& v : step.positional) argv.push_back(v);
  for (const auto& [flag, value] : step.args) {
    argv.push_back((flag.size() == 1 ? "-" : "--") + flag);
    if (!value.empty()) argv.push_back(value);
  }
  for (const auto& [key, value] : step.params) {
    argv.push_back("-p");
    argv.push_back(key + "=" + value);
  }
  return argv;
}

Result<std::string> StepKey(const Pipeline& pipeline, const Step& step,
                            const std::function<Result<std::string>(const std::string&)>& resolve_ref) {
  Sha256 key;
  key.Update("tessera pipeline step v1\n");
  for (const auto& a : StepArguments(step)) key.Update(a + "\n");
  for (const auto& o : step.outputs) key.Update("output " + o + "\n");
  std::set<std::string> outputs;
  for (const auto& o : step.outputs) outputs.insert(Resolve(pipeline, o).lexically_normal().string());
  std::vector<std::string> values = step.positional;
  for (const auto& [flag, value] : step.args) values.push_back(value);
  for (const auto& value : values) {
    if (value.rfind("models:/", 0) == 0) {
      TESSERA_ASSIGN_OR_RETURN(std::string target, resolve_ref(value));
      key.Update("ref " + value + " " + target + "\n");
      continue;
    }
    if (value.empty()) continue;
    const fs::path full = Resolve(pipeline, value).lexically_normal();
    if (outputs.count(full.string())) continue;
    std::error_code ec;
    if (fs::exists(full, ec)) key.Update("input " + value + " " + ContentHash(full.string()) + "\n");
  }
  return key.Finish();
}

std::string RecordPath(const Pipeline& pipeline, const Step& step) {
  return (fs::path(pipeline.dir) / ".tessera-pipeline" / pipeline.name / (step.name + ".json")).string();
}

Result<StepRecord> ReadRecord(const Pipeline& pipeline, const Step& step) {
  StepRecord record;
  std::ifstream in(RecordPath(pipeline, step));
  if (!in) return record;
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object() || !j.contains("key")) return record;  // unreadable: run the step again
  record.key = j.value("key", "");
  if (j.contains("outputs") && j["outputs"].is_object())
    for (const auto& [k, v] : j["outputs"].items()) record.outputs[k] = v.is_string() ? v.get<std::string>() : "";
  return record;
}

Status WriteRecord(const Pipeline& pipeline, const Step& step, const StepRecord& record) {
  const std::string path = RecordPath(pipeline, step);
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return Status::UserError(path + ": " + ec.message());
  return WriteFileAtomically(path, nlohmann::json{{"key", record.key}, {"outputs", record.outputs}}.dump(1) + "\n");
}

}  // namespace tessera::pipeline
