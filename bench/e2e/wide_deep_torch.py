#!/usr/bin/python3
"""Wide & Deep in PyTorch, the baseline of bench/e2e/run_wide_deep_bench.sh.

The same model as `ember train --model=wide_deep` (models/wide_deep.cc), on the
same Criteo TSV files, with the sizes, batch, epochs, crosses, optimizers and
learning rates read from the ember flagfile (--flagfile, then --ember_flags;
ember's defaults for what neither sets):
  logit = wide(x) + deep(x)
  wide: one weight per (field, token) of C1..C26 plus one per crossed pair
        (--wide_crosses), summed (nn.Embedding dim 1, zeros, sparse grads)
  deep: one embedding per field (dim --embedding_dim, N(0, 0.01^2), sparse
        grads), concatenated with the 13 dense features, MLP with ReLU
        (Xavier-uniform weights, zero biases) and one output.
Parsing as data/criteo_reader.h: dense x > 0 -> log(1+x), else (or empty) 0;
an empty token is a value of its own. Tokens get exact ids from a
dictionary built over train+test before training (no hash collisions, like
ember's 64-bit keys; test-only tokens keep their initial value, as in ember).

Optimizers: MLP as --dense_optimizer (Adam / Adagrad / SGD, lr
--dense_learning_rate). Deep embeddings as --deep_optimizer on sparse
gradients (adagrad: torch.optim.Adagrad, initial accumulator 0.1 like ember's
servers; adam: SparseAdam; sgd: SGD), lr --deep_learning_rate. The wide part
is FTRL-Proximal in ember, which PyTorch lacks: Adagrad at lr --ftrl_alpha
with the accumulator from 0 (like FTRL's n). --emb_optimizer=sparseadam uses
SparseAdam for both tables instead.

Only the training loop (slicing a batch from pre-built tensors, forward,
backward, optimizer steps) is timed; parsing and tensor building are done
first (and cached in --cache). File order, no shuffling. Prints one JSON line.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn

NUM_DENSE, NUM_CAT = 13, 26


# ember train's defaults (cli/flags.cc) for the flags this script follows.
EMBER_DEFAULTS = {"embedding_dim": "16", "hidden": "1024,512,256", "wide_crosses": "", "batch_size": "512",
                  "epochs": "1", "dense_optimizer": "adam", "dense_learning_rate": "0.001",
                  "deep_optimizer": "adagrad", "deep_learning_rate": "0.05", "ftrl_alpha": "0.05", "seed": "1"}


def read_ember_flags(flagfile, extra):
    """ember's defaults, overridden by --flagfile's lines, then by `extra` (the last one wins)."""
    flags = dict(EMBER_DEFAULTS)
    words = []
    if flagfile:
        words += [l.strip() for l in open(flagfile) if l.strip() and not l.lstrip().startswith("#")]
    words += extra.split()
    for w in words:
        if w.startswith("--") and "=" in w:
            name, value = w[2:].split("=", 1)
            if name in flags:
                flags[name] = value
    return flags


def parse_crosses(text):
    crosses = []
    for piece in filter(None, text.split(",")):
        a, b = piece.split("x")
        crosses.append((int(a[1:]) - 1, int(b[1:]) - 1))
    return crosses


def read_tsv(path, vocab, cross_vocab, crosses):
    labels, dense, deep_ids, cross_ids = [], [], [], []
    log1p = math.log1p
    with open(path) as f:
        for line in f:
            cols = line.rstrip("\r\n").split("\t")
            if len(cols) != 1 + NUM_DENSE + NUM_CAT:
                continue  # ember skips malformed lines too
            labels.append(float(cols[0]))
            dense.append([log1p(int(x)) if x and int(x) > 0 else 0.0 for x in cols[1:14]])
            toks = cols[14:]
            ids = []
            for field, tok in enumerate(toks):
                key = (field, tok)
                i = vocab.get(key)
                if i is None:
                    i = vocab[key] = len(vocab)
                ids.append(i)
            deep_ids.append(ids)
            xids = []
            for k, (a, b) in enumerate(crosses):
                key = (k, toks[a], toks[b])
                i = cross_vocab.get(key)
                if i is None:
                    i = cross_vocab[key] = len(cross_vocab)
                xids.append(i)
            cross_ids.append(xids)
    n = len(labels)
    return (np.asarray(labels, np.float32), np.asarray(dense, np.float32).reshape(n, NUM_DENSE),
            np.asarray(deep_ids, np.int64).reshape(n, NUM_CAT),
            np.asarray(cross_ids, np.int64).reshape(n, len(crosses)))


def source_id(args, crosses):
    """What the cache was built from: files (path, size, mtime) and crosses."""
    ids = [repr(crosses)]
    for path in (args.train, args.test):
        st = os.stat(path) if path else None
        ids.append(f"{os.path.abspath(path)}:{st.st_size}:{st.st_mtime_ns}" if st else "")
    return ids


def load(args, crosses):
    if args.cache and os.path.exists(args.cache):
        z = np.load(args.cache)
        if z["source"].tolist() == source_id(args, crosses):
            return {k: z[k] for k in z.files}
    vocab, cross_vocab = {}, {}
    tr = read_tsv(args.train, vocab, cross_vocab, crosses)
    te = read_tsv(args.test, vocab, cross_vocab, crosses) if args.test else tuple(a[:0] for a in tr)
    n_deep = len(vocab)
    d = {"source": np.asarray(source_id(args, crosses)), "n_deep": np.int64(n_deep),
         "n_wide": np.int64(n_deep + len(cross_vocab))}
    for name, (y, x, ids, xids) in (("train", tr), ("test", te)):
        d[name + "_y"], d[name + "_x"], d[name + "_deep"] = y, x, ids
        d[name + "_wide"] = np.concatenate([ids, xids + n_deep], axis=1)  # wide: tokens + crosses
    if args.cache:
        tmp = args.cache + ".tmp.npz"
        np.savez(tmp, **d)
        os.replace(tmp, args.cache)
    return d


class WideDeep(nn.Module):
    def __init__(self, n_deep, n_wide, dim, hidden):
        super().__init__()
        self.deep_emb = nn.Embedding(n_deep, dim, sparse=True)
        nn.init.normal_(self.deep_emb.weight, std=0.01)
        self.wide_emb = nn.Embedding(n_wide, 1, sparse=True)
        nn.init.zeros_(self.wide_emb.weight)
        layers, width = [], NUM_CAT * dim + NUM_DENSE
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, 1))
        for m in layers:
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        self.mlp = nn.Sequential(*layers)

    def forward(self, deep_ids, wide_ids, dense):
        e = self.deep_emb(deep_ids).flatten(1)
        deep = self.mlp(torch.cat([e, dense], dim=1)).squeeze(1)
        return deep + self.wide_emb(wide_ids).sum(dim=(1, 2))


def auc(scores, labels):
    """Rank-based (Mann-Whitney) AUC with average ranks for ties."""
    scores, labels = np.asarray(scores, np.float64), np.asarray(labels) > 0.5
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    _, inv, counts = np.unique(scores, return_inverse=True, return_counts=True)
    r = (np.cumsum(counts) - (counts - 1) / 2.0)[inv]  # 1-based ranks, ties averaged
    return float((r[labels].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", required=True)
    p.add_argument("--test", default="")
    p.add_argument("--cache", default="", help="npz of the parsed data: written if absent, else loaded")
    p.add_argument("--prepare_only", action="store_true", help="parse and write --cache, then exit")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    p.add_argument("--flagfile", default="", help="ember train flagfile: model sizes, batch, optimizers, rates")
    p.add_argument("--ember_flags", default="", help="more ember flags (--name=value ...), after --flagfile")
    p.add_argument("--emb_optimizer", choices=["auto", "sparseadam"], default="auto",
                   help="auto: as the flagfile's --deep_optimizer (wide part: AdaGrad, for FTRL); "
                        "sparseadam: torch.optim.SparseAdam for both embedding tables")
    args = p.parse_args()
    f = read_ember_flags(args.flagfile, args.ember_flags)
    batch_size, dim, epochs = int(f["batch_size"]), int(f["embedding_dim"]), int(f["epochs"])
    hidden = [int(h) for h in f["hidden"].split(",") if h]
    dense_lr, deep_lr, wide_lr = float(f["dense_learning_rate"]), float(f["deep_learning_rate"]), float(f["ftrl_alpha"])

    torch.set_num_threads(args.threads)
    torch.manual_seed(int(f["seed"]))
    crosses = parse_crosses(f["wide_crosses"])
    t0 = time.perf_counter()
    d = load(args, crosses)
    prep_s = time.perf_counter() - t0
    if args.prepare_only:
        print(json.dumps({"event": "prepared", "rows": int(len(d["train_y"])), "deep_ids": int(d["n_deep"]),
                          "wide_ids": int(d["n_wide"]), "seconds": round(prep_s, 2)}))
        return

    y = torch.from_numpy(d["train_y"])
    x = torch.from_numpy(d["train_x"])
    deep_ids = torch.from_numpy(d["train_deep"])
    wide_ids = torch.from_numpy(d["train_wide"])
    model = WideDeep(int(d["n_deep"]), int(d["n_wide"]), dim, hidden)
    mlp = list(model.mlp.parameters())
    dense_opt = {"adam": lambda: torch.optim.Adam(mlp, lr=dense_lr),
                 "adagrad": lambda: torch.optim.Adagrad(mlp, lr=dense_lr, initial_accumulator_value=0.1),
                 "sgd": lambda: torch.optim.SGD(mlp, lr=dense_lr)}[f["dense_optimizer"]]()
    deep_w, wide_w = model.deep_emb.weight, model.wide_emb.weight
    if args.emb_optimizer == "sparseadam":
        emb_opts = [torch.optim.SparseAdam([{"params": [deep_w], "lr": deep_lr}, {"params": [wide_w], "lr": wide_lr}])]
        emb_desc = "SparseAdam (deep and wide)"
    else:
        # ember's servers: AdaGrad's accumulator starts at 0.1; FTRL's n at 0.
        # Separate instances: torch 1.13's Adagrad takes initial_accumulator_value
        # from its constructor only.
        deep_opt = {"adagrad": lambda: torch.optim.Adagrad([deep_w], lr=deep_lr, initial_accumulator_value=0.1),
                    "sgd": lambda: torch.optim.SGD([deep_w], lr=deep_lr),
                    "adam": lambda: torch.optim.SparseAdam([deep_w], lr=deep_lr),
                    "ftrl": lambda: torch.optim.Adagrad([deep_w], lr=deep_lr)}[f["deep_optimizer"]]()
        emb_opts = [deep_opt, torch.optim.Adagrad([wide_w], lr=wide_lr, initial_accumulator_value=0.0)]
        emb_desc = f"deep {type(deep_opt).__name__}, wide Adagrad (ember: FTRL)"
    opts = [dense_opt] + emb_opts
    loss_fn = nn.BCEWithLogitsLoss()
    n, bs = len(y), batch_size

    model.train()
    loss_sum = 0.0
    t0 = time.perf_counter()
    for _ in range(epochs):
        for s in range(0, n, bs):
            logits = model(deep_ids[s:s + bs], wide_ids[s:s + bs], x[s:s + bs])
            loss = loss_fn(logits, y[s:s + bs])
            for o in opts:
                o.zero_grad(set_to_none=True)
            loss.backward()
            for o in opts:
                o.step()
            loss_sum += loss.item() * min(bs, n - s)
    train_s = time.perf_counter() - t0

    out = {"event": "final", "impl": "torch", "torch": torch.__version__, "threads": args.threads,
           "emb_optimizer": emb_desc, "samples": n * epochs, "steps": epochs * ((n + bs - 1) // bs),
           "train_seconds": round(train_s, 4), "samples_per_sec": n * epochs / train_s,
           "train_loss": loss_sum / (n * epochs),
           "prep_seconds": round(prep_s, 2)}
    if len(d["test_y"]):
        model.eval()
        with torch.no_grad():
            ty = d["test_y"]
            tx, td, tw = (torch.from_numpy(d["test_" + k]) for k in ("x", "deep", "wide"))
            probs = torch.cat([torch.sigmoid(model(td[s:s + 8192], tw[s:s + 8192], tx[s:s + 8192]))
                               for s in range(0, len(ty), 8192)]).numpy().astype(np.float64)
        pc = np.clip(probs, 1e-7, 1 - 1e-7)
        out["test_auc"] = auc(probs, ty)
        out["test_logloss"] = float(-np.mean(ty * np.log(pc) + (1 - ty) * np.log(1 - pc)))
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
