// bench/models/dense_step_bench.cc: one worker's dense step (Model::TrainStep
// and the dense optimizer step, rows already on the device) against the
// GEMM bound of the same model: its Linear layers' forward, input-gradient
// and weight-gradient GEMMs alone (ops::LinearForward / LinearBackward:
// OpenBLAS on the CPU, cuBLAS on a GPU), at the same batch, on the same
// device, in the same run. Prints samples/s of each and the step as a
// fraction of the bound.
//
//   build/bench/models/dense_step_bench MODEL DEVICE [steps=20] [batch=2048]
//   MODEL: wide_deep (examples/wide_deep.flags' shapes: 26 fields of dim 16,
//          13 dense, MLP 1024-512-256) or dlrm (examples/dlrm.flags': bottom
//          512-256-64... to 16, top 512-256); DEVICE: cpu or cuda
//   OPENBLAS_NUM_THREADS sets the CPU threads.
//
// Each figure is the median of `steps` timed calls after 3 untimed ones; a
// CUDA call is timed to its Synchronize.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/hash.h"
#include "common/random.h"
#include "models/model.h"
#include "ops/dense_optimizer.h"
#include "ops/linear.h"

namespace ember {
namespace {

#define BENCH_CHECK_OK(expr)                                                            \
  do {                                                                                  \
    const ::ember::Status _s = (expr);                                                  \
    if (!_s.ok()) {                                                                     \
      std::fprintf(stderr, "dense_step_bench: %s: %s\n", #expr, _s.ToString().c_str()); \
      std::exit(1);                                                                     \
    }                                                                                   \
  } while (0)

template <typename F>
double MedianSeconds(int steps, ops::Device device, F&& run) {
  std::vector<double> seconds;
  for (int i = 0; i < steps + 3; ++i) {
    const auto start = std::chrono::steady_clock::now();
    run();
    BENCH_CHECK_OK(ops::Synchronize(device));
    if (i >= 3) seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

models::ModelOptions OptionsFor(const std::string& name, ops::Device device) {
  models::ModelOptions options;
  options.name = name;
  options.embedding_dim = 16;
  options.device = device;
  if (name == "dlrm") {
    options.bottom_hidden = {512, 256, 64};
    options.hidden = {512, 256};
  } else {
    options.hidden = {1024, 512, 256};
  }
  return options;
}

// A Criteo-shaped batch: one key per field from a small vocabulary, dense
// features in [0, 1), labels 1 in 4.
data::Batch MakeBatch(int64_t batch_size, int fields, int dense) {
  data::Batch batch;
  batch.num_dense = dense;
  batch.fields.resize(fields);
  batch.Clear();
  Rng rng(7);
  for (int64_t b = 0; b < batch_size; ++b) {
    for (int f = 0; f < fields; ++f) {
      batch.fields[f].keys.push_back(HashFieldToken(f, std::to_string(rng.Uniform() * 1000)));
      batch.fields[f].offsets.push_back(static_cast<int32_t>(batch.fields[f].keys.size()));
    }
    for (int d = 0; d < dense; ++d) batch.dense.push_back(static_cast<float>(rng.Uniform()));
    batch.labels.push_back(rng.Uniform() < 0.25 ? 1.f : 0.f);
  }
  batch.size = batch_size;
  return batch;
}

int Main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: dense_step_bench wide_deep|dlrm cpu|cuda [steps=20] [batch=2048]\n");
    return 2;
  }
  const std::string name = argv[1], device_name = argv[2];
  const int steps = argc > 3 ? std::atoi(argv[3]) : 20;
  const int64_t batch_size = argc > 4 ? std::atoll(argv[4]) : 2048;
  if ((name != "wide_deep" && name != "dlrm") || (device_name != "cpu" && device_name != "cuda") || steps < 1 ||
      batch_size < 1) {
    std::fprintf(stderr, "dense_step_bench: bad arguments (see the header)\n");
    return 2;
  }
  const ops::Device device = device_name == "cuda" ? ops::Device::Cuda(0) : ops::Device::Cpu();
  StatusOr<std::unique_ptr<models::Model>> created = models::CreateModel(OptionsFor(name, device));
  BENCH_CHECK_OK(created.status());
  models::Model& model = **created;
  const data::Batch batch = MakeBatch(batch_size, 26, 13);
  std::vector<models::SparseInput> inputs;
  model.PrepareInputs(batch, &inputs);
  std::vector<ops::Tensor> rows;
  Rng rng(3);
  for (size_t t = 0; t < inputs.size(); ++t) {
    ops::Tensor host = ops::Tensor::Empty({static_cast<int64_t>(inputs[t].unique.keys.size()), model.tables()[t].dim});
    for (int64_t i = 0; i < host.numel(); ++i) host.data()[i] = static_cast<float>(rng.Normal(0, 0.01));
    StatusOr<ops::Tensor> on_device = host.To(device);
    BENCH_CHECK_OK(on_device.status());
    rows.push_back(*on_device);
  }
  ops::ParameterSet* params = model.dense_params();
  ops::DenseOptimizerOptions adam;
  adam.type = ops::DenseOptimizerType::kAdam;
  adam.learning_rate = 5e-4f;
  StatusOr<ops::DenseOptimizer> created_optimizer = ops::DenseOptimizer::Create(adam, params->size(), device);
  BENCH_CHECK_OK(created_optimizer.status());
  ops::DenseOptimizer& optimizer = *created_optimizer;
  ops::Tensor values = params->flat_values();
  std::vector<ops::Tensor> row_grads;
  models::StepResult result;
  const double step = MedianSeconds(steps, device, [&] {
    BENCH_CHECK_OK(params->ZeroGrads());
    BENCH_CHECK_OK(model.TrainStep(batch, inputs, rows, &row_grads, &result));
    BENCH_CHECK_OK(optimizer.Step(&values, params->flat_grads()));
  });

  // The bound: every 2-D weight [in, out] of the model as one Linear layer's
  // three GEMMs at this batch (input gradient too, also for the first layer).
  double bound = 0, flops = 0;
  for (int id = 0; id < params->count(); ++id) {
    const std::vector<int64_t>& shape = params->shape(id);
    if (shape.size() != 2) continue;
    StatusOr<ops::Tensor> x = ops::Tensor::AllocateZeros({batch_size, shape[0]}, device);
    StatusOr<ops::Tensor> y = ops::Tensor::AllocateZeros({batch_size, shape[1]}, device);
    StatusOr<ops::Tensor> dx = ops::Tensor::AllocateZeros({batch_size, shape[0]}, device);
    StatusOr<ops::Tensor> dw = ops::Tensor::AllocateZeros(shape, device);
    BENCH_CHECK_OK(x.status());
    BENCH_CHECK_OK(y.status());
    BENCH_CHECK_OK(dx.status());
    BENCH_CHECK_OK(dw.status());
    const ops::Tensor w = params->value(id);
    bound += MedianSeconds(steps, device, [&] {
      BENCH_CHECK_OK(ops::LinearForward(*x, w, &*y));
      BENCH_CHECK_OK(ops::LinearBackward(*x, w, *y, &*dx, &*dw));
    });
    flops += 3.0 * 2.0 * static_cast<double>(batch_size) * static_cast<double>(shape[0] * shape[1]);
  }
  const double step_rate = static_cast<double>(batch_size) / step, bound_rate = static_cast<double>(batch_size) / bound;
  std::printf("dense_step_bench %s on %s, batch %lld, %lld dense parameters, %.2f MFLOP/sample in GEMMs\n",
              name.c_str(), device.DebugString().c_str(), static_cast<long long>(batch_size),
              static_cast<long long>(params->size()), flops / static_cast<double>(batch_size) / 1e6);
  std::printf("  dense step (TrainStep + Adam): %8.2f ms  %10.0f samples/s  %7.1f GFLOP/s\n", step * 1e3, step_rate,
              flops / step / 1e9);
  std::printf("  GEMMs alone (the bound):       %8.2f ms  %10.0f samples/s  %7.1f GFLOP/s\n", bound * 1e3, bound_rate,
              flops / bound / 1e9);
  std::printf("  step / bound: %.2f of the bound's samples/s\n", step_rate / bound_rate);
  std::printf("  reproduce: build/bench/models/dense_step_bench %s %s %d %lld\n", name.c_str(), device_name.c_str(),
              steps, static_cast<long long>(batch_size));
  return 0;
}

}  // namespace
}  // namespace ember

int main(int argc, char** argv) { return ember::Main(argc, argv); }
