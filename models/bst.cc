#include "models/bst.h"

#include "models/internal/parts.h"
#include "models/internal/sequence_parts.h"
#include "ops/combine.h"
#include "ops/sequence.h"

namespace ember::models {

using internal::EnsureShape;
using internal::ItemSequence;

namespace {

// *sum = a + b (same numel), resized to a's shape.
Status Add(const ops::Tensor& a, const ops::Tensor& b, ops::Tensor* sum) {
  RETURN_IF_ERROR(EnsureShape(sum, a.shape(), a.device()));
  RETURN_IF_ERROR(ops::CopyInto(a, sum));
  return ops::AddInto(b, sum);
}

}  // namespace

BstModel::BstModel(ModelOptions options)
    : UserItemHistoryModel(std::move(options)),
      dim_(options_.embedding_dim),
      positions_(options_.max_seq_len + 1),
      attention_(&params_, "transformer.attention", positions_, dim_, options_.attention_heads),
      norm1_(&params_, "transformer.norm1", dim_),
      norm2_(&params_, "transformer.norm2", dim_),
      ffn_(&params_, "transformer.ffn", dim_, {4 * dim_}, dim_),
      top_(&params_, "mlp", 3 * dim_, options_.hidden, 1) {}

Status BstModel::Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                         const std::vector<ops::Tensor>& rows) {
  RETURN_IF_ERROR(CheckInputs(batch, inputs, rows));
  const int64_t n = batch.size;
  // Position 0 is the candidate, 1.. the history, latest first.
  RETURN_IF_ERROR(history_.Build(inputs[kItemsTable], kHistoryGroup, /*first=*/1, positions_, n, device()));
  RETURN_IF_ERROR(history_.Gather(rows[kItemsTable], dim_, &seq_));
  RETURN_IF_ERROR(ItemSequence::Forward(index_[kItemsTable], 0, rows[kItemsTable], 0, &seq_));
  const ops::IndexTensor& lengths = history_.lengths();
  RETURN_IF_ERROR(attention_.Forward(seq_, lengths, &attended_));
  RETURN_IF_ERROR(Add(seq_, attended_, &sum1_));
  RETURN_IF_ERROR(norm1_.Forward(sum1_.Reshaped({n * positions_, dim_}), &a_));
  RETURN_IF_ERROR(ffn_.Forward(a_, &ffn_out_));
  RETURN_IF_ERROR(Add(a_, ffn_out_, &sum2_));
  RETURN_IF_ERROR(norm2_.Forward(sum2_, &o_));
  const ops::Tensor o = o_.Reshaped({n, positions_ * dim_});
  RETURN_IF_ERROR(EnsureShape(&pooled_, {n, dim_}, device()));
  RETURN_IF_ERROR(ops::SequencePoolForward(o, lengths, dim_, /*mean=*/true, &pooled_));
  RETURN_IF_ERROR(EnsureShape(&x_, {n, 3 * dim_}, device()));
  RETURN_IF_ERROR(ops::CopyColumns(o, 0, dim_, &x_, 0));
  RETURN_IF_ERROR(ops::CopyColumns(pooled_, 0, dim_, &x_, dim_));
  RETURN_IF_ERROR(EnsureShape(&user_, {n, dim_}, device()));
  RETURN_IF_ERROR(internal::FieldEmbeddings::Forward(index_[kUsersTable], rows[kUsersTable], dim_, &user_));
  RETURN_IF_ERROR(ops::CopyColumns(user_, 0, dim_, &x_, 2 * dim_));
  return top_.Forward(x_, &logits_);
}

Status BstModel::Backward(const data::Batch& batch, std::vector<ops::Tensor>* row_grads) {
  const int64_t n = batch.size;
  RETURN_IF_ERROR(top_.Backward(dlogits_, &dx_));
  const ops::IndexTensor& lengths = history_.lengths();
  // d o: the candidate's column block, plus the mean pool's gradient.
  RETURN_IF_ERROR(EnsureShape(&dpooled_, {n, dim_}, device()));
  RETURN_IF_ERROR(ops::CopyColumns(dx_, dim_, dim_, &dpooled_, 0));
  RETURN_IF_ERROR(EnsureShape(&do_, {n, positions_ * dim_}, device()));
  RETURN_IF_ERROR(ops::SequencePoolBackward(dpooled_, lengths, dim_, /*mean=*/true, &do_));
  RETURN_IF_ERROR(ops::AddColumns(dx_, 0, dim_, &do_, 0));
  const ops::Tensor do_rows = do_.Reshaped({n * positions_, dim_});
  RETURN_IF_ERROR(norm2_.Backward(do_rows, &dsum2_));  // d(a + FFN(a))
  RETURN_IF_ERROR(ffn_.Backward(dsum2_, &da_));
  RETURN_IF_ERROR(ops::AddInto(dsum2_, &da_));     // the residual path
  RETURN_IF_ERROR(norm1_.Backward(da_, &dsum1_));  // d(s + attention(s))
  RETURN_IF_ERROR(attention_.Backward(dsum1_.Reshaped({n, positions_ * dim_}), &dseq_));
  RETURN_IF_ERROR(ops::AddInto(dsum1_, &dseq_));  // the residual path
  ops::Tensor& item_grads = (*row_grads)[kItemsTable];
  ASSIGN_OR_RETURN(item_grads, ops::Tensor::AllocateZeros({index_[kItemsTable].num_unique, dim_}, device()));
  RETURN_IF_ERROR(ItemSequence::Backward(dseq_, 0, index_[kItemsTable], 0, &item_grads));
  RETURN_IF_ERROR(history_.Scatter(dseq_, dim_, &item_grads));
  RETURN_IF_ERROR(EnsureShape(&duser_, {n, dim_}, device()));
  RETURN_IF_ERROR(ops::CopyColumns(dx_, 2 * dim_, dim_, &duser_, 0));
  RETURN_IF_ERROR(internal::FieldEmbeddings::Backward(duser_, index_[kUsersTable], dim_, &(*row_grads)[kUsersTable]));
  return Status::OK();
}

}  // namespace ember::models
