// Every model on the CPU and on a CUDA device: one TrainStep (and Predict)
// on the same batch, rows and seed gives the same loss, probabilities, row
// gradients and dense gradients on both, up to the order in which cuBLAS
// and the kernels add. The CUDA cases skip themselves without a GPU; the CPU
// cases check what runs the same on both: that a model refuses rows on
// another device than its own, and that the step's results live on the
// model's device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include "common/random.h"
#include "models/model.h"
#include "tests/util/model_batches.h"

namespace ember::models {
namespace {

struct ModelCase {
  std::string name;
  int max_seq_len = 0;  // the sequence models' history; 0 for the CTR models
};

void PrintTo(const ModelCase& c, std::ostream* os) { *os << c.name << " (history " << c.max_seq_len << ")"; }

bool ReadsSequences(const ModelCase& c) { return ReadsInteractions(c.name); }

ModelOptions OptionsFor(const ModelCase& c, ops::Device device) {
  ModelOptions options;
  options.name = c.name;
  options.embedding_dim = 4;
  options.hidden = {6, 4};
  options.cross_layers = 2;
  options.bottom_hidden = {4};
  options.seed = 21;
  options.device = device;
  if (ReadsSequences(c)) {
    options.num_dense = 0;
    options.num_categorical = c.max_seq_len > 0 ? 3 : 2;
    options.max_seq_len = c.max_seq_len;
    options.attention_heads = 2;
  } else {
    options.num_dense = testing_util::kCtrDense;
    options.num_categorical = testing_util::kCtrFields;
    options.wide_crosses = {{0, 2}};
  }
  return options;
}

data::Batch BatchFor(const ModelCase& c) {
  return ReadsSequences(c) ? testing_util::SequenceBatch(c.max_seq_len > 0) : testing_util::CtrBatch();
}

std::vector<float> HostValues(const ops::Tensor& t) {
  StatusOr<ops::Tensor> host = t.To(ops::Device::Cpu());
  EXPECT_TRUE(host.ok()) << host.status();
  if (!host.ok() || host->empty()) return {};
  return std::vector<float>(host->data(), host->data() + host->numel());
}

// What one step of a model produced, on the host.
struct StepOutput {
  double loss = 0;
  std::vector<float> probabilities, predicted;
  std::vector<std::vector<float>> row_grads;
  std::vector<float> dense_grads;
};

// One TrainStep, then Predict, of the model of `c` on `device`, with rows
// drawn on the host from a fixed seed and copied there.
StepOutput RunStep(const ModelCase& c, ops::Device device) {
  StepOutput out;
  StatusOr<std::unique_ptr<Model>> model = CreateModel(OptionsFor(c, device));
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return out;
  const data::Batch batch = BatchFor(c);
  std::vector<SparseInput> inputs;
  (*model)->PrepareInputs(batch, &inputs);
  Rng rng(17);
  std::vector<ops::Tensor> rows;
  for (size_t t = 0; t < inputs.size(); ++t) {
    ops::Tensor host =
        ops::Tensor::Empty({static_cast<int64_t>(inputs[t].unique.keys.size()), (*model)->tables()[t].dim});
    for (int64_t i = 0; i < host.numel(); ++i) host.data()[i] = static_cast<float>(rng.Normal(0, 0.5));
    StatusOr<ops::Tensor> on_device = host.To(device);
    EXPECT_TRUE(on_device.ok()) << on_device.status();
    rows.push_back(on_device.ok() ? *on_device : ops::Tensor());
  }
  EXPECT_TRUE((*model)->dense_params()->ZeroGrads().ok());
  std::vector<ops::Tensor> row_grads;
  StepResult result;
  const Status step = (*model)->TrainStep(batch, inputs, rows, &row_grads, &result);
  EXPECT_TRUE(step.ok()) << step;
  out.loss = result.mean_loss;
  out.probabilities = result.probabilities;
  for (const ops::Tensor& grads : row_grads) {
    EXPECT_TRUE(grads.device() == device) << c.name << ": a row gradient on " << grads.device().DebugString();
    out.row_grads.push_back(HostValues(grads));
  }
  out.dense_grads = HostValues((*model)->dense_params()->flat_grads());
  const Status predicted = (*model)->Predict(batch, inputs, rows, &out.predicted);
  EXPECT_TRUE(predicted.ok()) << predicted;
  return out;
}

void ExpectClose(const std::vector<float>& cuda, const std::vector<float>& cpu, const std::string& what) {
  ASSERT_EQ(cuda.size(), cpu.size()) << what;
  for (size_t i = 0; i < cpu.size(); ++i) {
    EXPECT_NEAR(cuda[i], cpu[i], 1e-4 + 1e-3 * std::abs(cpu[i])) << what << " [" << i << "]";
  }
}

class ModelDeviceTest : public ::testing::TestWithParam<ModelCase> {};

TEST_P(ModelDeviceTest, CpuStepKeepsEveryResultOnTheCpuAndRepeats) {
  const StepOutput first = RunStep(GetParam(), ops::Device::Cpu());
  const StepOutput second = RunStep(GetParam(), ops::Device::Cpu());
  EXPECT_TRUE(std::isfinite(first.loss));
  EXPECT_EQ(first.loss, second.loss);
  EXPECT_EQ(first.dense_grads, second.dense_grads);
  EXPECT_EQ(first.row_grads, second.row_grads);
  EXPECT_EQ(first.probabilities, first.predicted) << "Predict and TrainStep see the same logits";
}

TEST_P(ModelDeviceTest, RowsOnAnotherDeviceAreRefused) {
  StatusOr<std::unique_ptr<Model>> model = CreateModel(OptionsFor(GetParam(), ops::Device::Cpu()));
  ASSERT_TRUE(model.ok()) << model.status();
  const data::Batch batch = BatchFor(GetParam());
  std::vector<SparseInput> inputs;
  (*model)->PrepareInputs(batch, &inputs);
  // Views that say they live on a GPU: the model must refuse them before it
  // reads a byte (the memory is never touched).
  std::vector<float> storage(4096);
  std::vector<ops::Tensor> rows;
  for (size_t t = 0; t < inputs.size(); ++t) {
    rows.push_back(ops::Tensor::View(storage.data(),
                                     {static_cast<int64_t>(inputs[t].unique.keys.size()), (*model)->tables()[t].dim},
                                     ops::Device::Cuda(0)));
  }
  std::vector<ops::Tensor> row_grads;
  StepResult result;
  const Status step = (*model)->TrainStep(batch, inputs, rows, &row_grads, &result);
  EXPECT_EQ(step.code(), StatusCode::kInvalidArgument) << step;
  EXPECT_NE(step.message().find("cuda:0"), std::string::npos) << step;
}

TEST_P(ModelDeviceTest, CudaStepMatchesTheCpu) {
  if (!ops::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  const StepOutput cpu = RunStep(GetParam(), ops::Device::Cpu());
  const StepOutput cuda = RunStep(GetParam(), ops::Device::Cuda(0));
  EXPECT_NEAR(cuda.loss, cpu.loss, 1e-5 + 1e-4 * std::abs(cpu.loss));
  ExpectClose(cuda.probabilities, cpu.probabilities, GetParam().name + " probabilities");
  ExpectClose(cuda.predicted, cpu.predicted, GetParam().name + " Predict");
  ExpectClose(cuda.dense_grads, cpu.dense_grads, GetParam().name + " dense gradients");
  ASSERT_EQ(cuda.row_grads.size(), cpu.row_grads.size());
  for (size_t t = 0; t < cpu.row_grads.size(); ++t) {
    ExpectClose(cuda.row_grads[t], cpu.row_grads[t], GetParam().name + " row gradients of table " + std::to_string(t));
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ModelDeviceTest,
                         ::testing::Values(ModelCase{"lr"}, ModelCase{"wide_deep"}, ModelCase{"deepfm"},
                                           ModelCase{"dcn"}, ModelCase{"dlrm"}, ModelCase{"youtube_ranking"},
                                           ModelCase{"ncf"}, ModelCase{"din", 3}, ModelCase{"din", 0},
                                           ModelCase{"bst", 3}, ModelCase{"youtube_retrieval", 3}),
                         [](const ::testing::TestParamInfo<ModelCase>& info) {
                           return info.param.name + (info.param.max_seq_len > 0 ? "_history" : "");
                         });

}  // namespace
}  // namespace ember::models
