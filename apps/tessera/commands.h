// One Register* per subcommand; each adds its flags and a callback to the app.
#pragma once

#include <CLI/CLI.hpp>

namespace tessera::cli {

void RegisterDescribe(CLI::App* app);  // tessera describe
void RegisterData(CLI::App* app);      // tessera data bin | info
void RegisterGen(CLI::App* app);       // tessera gen
void RegisterTrain(CLI::App* app);     // tessera train
void RegisterPredict(CLI::App* app);   // tessera predict | eval
void RegisterExplain(CLI::App* app);   // tessera explain | importance | pdp
void RegisterImport(CLI::App* app);    // tessera import --from xgboost|lightgbm
void RegisterRegistry(CLI::App* app);  // tessera runs ... | models ...
void RegisterGate(CLI::App* app);      // tessera gate
void RegisterPipeline(CLI::App* app);  // tessera pipeline run
void RegisterExport(CLI::App* app);    // tessera export
void RegisterEdge(CLI::App* app);      // tessera edge run
void RegisterAutoMl(CLI::App* app);    // tessera automl
void RegisterServe(CLI::App* app);     // tessera serve
void RegisterMonitor(CLI::App* app);   // tessera monitor
void RegisterUi(CLI::App* app);        // tessera ui

}  // namespace tessera::cli
