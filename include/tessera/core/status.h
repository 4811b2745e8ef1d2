// Status and Result<T>: how library code reports failure without exceptions.
// A Status is either OK or carries a kind (user error vs internal error) and a message that
// names what went wrong and where. Thread-safety: plain values, safe to copy between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace tessera {

enum class ErrorKind {
  kUser,      // bad input or bad options: the caller can fix it (CLI exit code 1)
  kInternal,  // a bug or an environment failure (CLI exit code 2)
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status UserError(std::string message) {
    return Status(ErrorKind::kUser, std::move(message));
  }
  static Status Internal(std::string message) {
    return Status(ErrorKind::kInternal, std::move(message));
  }
  // "file:line:column: message", the form compilers use; line/column 0 are left out.
  static Status AtLocation(const std::string& file, uint64_t line, uint64_t column,
                           const std::string& message);
  // "file: byte offset N: message", for binary files and compressed streams.
  static Status AtOffset(const std::string& file, uint64_t offset, const std::string& message);

  bool ok() const { return !error_.has_value(); }
  ErrorKind kind() const { return error_ ? error_->kind : ErrorKind::kInternal; }
  const std::string& message() const;

  // Returns the same error with "context: " put in front of the message.
  Status WithContext(const std::string& context) const;

 private:
  struct Error {
    ErrorKind kind;
    std::string message;
  };
  Status(ErrorKind kind, std::string message) : error_(Error{kind, std::move(message)}) {}
  std::optional<Error> error_;
};

// Either a value or an error Status. Access value() only when ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(data_);
  }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace tessera

#define TESSERA_CONCAT_INNER(a, b) a##b
#define TESSERA_CONCAT(a, b) TESSERA_CONCAT_INNER(a, b)

// Returns from the enclosing function when `expr` (a Status) is an error.
#define TESSERA_RETURN_IF_ERROR(expr)          \
  do {                                         \
    ::tessera::Status _st = (expr);            \
    if (!_st.ok()) return _st;                 \
  } while (0)

// `lhs = value of expr` (a Result<T>), or returns its error from the enclosing function.
#define TESSERA_ASSIGN_OR_RETURN(lhs, expr) \
  TESSERA_ASSIGN_OR_RETURN_IMPL(TESSERA_CONCAT(_result_, __LINE__), lhs, expr)
#define TESSERA_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
