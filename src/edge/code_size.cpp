#include "tessera/edge/code_size.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

extern char** environ;

namespace tessera::edge {

namespace {

namespace fs = std::filesystem;

// The path of `name` on PATH (or `name` itself when it holds a '/' and is executable), or "".
std::string FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate)) return candidate;
  }
  return "";
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs argv with stdout and stderr into files; returns the exit code (-1 if it did not run).
int Run(const std::vector<std::string>& argv, const std::string& out_path, const std::string& err_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string FirstLines(const std::string& text, size_t lines) {
  std::istringstream in(text);
  std::string line, s;
  for (size_t i = 0; i < lines && std::getline(in, line); ++i) s += (i ? "\n" : "") + line;
  return s;
}

std::string Join(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/tessera-cc-XXXXXX";
    if (mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

CodeSize MeasureCodeSize(const std::string& source, const std::string& include_dir, const CExport& code,
                         const std::string& compiler) {
  CodeSize r;
  std::string cc_path;
  if (!compiler.empty()) {
    r.compiler = compiler;
    cc_path = FindProgram(compiler);
    if (cc_path.empty()) {
      r.reason = "C compiler '" + compiler + "' not found";
      return r;
    }
  } else {
    for (const char* name : {"cc", "gcc", "clang"}) {
      cc_path = FindProgram(name);
      if (!cc_path.empty()) {
        r.compiler = name;
        break;
      }
    }
    if (cc_path.empty()) {
      r.reason = "no C compiler (cc, gcc, clang) on PATH";
      return r;
    }
  }
  // "<triplet>-gcc" pairs with "<triplet>-size".
  std::string size_path;
  const std::string base = fs::path(r.compiler).filename().string();
  if (const size_t dash = base.rfind('-'); dash != std::string::npos)
    size_path = FindProgram(base.substr(0, dash + 1) + "size");
  if (size_path.empty()) size_path = FindProgram("size");
  if (size_path.empty()) {
    r.reason = "no 'size' program on PATH (binutils)";
    return r;
  }

  TempDir tmp;
  if (tmp.path().empty()) {
    r.reason = "cannot create a temporary directory";
    return r;
  }
  const std::string object = tmp.path() + "/model.o", out = tmp.path() + "/out.txt", err = tmp.path() + "/err.txt";
  std::vector<std::string> argv = {cc_path, "-O2", "-std=c99", "-fstack-usage", "-I", include_dir, "-c", source, "-o", object};
  r.command = Join({r.compiler, "-O2", "-std=c99", "-fstack-usage", "-c", "model.c"});
  if (int rc = Run(argv, out, err); rc != 0) {
    r.reason = rc < 0 ? "cannot run " + cc_path : r.compiler + " failed: " + FirstLines(ReadAll(err), 5);
    return r;
  }
  auto read_size = [&](uint64_t* text, uint64_t* data, uint64_t* bss) -> bool {
    if (Run({size_path, object}, out, err) != 0) {
      r.reason = "size failed: " + FirstLines(ReadAll(err), 3);
      return false;
    }
    // Berkeley format: a header line, then "text data bss dec hex filename".
    std::istringstream size_out(ReadAll(out));
    std::string header;
    std::getline(size_out, header);
    if (!(size_out >> *text >> *data >> *bss)) {
      r.reason = "cannot read the output of size";
      return false;
    }
    return true;
  };
  if (!read_size(&r.text, &r.data, &r.bss)) return r;
  // The .su file: "file:line:column:function<TAB>bytes<TAB>static|dynamic[,bounded]".
  std::map<std::string, uint64_t> frame;
  std::istringstream su(ReadAll(tmp.path() + "/model.su"));
  std::string line;
  while (std::getline(su, line)) {
    std::istringstream fields(line);
    std::string where, qualifier;
    uint64_t bytes = 0;
    if (!std::getline(fields, where, '\t') || !(fields >> bytes >> qualifier)) continue;
    frame[where.substr(where.rfind(':') + 1)] = bytes;
    if (qualifier.find("dynamic") != std::string::npos) r.stack_static = false;
  }
  if (frame.empty()) {
    r.reason = r.compiler + " wrote no stack usage (-fstack-usage)";
    return r;
  }
  std::function<uint64_t(const std::string&, int)> bound = [&](const std::string& f, int depth) -> uint64_t {
    uint64_t deepest = 0;
    auto it = code.calls.find(f);
    if (it != code.calls.end() && depth < 16)
      for (const auto& callee : it->second) deepest = std::max(deepest, bound(callee, depth + 1));
    auto fr = frame.find(f);
    return (fr == frame.end() ? 0 : fr->second) + deepest;
  };
  for (const auto& entry : code.entry_points) r.stack.push_back({entry, bound(entry, 0)});
  if (!code.no_binning_macro.empty()) {
    std::vector<std::string> again = {cc_path, "-O2", "-std=c99", "-D" + code.no_binning_macro, "-I", include_dir, "-c", source, "-o", object};
    if (Run(again, out, err) != 0) {
      r.reason = r.compiler + " -D" + code.no_binning_macro + " failed: " + FirstLines(ReadAll(err), 5);
      return r;
    }
    if (!read_size(&r.predictor_text, &r.predictor_data, &r.predictor_bss)) return r;
    r.has_predictor_only = true;
  }
  r.measured = true;
  return r;
}

}  // namespace tessera::edge
