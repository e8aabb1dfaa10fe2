// tests/ops/test_util.h: helpers for the ops tests: device-parameterised
// fixtures, host/device copies, and a central-difference gradient check.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "common/random.h"
#include "common/status.h"
#include "ops/tensor.h"

#define OPS_ASSERT_OK(expr)                       \
  do {                                            \
    const ::ember::Status _ops_status = (expr);   \
    ASSERT_TRUE(_ops_status.ok()) << _ops_status; \
  } while (0)
#define OPS_EXPECT_OK(expr)                       \
  do {                                            \
    const ::ember::Status _ops_status = (expr);   \
    EXPECT_TRUE(_ops_status.ok()) << _ops_status; \
  } while (0)

namespace ember::ops {
// Readable parameter names in gtest output.
inline void PrintTo(DeviceType type, std::ostream* os) { *os << (type == DeviceType::kCpu ? "cpu" : "cuda"); }
}  // namespace ember::ops

namespace ember::ops::testing {

inline Device DeviceFor(DeviceType type) { return type == DeviceType::kCpu ? Device::Cpu() : Device::Cuda(0); }

// A test run once per device; the CUDA instance skips itself without a GPU.
class DeviceTest : public ::testing::TestWithParam<DeviceType> {
 protected:
  void SetUp() override {
    if (GetParam() == DeviceType::kCuda && !CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  }
  Device device() const { return DeviceFor(GetParam()); }
  bool on_cuda() const { return GetParam() == DeviceType::kCuda; }
};

inline std::string DeviceName(const ::testing::TestParamInfo<DeviceType>& info) {
  return info.param == DeviceType::kCpu ? "Cpu" : "Cuda";
}

#define OPS_INSTANTIATE_DEVICE_TEST(suite)                                                                     \
  INSTANTIATE_TEST_SUITE_P(Devices, suite,                                                                     \
                           ::testing::Values(::ember::ops::DeviceType::kCpu, ::ember::ops::DeviceType::kCuda), \
                           ::ember::ops::testing::DeviceName)

// A CPU tensor with values uniform in [lo, hi).
inline Tensor RandomTensor(Rng* rng, std::vector<int64_t> shape, double lo = -1, double hi = 1) {
  Tensor t = Tensor::Empty(std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<float>(lo + (hi - lo) * rng->Uniform());
  return t;
}

// A CPU tensor with the given values and shape.
inline Tensor HostTensor(std::vector<int64_t> shape, const std::vector<float>& values) {
  Tensor t = Tensor::Empty(std::move(shape));
  EXPECT_EQ(static_cast<size_t>(t.numel()), values.size());
  for (size_t i = 0; i < values.size(); ++i) t.data()[i] = values[i];
  return t;
}

inline Tensor OnDevice(const Tensor& t, Device device) {
  StatusOr<Tensor> copy = t.To(device);
  EXPECT_TRUE(copy.ok()) << copy.status();
  return copy.ok() ? std::move(copy).value() : Tensor();
}

inline Tensor ToHost(const Tensor& t) { return OnDevice(t, Device::Cpu()); }

inline IndexTensor OnDevice(const std::vector<int32_t>& values, Device device) {
  StatusOr<IndexTensor> t = IndexTensor::FromVectorOr(values, device);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? std::move(t).value() : IndexTensor();
}

// sum_i a_i * b_i in double over host copies.
inline double Dot(const Tensor& a, const Tensor& b) {
  const Tensor ha = ToHost(a), hb = ToHost(b);
  EXPECT_EQ(ha.numel(), hb.numel());
  double sum = 0;
  for (int64_t i = 0; i < ha.numel(); ++i) sum += static_cast<double>(ha.data()[i]) * hb.data()[i];
  return sum;
}

// Expects |a - b| <= atol + rtol * max(|a|, |b|) element-wise (host copies).
inline void ExpectAllClose(const Tensor& a, const Tensor& b, double rtol, double atol, const std::string& what) {
  const Tensor ha = ToHost(a), hb = ToHost(b);
  ASSERT_EQ(ha.numel(), hb.numel()) << what;
  for (int64_t i = 0; i < ha.numel(); ++i) {
    const double x = ha.data()[i], y = hb.data()[i];
    EXPECT_NEAR(x, y, atol + rtol * std::max(std::abs(x), std::abs(y))) << what << " at " << i;
  }
}

// Central differences of `loss` (which reads *input, a host tensor) around
// every element of *input, compared with `analytic` (same numel, any device).
inline void ExpectGradientMatches(const std::string& what, Tensor* input, const Tensor& analytic,
                                  const std::function<double()>& loss, double eps = 1e-2, double rtol = 1e-2,
                                  double atol = 1e-3) {
  const Tensor expected = ToHost(analytic);
  ASSERT_EQ(expected.numel(), input->numel()) << what;
  for (int64_t i = 0; i < input->numel(); ++i) {
    const float saved = input->data()[i];
    const float plus = static_cast<float>(saved + eps), minus = static_cast<float>(saved - eps);
    input->data()[i] = plus;
    const double up = loss();
    input->data()[i] = minus;
    const double down = loss();
    input->data()[i] = saved;
    const double numeric = (up - down) / (static_cast<double>(plus) - static_cast<double>(minus));
    const double got = expected.data()[i];
    EXPECT_NEAR(got, numeric, atol + rtol * std::max(std::abs(numeric), std::abs(got))) << what << " d/d[" << i << "]";
  }
}

}  // namespace ember::ops::testing
