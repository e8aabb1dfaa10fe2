// ops/internal/host_device.h: EMBER_HOST_DEVICE marks an inline function
// that both the CPU reference (.cc) and the CUDA kernels (.cu) call, so the
// two run the same arithmetic in the same order. Private to ops/.
#pragma once

#if defined(__CUDACC__)
#define EMBER_HOST_DEVICE __host__ __device__
#else
#define EMBER_HOST_DEVICE
#endif
