#include "tessera/core/status.h"

namespace tessera {

Status Status::AtLocation(const std::string& file, uint64_t line, uint64_t column,
                          const std::string& message) {
  std::string where = file;
  if (line > 0) where += ":" + std::to_string(line);
  if (line > 0 && column > 0) where += ":" + std::to_string(column);
  return UserError(where + ": " + message);
}

Status Status::AtOffset(const std::string& file, uint64_t offset, const std::string& message) {
  return UserError(file + ": byte offset " + std::to_string(offset) + ": " + message);
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return error_ ? error_->message : kEmpty;
}

Status Status::WithContext(const std::string& context) const {
  if (ok()) return *this;
  return Status(error_->kind, context + ": " + error_->message);
}

}  // namespace tessera
