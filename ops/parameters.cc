#include "ops/parameters.h"

#include <cmath>

#include <glog/logging.h>

#include "common/hash.h"
#include "common/random.h"

namespace ember::ops {

ParameterSet::ParameterSet(Device device) : device_(device) {}

int ParameterSet::Add(std::string name, std::vector<int64_t> shape, Init init) {
  CHECK(!finalized_) << "ParameterSet::Add(" << name << ") after Finalize";
  CHECK(!shape.empty() && shape.size() <= 4) << "parameter " << name << " needs 1 to 4 dimensions";
  for (const Entry& e : entries_) CHECK(e.name != name) << "duplicate parameter name " << name;
  int64_t numel = 1;
  for (int64_t d : shape) {
    CHECK_GE(d, 0) << "parameter " << name;
    numel *= d;
  }
  entries_.push_back(Entry{std::move(name), std::move(shape), init, size_, numel});
  size_ += numel;
  return static_cast<int>(entries_.size()) - 1;
}

Status ParameterSet::Finalize(uint64_t seed) {
  CHECK(!finalized_) << "ParameterSet::Finalize called twice";
  const int64_t allocated = size_ > 0 ? size_ : 1;  // a valid 1-D buffer even with no parameters
  Tensor host = Tensor::Zeros({allocated});
  for (const Entry& e : entries_) {
    float* dst = host.data() + e.offset;
    Rng rng(HashBytes(e.name, seed));
    switch (e.init) {
      case Init::kZeros:
        break;
      case Init::kXavierUniform: {
        const int64_t fan_in = e.shape[0];
        const int64_t fan_out = e.shape.size() > 1 ? e.numel / e.shape[0] : e.shape[0];
        const double limit = fan_in + fan_out > 0 ? std::sqrt(6.0 / static_cast<double>(fan_in + fan_out)) : 0.0;
        for (int64_t i = 0; i < e.numel; ++i) dst[i] = static_cast<float>((2.0 * rng.Uniform() - 1.0) * limit);
        break;
      }
      case Init::kNormal001:
        for (int64_t i = 0; i < e.numel; ++i) dst[i] = static_cast<float>(rng.Normal(0.0, 0.01));
        break;
      case Init::kOnes:
        for (int64_t i = 0; i < e.numel; ++i) dst[i] = 1.f;
        break;
    }
  }
  if (device_.is_cpu()) {
    values_ = std::move(host);
  } else {
    ASSIGN_OR_RETURN(values_, host.To(device_));
  }
  ASSIGN_OR_RETURN(grads_, Tensor::AllocateZeros({allocated}, device_));
  finalized_ = true;
  return Status::OK();
}

const ParameterSet::Entry& ParameterSet::entry(int id) const {
  CHECK(id >= 0 && id < count()) << "parameter id " << id << " of " << count();
  return entries_[static_cast<size_t>(id)];
}

Tensor ParameterSet::value(int id) {
  CHECK(finalized_) << "ParameterSet::value before Finalize";
  const Entry& e = entry(id);
  return Tensor::View(values_.device_data() + e.offset, e.shape, device_);
}

Tensor ParameterSet::grad(int id) {
  CHECK(finalized_) << "ParameterSet::grad before Finalize";
  const Entry& e = entry(id);
  return Tensor::View(grads_.device_data() + e.offset, e.shape, device_);
}

Tensor ParameterSet::flat_values() {
  CHECK(finalized_) << "ParameterSet::flat_values before Finalize";
  return Tensor::View(values_.device_data(), {size_}, device_);
}

Tensor ParameterSet::flat_grads() {
  CHECK(finalized_) << "ParameterSet::flat_grads before Finalize";
  return Tensor::View(grads_.device_data(), {size_}, device_);
}

StatusOr<int> ParameterSet::Find(const std::string& name) const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].name == name) return static_cast<int>(i);
  }
  return Status::NotFound("no dense parameter named '", name, "'");
}

Status ParameterSet::ZeroGrads() {
  CHECK(finalized_) << "ParameterSet::ZeroGrads before Finalize";
  return SetZero(&grads_);
}

const std::string& ParameterSet::name(int id) const { return entry(id).name; }
const std::vector<int64_t>& ParameterSet::shape(int id) const { return entry(id).shape; }
int64_t ParameterSet::offset(int id) const { return entry(id).offset; }

}  // namespace ember::ops
