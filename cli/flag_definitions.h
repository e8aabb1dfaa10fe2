// cli/flag_definitions.h: every flag of the ember binary, declared; the
// definitions (with defaults and help texts) are in cli/flag_definitions.cc,
// library ember_cli_flags. Only cli/ and tools that read ember's flag files
// include this; library code never reads FLAGS_* (cli/README.md).
#pragma once

#include <gflags/gflags.h>

// Data.
DECLARE_string(train_files);
DECLARE_string(eval_files);
DECLARE_int64(max_bad_lines);
DECLARE_string(data_format);
DECLARE_string(schema);
DECLARE_string(schema_delimiter);
DECLARE_bool(schema_header);
DECLARE_string(interaction_separator);
DECLARE_int32(neg_per_pos);
DECLARE_int32(eval_negatives);
DECLARE_bool(holdout_validation);
DECLARE_string(eval_negatives_file);
DECLARE_int32(gauc_field);
DECLARE_int32(ranking_k);
// Model.
DECLARE_string(model);
DECLARE_int32(max_seq_len);
DECLARE_double(embedding_init_scale);
DECLARE_int32(attention_heads);
DECLARE_string(ncf_variant);
DECLARE_int32(ncf_mlp_embedding_dim);
DECLARE_int32(embedding_dim);
DECLARE_string(hidden);
DECLARE_int32(cross_layers);
DECLARE_string(bottom_hidden);
DECLARE_string(wide_crosses);
// Training.
DECLARE_int32(batch_size);
DECLARE_int32(epochs);
DECLARE_int32(num_servers);
DECLARE_int32(num_workers);
DECLARE_uint64(seed);
DECLARE_string(dense_optimizer);
DECLARE_double(dense_learning_rate);
DECLARE_string(deep_optimizer);
DECLARE_double(deep_learning_rate);
DECLARE_double(ftrl_alpha);
DECLARE_double(ftrl_beta);
DECLARE_double(ftrl_l1);
DECLARE_double(ftrl_l2);
DECLARE_bool(sync);
DECLARE_bool(deterministic);
DECLARE_int32(compute_threads);
DECLARE_int32(progress_every_steps);
DECLARE_string(eval_scores_out);
DECLARE_string(metrics_out);
// Distributed mode (under mpirun).
DECLARE_string(bind_interface);
DECLARE_string(port_range);
DECLARE_string(job_token_file);
DECLARE_bool(curve);
DECLARE_string(device);
DECLARE_string(dense_sync);
DECLARE_int32(heartbeat_interval_ms);
DECLARE_int32(heartbeat_timeout);
// gen-data.
DECLARE_string(kind);
DECLARE_string(out_dir);
DECLARE_int64(num_users);
DECLARE_int32(num_items);
DECLARE_int64(train_rows);
DECLARE_int64(test_rows);
DECLARE_int32(num_interactions);
DECLARE_int32(signal_rank);
DECLARE_double(zipf_exponent);
DECLARE_double(vocab_scale);
// Checkpoints and resume.
DECLARE_string(checkpoint_dir);
DECLARE_int64(checkpoint_every_steps);
DECLARE_int32(keep_checkpoints);
DECLARE_int64(max_steps);
DECLARE_string(resume);
DECLARE_int64(server_memory_bytes);
DECLARE_string(server_storage_dir);
DECLARE_int64(rocksdb_block_cache_bytes);
DECLARE_int64(rocksdb_write_buffer_bytes);
DECLARE_int32(min_count);
DECLARE_int32(server_threads);
DECLARE_int32(ttl_steps);
DECLARE_string(out);
DECLARE_string(checkpoint);
DECLARE_string(files);
DECLARE_int32(top_k);
DECLARE_int32(id_column);
DECLARE_string(scores);
DECLARE_string(metrics);
