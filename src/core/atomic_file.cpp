#include "tessera/core/atomic_file.h"

#include <filesystem>

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tessera {

namespace {
Status IoError(const std::string& what, const std::string& path) {
  return Status::UserError(path + ": " + what + ": " + std::strerror(errno));
}
}  // namespace

AtomicFileWriter::~AtomicFileWriter() { Abort(); }

Status AtomicFileWriter::Open(const std::string& path) {
  Abort();
  path_ = path;
  bytes_written_ = 0;
  if (path == "-" || path == "/dev/stdout") {
    to_stdout_ = true;
    file_ = stdout;
    return Status::Ok();
  }
  to_stdout_ = false;
  temp_path_ = path + ".tmp-" + std::to_string(getpid());
  // A missing folder is made, as `-o out/model.json` users expect.
  const auto parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  file_ = std::fopen(temp_path_.c_str(), "wb");
  if (!file_) return IoError("cannot create file", temp_path_);
  return Status::Ok();
}

Status AtomicFileWriter::Write(const void* data, size_t size) {
  if (!file_) return Status::Internal("AtomicFileWriter::Write before Open");
  if (size > 0 && std::fwrite(data, 1, size, file_) != size) return IoError("write failed", path_);
  bytes_written_ += size;
  return Status::Ok();
}

Status AtomicFileWriter::Commit() {
  if (!file_) return Status::Internal("AtomicFileWriter::Commit before Open");
  if (to_stdout_) {
    file_ = nullptr;
    if (std::fflush(stdout) != 0) return IoError("write failed", "stdout");
    return Status::Ok();
  }
  bool ok = std::fflush(file_) == 0 && fsync(fileno(file_)) == 0;
  ok = (std::fclose(file_) == 0) && ok;
  file_ = nullptr;
  if (!ok) {
    Status st = IoError("write failed", path_);
    std::remove(temp_path_.c_str());
    return st;
  }
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    Status st = IoError("cannot rename temp file into place", path_);
    std::remove(temp_path_.c_str());
    return st;
  }
  temp_path_.clear();
  return Status::Ok();
}

void AtomicFileWriter::Abort() {
  if (file_ && !to_stdout_) std::fclose(file_);
  file_ = nullptr;
  if (!temp_path_.empty()) std::remove(temp_path_.c_str());
  temp_path_.clear();
}

Status WriteFileAtomically(const std::string& path, std::string_view content) {
  AtomicFileWriter writer;
  TESSERA_RETURN_IF_ERROR(writer.Open(path));
  TESSERA_RETURN_IF_ERROR(writer.Write(content));
  return writer.Commit();
}

}  // namespace tessera
