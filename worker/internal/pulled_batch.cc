#include "worker/internal/pulled_batch.h"

namespace ember::worker::internal {

Status StartPull(ps::PullPushClient* client, const std::vector<sparse::TableConfig>& tables, bool create, int slot,
                 StagingBuffers* host, PreparedBatch* p) {
  p->rows.resize(tables.size());
  p->pulls.clear();
  for (size_t t = 0; t < tables.size(); ++t) {
    const std::vector<Key>& keys = p->inputs[t].unique.keys;
    ASSIGN_OR_RETURN(p->rows[t], host->View(slot, t, static_cast<int64_t>(keys.size()), tables[t].dim));
    ASSIGN_OR_RETURN(ps::Ticket ticket, client->Pull(tables[t].id, keys, p->rows[t].data(), create));
    p->pulls.push_back(ticket);
  }
  p->slot = slot;
  return Status::OK();
}

Status FinishPull(ps::PullPushClient* client, ops::Device device, StagingBuffers* on_device, PreparedBatch* p) {
  for (ps::Ticket ticket : p->pulls) RETURN_IF_ERROR(client->Wait(ticket));
  p->device_rows.resize(p->rows.size());
  for (size_t t = 0; t < p->rows.size(); ++t) {
    if (device.is_cpu()) {
      p->device_rows[t] = p->rows[t];
      continue;
    }
    ASSIGN_OR_RETURN(p->device_rows[t], on_device->View(p->slot, t, p->rows[t].rows(), p->rows[t].cols()));
    RETURN_IF_ERROR(ops::CopyIntoAsync(p->rows[t], &p->device_rows[t]));
  }
  return Status::OK();
}

StatusOr<ops::Tensor> OnHost(const ops::Tensor& t) {
  if (t.device().is_cpu()) return t;
  return t.To(ops::Device::Cpu());
}

}  // namespace ember::worker::internal
