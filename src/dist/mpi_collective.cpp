// The MPI world (Open MPI): the only file that includes mpi.h. Errors on the communicator are
// returned (MPI_ERRORS_RETURN), not fatal, and become Status.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <limits>

#include "mpi_world.h"

namespace tessera::dist {

namespace {

Status MpiError(const char* what, int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return Status::Internal(std::string("MPI ") + what + " failed: " + std::string(text, static_cast<size_t>(length)));
}

class MpiCollective final : public Collective {
 public:
  ~MpiCollective() override {
    if (finalized_) return;
    if (std::uncaught_exceptions() > 0) {
      // This rank is failing on its own: the others may be waiting in a collective for it.
      std::fprintf(stderr, "tessera: rank %d failed outside a synchronisation point; aborting the job\n", rank_);
      std::fflush(stderr);
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    Finalize();
  }

  static Result<std::unique_ptr<Collective>> Create() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      int provided = 0;
      // Only the main thread calls MPI; the worker pool never does.
      int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
      if (rc != MPI_SUCCESS) return Status::Internal("MPI_Init_thread failed (code " + std::to_string(rc) + ")");
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    std::unique_ptr<MpiCollective> world(new MpiCollective());
    if (int rc = MPI_Comm_dup(MPI_COMM_WORLD, &world->comm_); rc != MPI_SUCCESS) return MpiError("Comm_dup", rc);
    MPI_Comm_set_errhandler(world->comm_, MPI_ERRORS_RETURN);
    MPI_Comm_rank(world->comm_, &world->rank_);
    MPI_Comm_size(world->comm_, &world->size_);
    return std::unique_ptr<Collective>(std::move(world));
  }

  void Finalize() {
    if (finalized_) return;
    finalized_ = true;
    MPI_Comm_free(&comm_);
    int done = 0;
    MPI_Finalized(&done);
    if (!done) MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  Status AllReduceSum(std::span<int64_t> v) override { return Reduce(v.data(), v.size(), MPI_INT64_T, MPI_SUM, 8); }
  Status AllReduceSum(std::span<double> v) override { return Reduce(v.data(), v.size(), MPI_DOUBLE, MPI_SUM, 8); }
  Status AllReduceMax(std::span<int64_t> v) override { return Reduce(v.data(), v.size(), MPI_INT64_T, MPI_MAX, 8); }
  Status AllReduceMax(std::span<double> v) override { return Reduce(v.data(), v.size(), MPI_DOUBLE, MPI_MAX, 8); }

  Result<std::vector<std::string>> AllGather(std::string_view bytes) override {
    Timer timer(this);
    if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
      return Status::Internal("a rank's gathered buffer exceeds 2 GiB");
    int mine = static_cast<int>(bytes.size());
    std::vector<int> sizes(static_cast<size_t>(size_));
    if (int rc = MPI_Allgather(&mine, 1, MPI_INT, sizes.data(), 1, MPI_INT, comm_); rc != MPI_SUCCESS)
      return MpiError("Allgather", rc);
    std::vector<int> offsets(sizes.size());
    int64_t total = 0;
    for (size_t r = 0; r < sizes.size(); ++r) offsets[r] = static_cast<int>(total), total += sizes[r];
    if (total > std::numeric_limits<int>::max()) return Status::Internal("gathered buffers exceed 2 GiB in all");
    std::string all(static_cast<size_t>(total), '\0');
    if (int rc = MPI_Allgatherv(bytes.data(), mine, MPI_BYTE, all.data(), sizes.data(), offsets.data(), MPI_BYTE, comm_);
        rc != MPI_SUCCESS)
      return MpiError("Allgatherv", rc);
    stats_.bytes_sent += sizeof(int) + bytes.size();
    std::vector<std::string> out(sizes.size());
    for (size_t r = 0; r < sizes.size(); ++r) out[r] = all.substr(static_cast<size_t>(offsets[r]), static_cast<size_t>(sizes[r]));
    return out;
  }

  Status Broadcast(std::string* bytes, int root) override {
    Timer timer(this);
    uint64_t length = bytes->size();
    if (int rc = MPI_Bcast(&length, 1, MPI_UINT64_T, root, comm_); rc != MPI_SUCCESS) return MpiError("Bcast", rc);
    if (length > static_cast<uint64_t>(std::numeric_limits<int>::max())) return Status::Internal("broadcast buffer exceeds 2 GiB");
    bytes->resize(length);
    if (int rc = MPI_Bcast(bytes->data(), static_cast<int>(length), MPI_BYTE, root, comm_); rc != MPI_SUCCESS)
      return MpiError("Bcast", rc);
    if (rank_ == root) stats_.bytes_sent += sizeof length + length;
    return Status::Ok();
  }

  Status Barrier() override {
    Timer timer(this);
    if (int rc = MPI_Barrier(comm_); rc != MPI_SUCCESS) return MpiError("Barrier", rc);
    return Status::Ok();
  }

 private:
  MpiCollective() = default;

  // Counts a call and its wall time.
  struct Timer {
    explicit Timer(MpiCollective* c) : c(c), start(std::chrono::steady_clock::now()) {}
    ~Timer() {
      c->stats_.calls += 1;
      c->stats_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    MpiCollective* c;
    std::chrono::steady_clock::time_point start;
  };

  Status Reduce(void* data, size_t count, MPI_Datatype type, MPI_Op op, size_t element_bytes) {
    Timer timer(this);
    // Large buffers go in pieces: MPI counts are ints.
    constexpr size_t kMaxCount = size_t{1} << 30;
    char* p = static_cast<char*>(data);
    for (size_t done = 0; done < count;) {
      const size_t n = std::min(kMaxCount, count - done);
      if (int rc = MPI_Allreduce(MPI_IN_PLACE, p + done * element_bytes, static_cast<int>(n), type, op, comm_); rc != MPI_SUCCESS)
        return MpiError("Allreduce", rc);
      done += n;
    }
    stats_.bytes_sent += count * element_bytes;
    return Status::Ok();
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  bool finalized_ = false;
};

}  // namespace

Result<std::unique_ptr<Collective>> ConnectMpi() { return MpiCollective::Create(); }

void FinalizeMpi(Collective& world) {
  if (auto* mpi = dynamic_cast<MpiCollective*>(&world)) mpi->Finalize();
}

}  // namespace tessera::dist
