#include "worker/dense_sync.h"

#include <algorithm>
#include <cstring>

namespace ember::worker {

Status RequireHostBuffer(const char* sync, const ops::Tensor& buffer) {
  if (buffer.device().is_cpu()) return Status::OK();
  return Status::InvalidArgument(sync, " sums host buffers; got ", buffer.DebugString(),
                                 " (a GPU worker's gradients go through --dense_sync=nccl)");
}

class LocalDenseSyncGroup::Member : public DenseSync {
 public:
  Member(LocalDenseSyncGroup* group, int rank) : group_(group), rank_(rank) {}
  // A buffer on a GPU (a local job of GPU workers) is summed through a host copy.
  Status AllreduceSum(ops::Tensor* buffer) override {
    if (buffer->device().is_cpu()) return group_->AllreduceSum(rank_, buffer->data(), buffer->numel());
    if (staging_.numel() != buffer->numel()) staging_ = ops::Tensor::Empty({buffer->numel()});
    RETURN_IF_ERROR(ops::CopyInto(*buffer, &staging_));
    RETURN_IF_ERROR(group_->AllreduceSum(rank_, staging_.data(), staging_.numel()));
    return ops::CopyInto(staging_, buffer);
  }
  void Abort(const Status& why) override { group_->Abort(why); }
  int num_workers() const override { return group_->num_workers_; }

 private:
  LocalDenseSyncGroup* group_;
  int rank_;
  ops::Tensor staging_;  // host copy of a device buffer
};

LocalDenseSyncGroup::LocalDenseSyncGroup(int num_workers) : num_workers_(num_workers), buffers_(num_workers, nullptr) {
  for (int r = 0; r < num_workers; ++r) members_.push_back(std::make_unique<Member>(this, r));
}

LocalDenseSyncGroup::~LocalDenseSyncGroup() = default;

DenseSync* LocalDenseSyncGroup::member(int rank) { return members_.at(rank).get(); }

Status LocalDenseSyncGroup::Arrive() {
  std::unique_lock<std::mutex> lock(mu_);
  if (!aborted_.ok()) return aborted_;
  const uint64_t generation = generation_;
  if (++arrived_ == num_workers_) {
    arrived_ = 0;
    ++generation_;
    cv_.notify_all();
    return Status::OK();
  }
  cv_.wait(lock, [&] { return generation_ != generation || !aborted_.ok(); });
  return aborted_;
}

Status LocalDenseSyncGroup::AllreduceSum(int rank, float* data, int64_t count) {
  if (num_workers_ == 1) return Status::OK();
  {
    std::lock_guard<std::mutex> lock(mu_);
    buffers_[rank] = data;
    if (rank == 0) result_.resize(count);
  }
  RETURN_IF_ERROR(Arrive());
  // Phase 1: rank r sums its slice over all ranks, in rank order.
  const int64_t slice = (count + num_workers_ - 1) / num_workers_;
  const int64_t begin = std::min<int64_t>(count, slice * rank);
  const int64_t end = std::min<int64_t>(count, begin + slice);
  float* out = result_.data();
  std::memcpy(out + begin, buffers_[0] + begin, sizeof(float) * (end - begin));
  for (int r = 1; r < num_workers_; ++r) {
    const float* in = buffers_[r];
    for (int64_t i = begin; i < end; ++i) out[i] += in[i];
  }
  RETURN_IF_ERROR(Arrive());
  // Phase 2: everyone copies the whole sum.
  std::memcpy(data, out, sizeof(float) * count);
  return Arrive();  // nobody reuses result_ before all have copied
}

void LocalDenseSyncGroup::Abort(const Status& why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (aborted_.ok()) aborted_ = Status::Aborted("dense sync aborted: ", why.ToString());
  cv_.notify_all();
}

}  // namespace ember::worker
