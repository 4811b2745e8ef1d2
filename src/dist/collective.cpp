#include "tessera/dist/collective.h"

namespace tessera::dist {

Collective& LocalWorld() {
  static LocalCollective world;
  return world;
}

}  // namespace tessera::dist
