#include "tessera/dist/agreement.h"

#include <cstdint>

namespace tessera::dist {

Status AgreeOnStatus(Collective& world, const Status& local) {
  if (world.size() == 1) return local;
  // 0 = ok, 1 = user error, 2 = internal error: the maximum says whether anyone failed.
  int64_t flag = local.ok() ? 0 : (local.kind() == ErrorKind::kUser ? 1 : 2);
  std::span<int64_t> one(&flag, 1);
  if (Status st = world.AllReduceMax(one); !st.ok()) return Status::Internal("while ranks compared their status: " + st.message());
  if (flag == 0) return Status::Ok();
  // Someone failed: every rank learns who and why.
  const std::string mine = local.ok() ? std::string() : local.message();
  auto all = world.AllGather(mine);
  if (!all.ok()) return Status::Internal("while ranks exchanged their errors: " + all.status().message());
  std::string message;
  for (size_t r = 0; r < all->size(); ++r) {
    if ((*all)[r].empty()) continue;
    if (!message.empty()) message += "; ";
    message += "rank " + std::to_string(r) + ": " + (*all)[r];
  }
  if (message.empty()) message = "a rank failed without a message";
  return flag == 1 ? Status::UserError(message) : Status::Internal(message);
}

}  // namespace tessera::dist
