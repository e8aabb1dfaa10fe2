// cli/flag_definitions.cc: the DEFINE_* of every flag of the ember binary
// (declared in cli/flag_definitions.h). A library of its own, ember_cli_flags,
// that needs only gflags, so that a tool can register ember's flags without
// linking the job (fuzz/flagfile_fuzzer.cc reads flag files with them). The
// flags register themselves from static initializers: a binary must read at
// least one FLAGS_* of this file, or the linker drops the object from the
// static library, and every flag with it.
#include "cli/flag_definitions.h"

#include <cstdint>

// Data.
DEFINE_string(train_files, "",
              "Training data: comma-separated paths or globs of files in --data_format (Criteo TSV by default). "
              "Required by train.");
DEFINE_string(eval_files, "",
              "Held-out data: comma-separated paths or globs of files in --data_format (Criteo TSV by default). "
              "train evaluates on them after every epoch; eval reads their labels. Default: none.");
DEFINE_int64(max_bad_lines, 1000,
             "Malformed input lines are counted and skipped (logged with file:line); past this many the job stops "
             "with an error.");
DEFINE_string(data_format, "criteo",
              "criteo (Criteo TSV in --train_files and --eval_files), schema (delimited text such as CSV in "
              "--train_files and --eval_files, its columns given by --schema) or interactions (user-item "
              "interaction files "
              "in --train_files, e.g. MovieLens ratings.dat or ratings.csv: `user SEP item [SEP rating [SEP "
              "timestamp ...]]`, split leave-one-out: each user's latest interaction is its test item; every epoch "
              "ends with ranking the test item against --eval_negatives unrated items, HR@--ranking_k and "
              "NDCG@--ranking_k; --eval_files is ignored). See docs/data_formats.md.");
DEFINE_string(schema, "",
              "--data_format=schema: the columns of every line, comma-separated in file order: label (0 or 1; "
              "exactly one), weight (the sample's loss weight, a number >= 0; at most one), dense (a float; empty "
              "is 0), logdense (a float x, fed as log(1+x) if x > 0, else 0), cat (one token, one key; empty is a "
              "token of its own), multi:SEP (tokens separated by the one character SEP, e.g. multi:| ; tab, space "
              "or comma by name; empty: no keys) or skip; TYPE*N repeats a type N times. The model gets one "
              "dense feature per dense/logdense column and one categorical field per cat/multi column (C1 is the "
              "first). E.g. Criteo: label,logdense*13,cat*26 with --schema_delimiter=tab. Default: none.");
DEFINE_string(schema_delimiter, ",",
              "--data_format=schema: the one character between a line's fields (\\t or tab for a tab). No "
              "quoting: a quote is part of its field.");
DEFINE_bool(schema_header, false,
            "--data_format=schema: files may start with a header line, detected per file: a first line whose label "
            "field is not a number is the header (read past), one whose label is a number is a record, and one with "
            "another field count than --schema is an error naming the file.");
DEFINE_string(interaction_separator, "",
              "interactions: the field separator (::, a tab given as \\t, a comma, or one character). Default: "
              "detected from the first line (::, tab, comma, whitespace). A first line with a non-numeric rating or "
              "timestamp is a header.");
DEFINE_int32(neg_per_pos, 4,
             "interactions: negatives sampled per train positive, uniformly from the items the user never "
             "interacted with, fresh every epoch. At most 100000.");
DEFINE_int32(eval_negatives, 99,
             "interactions: sampled unrated items each test item is ranked against (NCF: 99, SASRec: 100); -1: "
             "every item the user never interacted with (full ranking: HR@K is then recall@K). At most 100000.");
DEFINE_bool(holdout_validation, false,
            "interactions: the SASRec split: each user's second latest item is a validation item, kept in the "
            "user's history but never a training target; only users with 3 or more interactions are evaluated.");
DEFINE_string(eval_negatives_file, "",
              "interactions: fixed eval negatives in the NCF format, one line per user: "
              "(user,item)<TAB>neg1<TAB>neg2... (the pair must be the user's held-out item), instead of sampling. "
              "Users without a line are not evaluated. Default: sample --eval_negatives.");
DEFINE_int32(gauc_field, -1,
             "The 0-based categorical field whose key names the user of an eval sample (e.g. 0 for Criteo's C1): "
             "the evaluation then reports GAUC, the per-user AUC weighted by the user's examples. -1: the user "
             "field with --data_format=interactions, no GAUC otherwise.");
DEFINE_int32(ranking_k, 10, "interactions: the K of the HR@K and NDCG@K evaluation metrics.");
// Model.
DEFINE_string(model, "wide_deep",
              "Model: lr (FTRL logistic regression), wide_deep (Cheng et al. 2016), deepfm "
              "(Guo et al. 2017), dcn (DCN-v2, Wang et al. 2021), dlrm (Naumov et al. 2019), youtube_ranking "
              "(Covington et al. 2016: a click weighted by its watch time, the weight column of a --schema); with "
              "--data_format=interactions: ncf (He et al. 2017; --ncf_variant), din (Zhou et al. 2018), bst (Chen et "
              "al. 2019) or youtube_retrieval (Covington et al. 2016, sampled softmax). See docs/models.md.");
DEFINE_int32(max_seq_len, 20,
             "din, bst, youtube_retrieval: the latest history items each sample reads (0: no history, the same "
             "network without the sequence; youtube_retrieval needs >= 1). At most 8192.");
DEFINE_double(embedding_init_scale, 0.01,
              "Standard deviation of the normal initialisation of every embedding table (the wide parts start at 0).");
DEFINE_int32(attention_heads, 2, "bst: heads of the self-attention (--embedding_dim must be a multiple).");
DEFINE_string(ncf_variant, "neumf",
              "ncf: gmf (user and item embeddings of --embedding_dim, elementwise product, a linear output), mlp "
              "(user and item embeddings of --ncf_mlp_embedding_dim, concatenated, an MLP of --hidden with ReLU) or "
              "neumf (both, their outputs concatenated into one linear output).");
DEFINE_int32(ncf_mlp_embedding_dim, 32,
             "ncf (mlp, neumf): dimension of the MLP tower's user and item embeddings. At most 4096.");
DEFINE_int32(embedding_dim, 16,
             "wide_deep, deepfm, dcn, dlrm: dimension of each field's embedding (dlrm: also the bottom MLP's "
             "output). ncf: the GMF embeddings (predictive factors). din, bst, youtube_retrieval: the item (and "
             "user) embeddings. At most 4096.");
DEFINE_string(hidden, "1024,512,256",
              "wide_deep, deepfm, dcn, dlrm (top MLP): sizes of the deep MLP's hidden layers, comma-separated. "
              "ncf (mlp, neumf): the MLP tower's layers (ReLU on each; the last is its output). din, bst: the top "
              "MLP's hidden layers. youtube_retrieval: the user tower's layers (the last is the user vector's "
              "width and the softmax item embeddings'). Each at most 65536 (so is each of --bottom_hidden).");
DEFINE_int32(
    cross_layers, 3,
    "dcn: DCN-v2 cross layers x_{l+1} = x0 * (W_l x_l + b_l) + x_l (full-rank W_l) before the MLP. At most 64.");
DEFINE_string(bottom_hidden, "64",
              "dlrm: hidden sizes of the bottom MLP over the dense features, comma-separated (its output has "
              "--embedding_dim units; ReLU after every layer). Empty: one layer.");
DEFINE_string(wide_crosses, "",
              "Crossed field pairs of the wide part, e.g. C1xC2,C3xC14 (Criteo names C1..C26; with --schema, Ck "
              "is the k-th cat or multi column). Default: none.");
// Training.
DEFINE_int32(batch_size, 512,
             "Samples per worker per step. At most 1048576, and refused at start when one step's activations and "
             "gradients alone would not fit in this machine's memory.");
DEFINE_int32(epochs, 1, "Passes over --train_files.");
DEFINE_int32(num_servers, 1, "Parameter servers (threads in local mode); keys are sharded by jump hash. At most 1024.");
DEFINE_int32(num_workers, 1, "Workers (threads in local mode); each reads its own part of every file. At most 1024.");
DEFINE_uint64(seed, 1, "Seed of every random choice: initializers, data generation.");
DEFINE_string(dense_optimizer, "adam", "Optimizer of the dense (MLP) parameters on the workers: sgd, adagrad, adam.");
DEFINE_double(dense_learning_rate, 0.0005,
              "Learning rate of --dense_optimizer. Not given: 0.0005, and 0.02 for --model=lr (the 13 weights of a "
              "linear model over the dense features, which 0.0005 leaves near their zero start for thousands of "
              "steps).");
DEFINE_string(deep_optimizer, "adagrad", "Server optimizer of the deep embeddings: sgd, adagrad, ftrl, adam.");
DEFINE_double(deep_learning_rate, 0.02, "Learning rate of --deep_optimizer.");
DEFINE_double(ftrl_alpha, 0.1, "FTRL-Proximal alpha (learning rate scale) of the wide part.");
DEFINE_double(ftrl_beta, 1.0, "FTRL-Proximal beta of the wide part.");
DEFINE_double(ftrl_l1, 0.5, "FTRL-Proximal L1 strength of the wide part (weights it holds at exactly 0).");
DEFINE_double(ftrl_l2, 1.0, "FTRL-Proximal L2 strength of the wide part.");
DEFINE_bool(sync, false,
            "Synchronous sparse updates: the servers apply the pushes of step t, in worker-rank order, before they "
            "answer the pulls of step t+1 (a worker's pull of the next batch no longer overlaps its compute). "
            "Default: asynchronous, as in every production parameter server.");
DEFINE_bool(deterministic, false,
            "Implies --sync. Fixed seeds (from --seed), a fixed order of the dense reduction and of applying "
            "pushes: two runs with the same flags, data, binary and --compute_threads end with bitwise-identical "
            "dense and sparse parameters (compare dense_checksums and sparse_checksums of the final metrics line).");
DEFINE_int32(compute_threads, 0, "OpenBLAS threads for the dense part. Default 0: cores / --num_workers.");
DEFINE_int32(progress_every_steps, 50, "A progress line (step, epoch, samples/s, loss) every this many steps.");
DEFINE_string(eval_scores_out, "",
              "File for the scores (probabilities) of the last evaluation, one per line in the order of the eval "
              "files (with several workers: worker 0's part first, which is file order for byte-range parts). "
              "Rewritten after every epoch. Default: none.");
DEFINE_string(metrics_out, "",
              "File for JSON lines: one per progress report and evaluation, and a last line with "
              "event=final, test_auc, test_logloss, samples_per_sec, dense_checksums (per worker) and sparse_checksums "
              "(per server). Default: none.");
// Distributed mode (under mpirun).
DEFINE_string(bind_interface, "127.0.0.1",
              "Under mpirun: the IP address the scheduler and the servers bind (use the cluster network's address "
              "of the host, or 0.0.0.0 for every interface).");
DEFINE_string(port_range, "",
              "Under mpirun: ports the scheduler and servers may bind, e.g. 40000-40100 (for firewalls). "
              "Default: an ephemeral port.");
DEFINE_string(job_token_file, "",
              "Under mpirun: file holding the job token (one non-zero 64-bit number, decimal or 0x-hex) that every "
              "message must carry. Default: rank 0 draws a random token and sends it over MPI.");
DEFINE_bool(curve, false,
            "Under mpirun: encrypt and authenticate every ZeroMQ connection of the job with CurveZMQ. Rank 0 makes "
            "one server keypair per job and sends it to every rank over MPI; a peer without it gets no answer. "
            "Refused when libzmq was built without CURVE. Default: plain tcp (messages still carry the job token).");
DEFINE_string(device, "cpu",
              "Where each worker computes the dense part (pooling, MLPs, attention, the loss and the dense "
              "optimizer step). cpu: the host's cores (OpenBLAS, --compute_threads). cuda: one GPU per worker, GPU "
              "(local rank % GPUs it sees), the local rank counting the workers on its host (in local mode, the "
              "worker's rank); pulled rows are copied to it and row gradients back for the push. A worker with no "
              "usable GPU stops the job at start (exit 2, naming its rank and host); a build without CUDA refuses "
              "cuda. Checkpoints do not depend on it: a job checkpointed on one device resumes on the other.");
DEFINE_string(dense_sync, "mpi",
              "Under mpirun: how the workers sum their dense gradients each step. mpi: a ring allreduce over MPI "
              "that adds each element in one fixed order (CPU; the same bits on every worker and run). nccl: "
              "ncclAllReduce on one GPU per worker: GPU (local "
              "rank % GPUs it sees), the local rank counting the workers on its host, so ranks that each see only "
              "their own GPU take it; a job where two workers would share a GPU is refused. With --device=cuda the "
              "gradients are summed in GPU memory; with --device=cpu they are copied to the GPU and back. With "
              "--deterministic, NCCL keeps to its Ring and Tree algorithms "
              "(NCCL_ALGO, unless set). Needs a build with NCCL. Local mode sums in memory and takes only mpi.");
DEFINE_int32(heartbeat_interval_ms, 1000,
             "Under mpirun: every server and worker sends the scheduler a heartbeat this often (milliseconds), "
             "and the scheduler answers each.");
DEFINE_int32(heartbeat_timeout, 10,
             "Under mpirun: seconds without a heartbeat after which the scheduler declares a rank dead (and without "
             "an answer after which a rank declares the scheduler dead); the job then ends with a line naming the "
             "dead rank, its role and host, and every process exits non-zero within this + 5 s.");
// gen-data.
DEFINE_string(kind, "criteo",
              "gen-data: criteo (train.tsv, test.tsv and oracle.json from a known click model) or sequences "
              "(interactions.txt: user behaviour sequences whose next item depends on the latest one, and "
              "truth.json; data/synthetic_sequences.h) or watch (train.csv and test.csv: video impressions with "
              "clicks and watch times, and test_truth.csv with each test row's expected watch time; "
              "data/synthetic_watch.h).");
DEFINE_string(out_dir, "", "gen-data: directory for the generated files. Required.");
DEFINE_int64(num_users, 2000, "gen-data --kind=sequences (each with 8 to 24 interactions) and watch: users.");
DEFINE_int32(num_items, 1000,
             "gen-data --kind=sequences: items, in 20 clusters (a multiple of 20); --kind=watch: videos.");
DEFINE_int64(train_rows, 1000000, "gen-data --kind=criteo and watch: rows of the train file.");
DEFINE_int64(test_rows, 100000, "gen-data --kind=criteo and watch: rows of the test file.");
DEFINE_int32(num_interactions, 8, "gen-data: pairs of fields whose tokens interact in the true click model.");
DEFINE_int32(signal_rank, 100,
             "gen-data: tokens ranked past this in their field carry signal shrinking as signal_rank/(rank+1).");
DEFINE_double(zipf_exponent, 1.1,
              "gen-data: exponent of the power-law token frequencies (sequences: of the item ranks within a "
              "cluster).");
DEFINE_double(vocab_scale, 1.0,
              "gen-data --kind=criteo: multiplies every field's vocabulary size (base sizes 2..20000, 54757 tokens "
              "in all; each at least 2, at most 2^24). In (0, 1000].");
// Checkpoints and resume.
DEFINE_string(checkpoint_dir, "",
              "Where checkpoints go: <dir>/step-<N>/ (docs/checkpoint_format.md). Empty: no checkpoints. With it, "
              "a checkpoint is taken every --checkpoint_every_steps, at the end of every epoch and at --max_steps. "
              "The job holds <dir>/LOCK for its life: a second job on the same folder is refused at start.");
DEFINE_int64(checkpoint_every_steps, 0,
             "A checkpoint every this many global steps (0: only at epoch ends and --max_steps).");
DEFINE_int32(keep_checkpoints, 3,
             "How many of the newest checkpoints to keep under --checkpoint_dir (older ones are deleted).");
DEFINE_int64(max_steps, 0,
             "Stop after this many global steps (then evaluate and, with --checkpoint_dir, checkpoint). 0: no limit.");
DEFINE_string(resume, "",
              "Continue a job: 'auto' takes the newest complete checkpoint under --checkpoint_dir (a fresh start when "
              "the folder holds no step directory; refused when its step directories all lack a MANIFEST), or "
              "give a checkpoint directory. The model flags must match the checkpoint's; the "
              "number of servers may differ (keys move by jump hash), the number of workers may not.");
DEFINE_int64(server_memory_bytes, 0,
             "Memory budget of each server's rows (all its tables, each keeping the same fraction of its rows in "
             "memory; 0: unlimited). Past it, the coldest rows (CLOCK) go to a RocksDB tier on disk and come back "
             "on use.");
DEFINE_string(server_storage_dir, "",
              "Where each server's RocksDB tier lives (server-<rank>/ under it). Default: a folder under $TMPDIR, "
              "removed at the end of the job.");
DEFINE_int64(rocksdb_block_cache_bytes, int64_t{64} << 20, "RocksDB block cache of each server's disk tier, in bytes.");
DEFINE_int64(rocksdb_write_buffer_bytes, int64_t{16} << 20,
             "RocksDB memtable size per table of each server's disk tier, in bytes (where evicted rows land first).");
DEFINE_int32(min_count, 0,
             "Admission: a key gets a trained row only after this many training pulls (until then it reads as "
             "zeros and its gradients are dropped). 0 or 1: at once.");
DEFINE_int32(server_threads, 1,
             "Threads of each server that apply a pull or push: its keys are split among them by hash, each key's "
             "row updated by one thread, so the rows are the same for any count. A message of fewer than 512 keys "
             "per thread stays on one. More than 1 pays only where the server has cores to spare.");
DEFINE_int32(ttl_steps, 0, "Expiry: rows not pulled or pushed for this many steps are deleted. 0: never.");
DEFINE_string(out, "",
              "export: the directory for the .npy files and index.json. report: the HTML file to write. predict: "
              "the scores file to write (one probability per record of --files, in input order). Required.");
DEFINE_string(checkpoint, "",
              "eval and predict: the checkpoint to score with (a step-<N> directory; any number of servers and "
              "workers may have written it). It is only read. Model flags not given take the checkpoint's values; "
              "one given that contradicts the checkpoint is refused, naming the difference.");
DEFINE_int32(top_k, 10,
             "predict, interaction models: the items written per user (the best-scored of those the user never "
             "interacted with).");
DEFINE_int32(id_column, 0,
             "predict, --data_format=schema: the 1-based column whose text is written before each record's "
             "score (TSV `id score`, a header line first). 0: none, one score per line.");
DEFINE_string(files, "",
              "predict: the files to score, comma-separated paths or globs, in the training data's format "
              "(a label column is read past). Required.");
DEFINE_string(scores, "", "eval: file of predicted probabilities, one per line, in the order of --eval_files.");
DEFINE_string(metrics, "",
              "report: the --metrics_out files (JSON lines) of the runs to draw, comma-separated paths or globs; "
              "each run is labelled by its file name. Required.");
