// The "lockstep" layout of the C export (internal to src/edge): every tree a table of nodes
// whose leaves lead to themselves, walked ten trees at a time for a fixed number of steps with
// no branch on the data, so that ten independent chains of loads overlap. Each test is one
// comparison `!(v[slot] <= threshold)` against a per-row vector `v` of the values the trees test:
// a feature as it is (missing goes right), the feature with NaN replaced by -inf (missing goes
// left), each categorical split's answer (0 left, 1 right), and the value that sends every leaf
// to itself.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tessera/models/gbdt/booster.h"

namespace tessera::edge {

struct LockstepInput {
  const models::gbdt::GbdtModel* model = nullptr;
  bool quantize = false;      // bins (uint16) instead of floats
  std::string macro_prefix;   // "TESSERA"
  std::vector<int> cat_slot;  // float code: each feature's slot in c[] (-1: none)
  const std::vector<std::vector<uint32_t>>* set_offset =
      nullptr;                                      // per tree and node: bitset offset
  std::function<std::string(float)> float_literal;  // a float constant (notes HUGE_VALF use)
  std::function<std::string(size_t tree, size_t leaf)> leaf_literal;
};

struct LockstepCode {
  // Tables and `static void <walk>(const <value> *v, <reached_type> *reached)`: reached[t] =
  // the leaf entry that tree t's walk ends at; reached[NUM_TREES] is scratch.
  std::string definitions;
  // Statements that fill `v[]` from x[] and c[] (float) or b[] (quantized); `v` is declared.
  std::string fill;
  std::string walk;  // the walk function's name
  // The value of the leaf entry `@` (replace it with e.g. "reached[t]"): the leaf's number is
  // kept in the entry's threshold (float: -(number + 1); quantized: the number).
  std::string leaf_of_entry;
  std::string reached_type;  // uint16_t or uint32_t
  std::string value_type;    // of v[]: float, or uint16_t / uint32_t (quantized)
  size_t value_slots = 0;    // size of v[]
};

LockstepCode EmitLockstep(const LockstepInput& in);

}  // namespace tessera::edge
