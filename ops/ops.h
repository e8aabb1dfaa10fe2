// ops/ops.h: every public header of ember::ops, for callers that use many.
// See ops/README.md.
#pragma once

#include "ops/activation.h"
#include "ops/attention.h"
#include "ops/bias.h"
#include "ops/combine.h"
#include "ops/cross.h"
#include "ops/cross_layer.h"
#include "ops/dense_optimizer.h"
#include "ops/dot_interaction.h"
#include "ops/dropout.h"
#include "ops/embedding_pool.h"
#include "ops/fm.h"
#include "ops/layer_norm.h"
#include "ops/layers.h"
#include "ops/linear.h"
#include "ops/loss.h"
#include "ops/parameters.h"
#include "ops/prelu.h"
#include "ops/sequence.h"
#include "ops/softmax.h"
#include "ops/tensor.h"
