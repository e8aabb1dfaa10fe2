#include "models/model.h"

#include "models/bst.h"
#include "models/dcn.h"
#include "models/deepfm.h"
#include "models/din.h"
#include "models/dlrm.h"
#include "models/ncf.h"
#include "models/wide_deep.h"
#include "models/youtube_dnn.h"

namespace ember::models {
namespace {

Status CheckPositive(const char* flag, int64_t value) {
  if (value <= 0) return Status::InvalidArgument("--", flag, " must be positive; got ", value);
  return Status::OK();
}

Status CheckSizes(const char* flag, const std::vector<int64_t>& sizes) {
  for (int64_t size : sizes) RETURN_IF_ERROR(CheckPositive(flag, size));
  return Status::OK();
}

// What every model with embeddings and an MLP needs.
Status CheckDeep(const ModelOptions& options) {
  RETURN_IF_ERROR(CheckPositive("embedding_dim", options.embedding_dim));
  return CheckSizes("hidden", options.hidden);
}

Status CheckSequenceModel(const ModelOptions& options) {
  RETURN_IF_ERROR(CheckDeep(options));
  if (options.max_seq_len < 0) {
    return Status::InvalidArgument("--max_seq_len must be >= 0; got ", options.max_seq_len);
  }
  return Status::OK();
}

template <typename M>
StatusOr<std::unique_ptr<Model>> Make(const ModelOptions& options) {
  return std::unique_ptr<Model>(new M(options));
}

}  // namespace

// The model `options.name` with its layers added, not yet finalized.
static StatusOr<std::unique_ptr<Model>> BuildModel(const ModelOptions& options) {
  if (options.num_categorical <= 0 || options.num_dense < 0) {
    return Status::InvalidArgument("a model needs categorical fields; got ", options.num_categorical);
  }
  const std::string& name = options.name;
  if (name == "lr") return std::unique_ptr<Model>(new WideDeepModel(options, /*with_deep=*/false));
  if (name == "wide_deep") {
    RETURN_IF_ERROR(CheckDeep(options));
    return std::unique_ptr<Model>(new WideDeepModel(options, /*with_deep=*/true));
  }
  if (name == "deepfm") {
    RETURN_IF_ERROR(CheckDeep(options));
    return Make<DeepFmModel>(options);
  }
  if (name == "dcn") {
    RETURN_IF_ERROR(CheckDeep(options));
    RETURN_IF_ERROR(CheckPositive("cross_layers", options.cross_layers));
    return Make<DcnModel>(options);
  }
  if (name == "dlrm") {
    RETURN_IF_ERROR(CheckDeep(options));
    if (options.num_dense < 0) return Status::InvalidArgument("num_dense must be >= 0; got ", options.num_dense);
    if (options.num_dense > 0) RETURN_IF_ERROR(CheckSizes("bottom_hidden", options.bottom_hidden));
    if (options.num_dense == 0 && options.num_categorical < 2) {
      return Status::InvalidArgument("dlrm without dense features interacts its categorical fields pairwise: it ",
                                     "needs at least 2; got ", options.num_categorical);
    }
    return Make<DlrmModel>(options);
  }
  if (name == "ncf") {
    ASSIGN_OR_RETURN(NcfModel::Variant variant, ParseNcfVariant(options.ncf_variant));
    if (variant != NcfModel::Variant::kMlp) RETURN_IF_ERROR(CheckPositive("embedding_dim", options.embedding_dim));
    if (variant != NcfModel::Variant::kGmf) {
      RETURN_IF_ERROR(CheckPositive("ncf_mlp_embedding_dim", options.ncf_mlp_embedding_dim));
      if (options.hidden.empty()) return Status::InvalidArgument("ncf's MLP tower needs --hidden sizes");
      RETURN_IF_ERROR(CheckSizes("hidden", options.hidden));
    }
    return std::unique_ptr<Model>(new NcfModel(options, variant));
  }
  if (name == "din") {
    RETURN_IF_ERROR(CheckSequenceModel(options));
    return Make<DinModel>(options);
  }
  if (name == "bst") {
    RETURN_IF_ERROR(CheckSequenceModel(options));
    RETURN_IF_ERROR(CheckPositive("attention_heads", options.attention_heads));
    if (options.embedding_dim % options.attention_heads != 0) {
      return Status::InvalidArgument("bst: --embedding_dim (", options.embedding_dim,
                                     ") must be a multiple of --attention_heads (", options.attention_heads, ")");
    }
    return Make<BstModel>(options);
  }
  if (name == "youtube_retrieval") {
    RETURN_IF_ERROR(CheckSequenceModel(options));
    if (options.max_seq_len == 0) {
      return Status::InvalidArgument("youtube_retrieval's user tower reads the history: --max_seq_len must be >= 1");
    }
    if (options.hidden.empty()) {
      return Status::InvalidArgument("youtube_retrieval needs --hidden sizes (the last is the user vector's width)");
    }
    return Make<YouTubeRetrievalModel>(options);
  }
  if (name == "youtube_ranking") {
    RETURN_IF_ERROR(CheckDeep(options));
    return Make<YouTubeRankingModel>(options);
  }
  return Status::InvalidArgument(
      "unknown --model '", name,
      "': expected lr, wide_deep, deepfm, dcn, dlrm, ncf, din, bst, youtube_retrieval or youtube_ranking");
}

StatusOr<std::unique_ptr<Model>> CreateModel(const ModelOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<Model> model, BuildModel(options));
  RETURN_IF_ERROR(
      model->dense_params()
          ->Finalize(options.seed)
          .WithContext("the dense parameters of --model=" + options.name + " on " + options.device.DebugString()));
  return model;
}

namespace {

// The models that read the user's history (data::InteractionReader's third field).
bool ReadsHistory(const std::string& name) { return name == "din" || name == "bst" || name == "youtube_retrieval"; }

}  // namespace

int HistoryLength(const ModelOptions& options) { return ReadsHistory(options.name) ? options.max_seq_len : 0; }

bool ReadsInteractions(const std::string& name) { return name == "ncf" || ReadsHistory(name); }

}  // namespace ember::models
