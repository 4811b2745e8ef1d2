// The dashboard's static files (src/ui/static: the page, its script and style sheet), compiled
// into the library at build time by cmake/embed_ui_assets.cmake so that `tessera ui` serves the
// page it was built and tested with, from any directory, with nothing to install beside it.
// Thread-safety: read-only static data.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace tessera::ui {

struct Asset {
  const char* path;          // URL path, e.g. "/static/app.js"
  const char* content_type;  // e.g. "text/javascript; charset=utf-8"
  const unsigned char* data;
  size_t size;

  std::string_view bytes() const { return {reinterpret_cast<const char*>(data), size}; }
};

std::span<const Asset> Assets();

// The asset served at `path`, or null.
inline const Asset* FindAsset(std::string_view path) {
  for (const Asset& a : Assets())
    if (path == a.path) return &a;
  return nullptr;
}

}  // namespace tessera::ui
