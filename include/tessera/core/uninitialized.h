// UninitializedAllocator: for large buffers that are about to be overwritten whole (file reads,
// decompression, the binned matrix), so that growing them does not first fill them with zeros.
#pragma once

#include <memory>
#include <new>
#include <utility>

namespace tessera {

// Value-initialisation (resize(n)) leaves new elements as they are; other constructions as usual.
template <typename T>
struct UninitializedAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <typename U>
  UninitializedAllocator(const UninitializedAllocator<U>&) {}
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

}  // namespace tessera
