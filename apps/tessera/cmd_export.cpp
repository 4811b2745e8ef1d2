#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli_common.h"
#include "commands.h"
#include "tessera/core/atomic_file.h"
#include "tessera/edge/c_export.h"
#include "tessera/edge/c_export_linear.h"
#include "tessera/edge/code_size.h"
#include "tessera/models/model_file.h"

namespace tessera::cli {

namespace {

namespace fs = std::filesystem;

struct ExportFlags {
  std::string format = "c", model, output, layout = "auto", prefix = "tessera", compiler;
  bool quantize = false, no_size = false, json = false;
};

// Writes both files, or neither: each goes to a temporary name first, and the first is removed
// again if the second cannot be put in place.
void WriteFiles(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<std::unique_ptr<AtomicFileWriter>> writers;
  for (const auto& [path, content] : files) {
    writers.push_back(std::make_unique<AtomicFileWriter>());
    Check(writers.back()->Open(path).WithContext("cannot write " + path));
    Check(writers.back()->Write(content).WithContext("cannot write " + path));
  }
  for (size_t i = 0; i < writers.size(); ++i) {
    Status st = writers[i]->Commit();
    if (!st.ok()) {
      std::error_code ec;
      for (size_t j = 0; j < i; ++j) fs::remove(files[j].first, ec);
      Check(st.WithContext("cannot write " + files[i].first));
    }
  }
}

void RunExport(const ExportFlags& f) {
  const models::Model model = Check(models::LoadAnyModel(f.model));
  if (model.blend())
    Check(Status::UserError(f.model + ": a 'blend' model (AutoML's ensemble of trees and linear models); export "
                            "generates C for one tree model (family 'gbdt') or one linear model (family 'linear')"));
  edge::CExportOptions options;
  options.quantize = f.quantize;
  options.layout = *edge::CLayoutFromString(f.layout);
  options.prefix = f.prefix;
  options.model_name = fs::path(f.model).filename().string();
  auto generated = model.gbdt() ? edge::GenerateC(*model.gbdt(), options) : edge::GenerateLinearC(*model.linear(), options);
  if (!generated.ok()) Check(generated.status().WithContext("cannot export " + f.model));
  edge::CExport code = std::move(generated).value();

  const fs::path dir(f.output);
  std::error_code ec;
  const bool existed = fs::exists(dir, ec);
  if (existed && !fs::is_directory(dir, ec)) Check(Status::UserError(f.output + " exists and is not a directory"));
  if (!existed && !fs::create_directories(dir, ec))
    Check(Status::UserError("cannot create directory " + f.output + ": " + ec.message()));
  const std::string header = (dir / "model.h").string(), source = (dir / "model.c").string();
  try {
    WriteFiles({{header, code.header}, {source, code.source}});
  } catch (...) {
    if (!existed) fs::remove(dir, ec);  // only if still empty
    throw;
  }

  edge::CodeSize size;
  if (!f.no_size) size = edge::MeasureCodeSize(source, dir.string(), code, f.compiler);

  const size_t trees = model.gbdt() ? model.gbdt()->trees().size() : 0, features = model.reference().num_features();
  if (f.json) {
    nlohmann::json j = {{"format", "c"},
                        {"files", {header, source}},
                        {"layout", edge::ToString(code.layout)},
                        {"quantized", f.quantize},
                        {"prefix", f.prefix},
                        {"family", model.family()},
                        {"trees", trees},
                        {"features", features},
                        {"outputs", model.num_outputs()},
                        {"needs_libm", code.needs_libm},
                        {"notes", code.notes}};
    if (f.quantize) j["score_shift"] = code.score_shift;
    nlohmann::json cs;
    if (f.no_size) {
      cs = {{"measured", false}, {"reason", "--no-size"}};
    } else if (!size.measured) {
      cs = {{"measured", false}, {"reason", size.reason}};
      if (!size.compiler.empty()) cs["compiler"] = size.compiler;
    } else {
      nlohmann::json stack = nlohmann::json::object();
      for (const auto& [fn, bytes] : size.stack) stack[fn] = bytes;
      cs = {{"measured", true}, {"compiler", size.compiler}, {"command", size.command}, {"text", size.text},
            {"data", size.data},  {"bss", size.bss},           {"stack", stack},         {"stack_static", size.stack_static}};
      if (size.has_predictor_only)
        cs["predictor_only"] = {{"define", code.no_binning_macro}, {"text", size.predictor_text},
                                {"data", size.predictor_data}, {"bss", size.predictor_bss}};
    }
    j["code_size"] = cs;
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  for (const auto& note : code.notes) std::fprintf(stderr, "export: note: %s\n", note.c_str());
  std::printf("export: %s -> %s, %s (%zu trees, %zu features, %d output%s, layout %s%s)\n", f.model.c_str(),
              header.c_str(), source.c_str(), trees, features, model.num_outputs(), model.num_outputs() == 1 ? "" : "s",
              std::string(edge::ToString(code.layout)).c_str(),
              f.quantize ? (", quantized, score shift " + std::to_string(code.score_shift)).c_str() : "");
  if (f.no_size) return;
  if (!size.measured) {
    std::printf("code size: not measured: %s\n", size.reason.c_str());
    return;
  }
  std::printf("code size (%s): text %llu B, data %llu B, bss %llu B\n", size.command.c_str(),
              static_cast<unsigned long long>(size.text), static_cast<unsigned long long>(size.data),
              static_cast<unsigned long long>(size.bss));
  if (size.has_predictor_only)
    std::printf("code size without the float binning (-D%s): text %llu B, data %llu B, bss %llu B\n",
                code.no_binning_macro.c_str(), static_cast<unsigned long long>(size.predictor_text),
                static_cast<unsigned long long>(size.predictor_data), static_cast<unsigned long long>(size.predictor_bss));
  std::string stack;
  for (const auto& [fn, bytes] : size.stack) stack += (stack.empty() ? "" : ", ") + fn + " " + std::to_string(bytes) + " B";
  std::printf("stack use at most: %s%s%s\n", stack.c_str(), code.needs_libm ? " (plus exp() from libm)" : "",
              size.stack_static ? "" : " (a frame is dynamic: not a bound)");
}

}  // namespace

void RegisterExport(CLI::App* app) {
  auto f = std::make_shared<ExportFlags>();
  CLI::App* cmd = app->add_subcommand("export", "Compile a model to portable C99 (model.h + model.c) for devices");
  cmd->add_option("--format", f->format, "Output format (c)")->check(CLI::IsMember({"c"}));
  cmd->add_option("--model,-m", f->model, "Model file")->required();
  cmd->add_option("-o,--output", f->output, "Output directory (created if missing)")->required();
  cmd->add_flag("--quantize", f->quantize, "Integer-only predictor: int16 bins in, int32 fixed-point scores out");
  cmd->add_option("--layout", f->layout, "Trees as nested branches, node arrays, node arrays walked in lockstep, or auto")
      ->check(CLI::IsMember({"auto", "branches", "arrays", "lockstep"}));
  cmd->add_option("--prefix", f->prefix, "Prefix of the generated names (several models in one program)");
  cmd->add_option("--cc", f->compiler, "C compiler for the size report (default: cc, gcc or clang)");
  cmd->add_flag("--no-size", f->no_size, "Skip compiling for the code size report");
  cmd->add_flag("--json", f->json, "Print the summary as JSON");
  cmd->callback([f] { RunExport(*f); });
}

}  // namespace tessera::cli
