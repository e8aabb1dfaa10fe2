// bench/ops/mlp_train_bench.cc: training throughput of the dense part of the
// end-to-end benchmark model: Mlp 429 -> 1024 -> 512 -> 256 -> 1 (ReLU), BCE
// with logits, Adam over the flat buffer, batch 2048, on the CPU.
//
//   OPENBLAS_NUM_THREADS=2 ./build/bench/ops/ops_mlp_train_bench [steps] [batch]
//
// Prints samples/s and milliseconds per phase.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "common/random.h"
#include "ops/ops.h"

using namespace ember;
using namespace ember::ops;

namespace {

#define BENCH_CHECK_OK(expr)                                          \
  do {                                                                \
    const ::ember::Status _s = (expr);                                \
    if (!_s.ok()) {                                                   \
      std::fprintf(stderr, "%s: %s\n", #expr, _s.ToString().c_str()); \
      std::exit(1);                                                   \
    }                                                                 \
  } while (0)

double Seconds() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 20;
  const int64_t batch = argc > 2 ? std::atoll(argv[2]) : 2048;
  ParameterSet params;
  Mlp mlp(&params, "deep", 429, {1024, 512, 256}, 1);
  BENCH_CHECK_OK(params.Finalize(1));
  StatusOr<DenseOptimizer> created = DenseOptimizer::Create(DenseOptimizerOptions{}, params.size(), Device::Cpu());
  BENCH_CHECK_OK(created.status());
  DenseOptimizer& optimizer = *created;

  Rng rng(2);
  Tensor x = Tensor::Empty({batch, 429}), labels = Tensor::Empty({batch});
  for (int64_t i = 0; i < x.numel(); ++i) x.data()[i] = static_cast<float>(rng.Uniform() - 0.5);
  for (int64_t i = 0; i < batch; ++i) labels.data()[i] = rng.Uniform() < 0.25 ? 1.f : 0.f;
  Tensor logits, dlogits = Tensor::Empty({batch, 1}), dx;
  Tensor values = params.flat_values();
  double forward_s = 0, backward_s = 0, update_s = 0, loss = 0;
  double start = 0;
  for (int step = -2; step < steps; ++step) {  // two warm-up steps
    if (step == 0) start = Seconds();
    const double t0 = Seconds();
    BENCH_CHECK_OK(params.ZeroGrads());
    BENCH_CHECK_OK(mlp.Forward(x, &logits));
    BENCH_CHECK_OK(BceWithLogitsForward(logits, labels, Tensor(), &loss));
    const double t1 = Seconds();
    BENCH_CHECK_OK(BceWithLogitsBackward(logits, labels, Tensor(), &dlogits));
    BENCH_CHECK_OK(mlp.Backward(dlogits, &dx));
    const double t2 = Seconds();
    BENCH_CHECK_OK(optimizer.Step(&values, params.flat_grads()));
    const double t3 = Seconds();
    if (step >= 0) {
      forward_s += t1 - t0;
      backward_s += t2 - t1;
      update_s += t3 - t2;
    }
  }
  const double elapsed = Seconds() - start;
  std::printf("mlp 429-1024-512-256-1 batch %lld: %.0f samples/s (%d steps, loss %.4f)\n",
              static_cast<long long>(batch), steps * batch / elapsed, steps, loss);
  std::printf("per step: forward %.2f ms, backward %.2f ms, adam %.2f ms\n", 1e3 * forward_s / steps,
              1e3 * backward_s / steps, 1e3 * update_s / steps);
  std::printf("reproduce: OPENBLAS_NUM_THREADS=2 %s %d %lld\n", argv[0], steps, static_cast<long long>(batch));
  return 0;
}
