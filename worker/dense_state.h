// worker/dense_state.h: a worker's dense replica (the model's dense
// parameters and the dense optimizer's state) as it leaves the worker: the
// checksum sent in DONE, and the dense.bin file of a checkpoint
// (docs/checkpoint_format.md): every dense parameter by name, then the
// optimizer's state array and its step count. Parameters and state go to the
// file the same way from any device, so a checkpoint of a GPU job resumes on
// the CPU and back.
//
// Free functions over objects the caller owns; the caller's thread only.
//
//   ASSIGN_OR_RETURN(storage::FileEntry file, WriteDenseState(dir + "/dense.bin", params, &optimizer));
//   RETURN_IF_ERROR(RestoreDenseState(dir + "/dense.bin", params, &optimizer));
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "ops/dense_optimizer.h"
#include "ops/parameters.h"
#include "ops/tensor.h"
#include "storage/checkpoint_files.h"

namespace ember::worker {

// A 64-bit checksum of the bits of `values` (docs/wire_format.md, section
// 8): equal for bitwise-equal buffers. Sent in DONE so that the scheduler
// can show that every replica ended with the same dense parameters.
uint64_t DenseChecksum(const float* values, int64_t count);
// The same of a tensor on any device (copied to the host first).
StatusOr<uint64_t> DenseChecksum(const ops::Tensor& values);

// Writes dense.bin at `path`: every parameter of `params` by name and shape,
// the optimizer's state and step count. The file's entry (for the
// checkpoint's file list), or the write's error.
StatusOr<storage::FileEntry> WriteDenseState(const std::string& path, ops::ParameterSet* params,
                                             ops::DenseOptimizer* optimizer);

// Loads dense.bin at `path` into `params` and `optimizer` (on their
// device); with a null `optimizer` the parameters only (an evaluation). DataLoss naming the file and the array when an
// array is unknown to the model or of another size, or when one the model needs is missing; the read's error otherwise.
Status RestoreDenseState(const std::string& path, ops::ParameterSet* params, ops::DenseOptimizer* optimizer);

}  // namespace ember::worker
