#!/usr/bin/env python3
"""PyTorch reference of ember's Criteo CTR models, for quality comparison.

What
  Re-implements, in plain PyTorch (CPU), the layers of ember's `lr`,
  `wide_deep` (no --wide_crosses), `deepfm`, `dcn` (DCN-v2, stacked,
  full-rank cross layers) and `dlrm` (docs/models.md), with the settings
  of examples/<model>.flags (embedding dim 16, the same MLP sizes, batch
  size, epochs and learning rates), trains each on a Criteo TSV train file
  and prints the AUC on the dev and test files after every epoch; per model
  the median, min and max over --seeds.

  Inputs, as ember's CriteoReader (docs/data_formats.md): dense I1..I13:
  x > 0 -> log(1+x), else (x <= 0 or empty) 0. Categorical C1..C26: one id
  per (field, token); the empty token is a value of its own. The vocabulary
  is every (field, token) of the train file.

  Unseen tokens (dev/test): each field has an OOV row, initialised to ZERO
  and never trained (no train token maps to it). ember creates a row on its
  first pull in training (normal init, std 0.01) but reads a missing row as
  zeros at evaluation without creating it, so a zero OOV row is the exact
  analogue of ember's evaluation. Embedding rows of train tokens start as
  N(0, 0.01^2) (ember: --embedding_init_scale=0.01); first-order weights
  and the bias start at 0.

  Optimizers, as ember's examples:
  - embeddings: torch.optim.Adagrad, lr 0.02, initial accumulator 0.1
    (ember's servers: acc += g^2; w -= lr g / sqrt(acc), acc0 = 0.1);
  - first-order (wide) weights and the bias: ember uses FTRL-Proximal
    (alpha 0.1, beta 1, l1 0.5, l2 1). FTRL is not in torch.optim; the
    default here is torch.optim.Adagrad (lr 0.02) instead
    (--first_order=adagrad). --first_order=ftrl applies a hand-written
    FTRL-Proximal with ember's formula (storage/optimizer.h), for a closer
    match;
  - dense layers (MLPs, cross layers, lr's dense Linear): torch.optim.Adam,
    betas (0.9, 0.999), eps 1e-8; lr 0.0005 (lr model: 0.01);
  - the loss is the mean BCE over the batch; as ember
    (models/internal/parts.h ScaleToSummedLoss), the gradients of the sparse
    parameters (embeddings, first-order weights, bias) are multiplied by the
    batch size (the summed loss's gradient), the dense ones are not.
  - Linear and cross weights: Xavier uniform, biases 0 (ember ops/layers.cc).
  - Batches in file order (ember's reader does not shuffle), the last,
    partial batch included; no dropout, no weight decay.

How to run (CPU, no downloads; about a minute per model and seed on 2 cores):
  python3 bench/quality/criteo_reference.py \
      --data_dir=../shared/data/criteo_head8k --models=deepfm,dcn,dlrm \
      --seeds=1,2,3,4,5 --epochs=3
  Prints one line per (model, seed, epoch) and a summary table; with
  --json_out a JSON file with every AUC.
"""

import argparse
import json
import math
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn

NUM_DENSE = 13
NUM_CAT = 26

# examples/<model>.flags
CONFIGS = {
    "lr": dict(batch_size=1024, dense_lr=0.01),
    "wide_deep": dict(batch_size=2048, dense_lr=0.0005, hidden=[1024, 512, 256]),
    "deepfm": dict(batch_size=2048, dense_lr=0.0005, hidden=[400, 400, 400]),
    "dcn": dict(batch_size=2048, dense_lr=0.0005, hidden=[512, 256], cross_layers=3),
    "dlrm": dict(batch_size=2048, dense_lr=0.0005, hidden=[512, 256], bottom_hidden=[512, 256, 64]),
}
EMB_DIM = 16
SPARSE_LR = 0.02
ADAGRAD_ACC0 = 0.1
EMB_INIT = 0.01
FTRL = dict(alpha=0.1, beta=1.0, l1=0.5, l2=1.0)


def read_tsv(path):
    labels, dense, cats = [], [], []
    with open(path, "r", encoding="ascii") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 1 + NUM_DENSE + NUM_CAT:
                continue  # ember skips malformed lines too
            labels.append(float(parts[0]))
            row = []
            for v in parts[1:1 + NUM_DENSE]:
                x = float(v) if v != "" else 0.0
                row.append(math.log1p(x) if x > 0 else 0.0)
            dense.append(row)
            cats.append(parts[1 + NUM_DENSE:])
    return np.array(labels, np.float32), np.array(dense, np.float32), cats


class Vocab:
    """Per field: token -> 1..n; 0 is the field's OOV row. Global ids via offsets."""

    def __init__(self, train_cats):
        self.maps = [dict() for _ in range(NUM_CAT)]
        for row in train_cats:
            for f, tok in enumerate(row):
                m = self.maps[f]
                if tok not in m:
                    m[tok] = len(m) + 1
        sizes = [len(m) + 1 for m in self.maps]
        self.offsets = np.cumsum([0] + sizes[:-1]).astype(np.int64)
        self.size = int(sum(sizes))
        self.oov_ids = torch.tensor(self.offsets, dtype=torch.long)

    def encode(self, cats):
        ids = np.zeros((len(cats), NUM_CAT), np.int64)
        for i, row in enumerate(cats):
            for f, tok in enumerate(row):
                ids[i, f] = self.offsets[f] + self.maps[f].get(tok, 0)
        return ids


def xavier_linear(i, o):
    lin = nn.Linear(i, o)
    nn.init.xavier_uniform_(lin.weight)
    nn.init.zeros_(lin.bias)
    return lin


def mlp(sizes, relu_last):
    layers = []
    for k in range(len(sizes) - 1):
        layers.append(xavier_linear(sizes[k], sizes[k + 1]))
        if k < len(sizes) - 2 or relu_last:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class CrossNet(nn.Module):
    """DCN-v2 full-rank cross layers: x_{l+1} = x0 * (x_l W_l + b_l) + x_l."""

    def __init__(self, d, n):
        super().__init__()
        self.layers = nn.ModuleList([xavier_linear(d, d) for _ in range(n)])

    def forward(self, x0):
        x = x0
        for lin in self.layers:
            x = x0 * lin(x) + x
        return x


class Model(nn.Module):
    def __init__(self, name, vocab):
        super().__init__()
        cfg = CONFIGS[name]
        self.name = name
        # Sparse parameters (ember's server tables): first-order weights + bias
        # (table `wide`), field embeddings (table `deep`).
        self.wide = nn.Embedding(vocab.size, 1)
        nn.init.zeros_(self.wide.weight)
        self.bias = nn.Parameter(torch.zeros(1))
        d_in = NUM_CAT * EMB_DIM + NUM_DENSE
        if name == "lr":
            self.dense_linear = xavier_linear(NUM_DENSE, 1)
            self.emb = None
        else:
            self.emb = nn.Embedding(vocab.size, EMB_DIM)
            with torch.no_grad():
                self.emb.weight.normal_(0.0, EMB_INIT)
                self.emb.weight[vocab.oov_ids] = 0.0  # OOV rows: zero, never trained
        if name in ("wide_deep", "deepfm"):
            self.mlp = mlp([d_in] + cfg["hidden"] + [1], relu_last=False)
        elif name == "dcn":
            self.cross = CrossNet(d_in, cfg["cross_layers"])
            self.mlp = mlp([d_in] + cfg["hidden"] + [1], relu_last=False)
        elif name == "dlrm":
            self.bottom = mlp([NUM_DENSE] + cfg["bottom_hidden"] + [EMB_DIM], relu_last=True)
            t = NUM_CAT + 1
            self.tril = torch.tril_indices(t, t, offset=-1)  # i > j, row-major
            self.mlp = mlp([EMB_DIM + t * (t - 1) // 2] + cfg["hidden"] + [1], relu_last=False)

    def sparse_params(self):
        return [self.wide.weight, self.bias] + ([self.emb.weight] if self.emb is not None else [])

    def dense_params(self):
        sp = {id(p) for p in self.sparse_params()}
        return [p for p in self.parameters() if id(p) not in sp]

    def forward(self, dense, ids):
        logit = self.wide(ids).sum(dim=(1, 2)) + self.bias
        if self.name == "lr":
            return logit + self.dense_linear(dense).squeeze(1)
        e = self.emb(ids)  # [B, 26, D]
        x0 = torch.cat([e.flatten(1), dense], dim=1)
        if self.name == "wide_deep":
            return logit + self.mlp(x0).squeeze(1)
        if self.name == "deepfm":
            s = e.sum(1)
            fm = 0.5 * (s * s - (e * e).sum(1)).sum(1)
            return logit + fm + self.mlp(x0).squeeze(1)
        if self.name == "dcn":
            return logit + self.mlp(self.cross(x0)).squeeze(1)
        if self.name == "dlrm":
            b = self.bottom(dense)
            v = torch.cat([b.unsqueeze(1), e], dim=1)  # [B, 27, D]
            z = torch.bmm(v, v.transpose(1, 2))[:, self.tril[0], self.tril[1]]
            return logit + self.mlp(torch.cat([b, z], dim=1)).squeeze(1)
        raise ValueError(self.name)


class Ftrl:
    """FTRL-Proximal (McMahan et al. 2013, Alg. 1) as ember's storage/optimizer.h.
    Rows without a gradient keep z and n, so w = f(z, n) does not change."""

    def __init__(self, params, alpha, beta, l1, l2):
        self.params = params
        self.h = (alpha, beta, l1, l2)
        self.z = [torch.zeros_like(p) for p in params]
        self.n = [torch.zeros_like(p) for p in params]

    @torch.no_grad()
    def step(self):
        alpha, beta, l1, l2 = self.h
        for p, z, n in zip(self.params, self.z, self.n):
            g = p.grad
            if g is None:
                continue
            sigma = (torch.sqrt(n + g * g) - torch.sqrt(n)) / alpha
            z.add_(g - sigma * p)
            n.add_(g * g)
            w = -(z - torch.sign(z) * l1) / ((beta + torch.sqrt(n)) / alpha + l2)
            p.copy_(torch.where(z.abs() <= l1, torch.zeros_like(w), w))

    def zero_grad(self):
        for p in self.params:
            p.grad = None


def auc(y, p):
    """ROC AUC with ties counted as half (rank-based)."""
    y = np.asarray(y)
    order = np.argsort(p, kind="mergesort")
    ps = np.asarray(p)[order]
    ranks = np.empty(len(p), np.float64)
    i = 0
    while i < len(ps):
        j = i
        while j + 1 < len(ps) and ps[j + 1] == ps[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    npos = y.sum()
    nneg = len(y) - npos
    return float((ranks[y == 1].sum() - npos * (npos + 1) / 2.0) / (npos * nneg))


@torch.no_grad()
def predict(model, dense, ids):
    model.eval()
    return torch.sigmoid(model(dense, ids)).numpy()


def train_one(name, seed, data, vocab, epochs, first_order):
    torch.manual_seed(seed)
    np.random.seed(seed)
    cfg = CONFIGS[name]
    model = Model(name, vocab)
    emb_opt = (torch.optim.Adagrad([model.emb.weight], lr=SPARSE_LR,
                                   initial_accumulator_value=ADAGRAD_ACC0, eps=1e-10)
               if model.emb is not None else None)
    wide_params = [model.wide.weight, model.bias]
    if first_order == "ftrl":
        wide_opt = Ftrl(wide_params, **FTRL)
    else:
        wide_opt = torch.optim.Adagrad(wide_params, lr=SPARSE_LR,
                                       initial_accumulator_value=ADAGRAD_ACC0, eps=1e-10)
    dense_opt = torch.optim.Adam(model.dense_params(), lr=cfg["dense_lr"],
                                 betas=(0.9, 0.999), eps=1e-8)
    opts = [o for o in (emb_opt, wide_opt, dense_opt) if o is not None]
    ytr, xtr, itr = data["train"]
    n = len(ytr)
    bs = cfg["batch_size"]
    loss_fn = nn.BCEWithLogitsLoss()
    out = []
    for ep in range(epochs):
        model.train()
        for s in range(0, n, bs):
            y, x, ids = ytr[s:s + bs], xtr[s:s + bs], itr[s:s + bs]
            for o in opts:
                o.zero_grad()
            loss = loss_fn(model(x, ids), y)
            loss.backward()
            B = float(len(y))
            for p in model.sparse_params():  # summed-loss gradient, as ember
                if p.grad is not None:
                    p.grad.mul_(B)
            for o in opts:
                o.step()
        res = {"model": name, "seed": seed, "epoch": ep + 1}
        for split in ("dev", "test"):
            yy, xx, ii = data[split]
            res[split + "_auc"] = auc(yy.numpy(), predict(model, xx, ii))
        out.append(res)
        print(f"{name:10s} seed {seed} epoch {ep + 1}  dev AUC {res['dev_auc']:.5f}  "
              f"test AUC {res['test_auc']:.5f}", flush=True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data_dir", default="../shared/data/criteo_head8k")
    ap.add_argument("--models", default="lr,wide_deep,deepfm,dcn,dlrm")
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--epochs", type=int, default=3,
                    help="train this many epochs; AUCs are printed after every epoch")
    ap.add_argument("--first_order", choices=["adagrad", "ftrl"], default="adagrad")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json_out", default="")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    paths = {s: os.path.join(args.data_dir, s + ".tsv") for s in ("train", "dev", "test")}
    for p in paths.values():
        if not os.path.exists(p):
            print(f"criteo_reference: {p} is absent; skipping", file=sys.stderr)
            return 0
    raw = {s: read_tsv(p) for s, p in paths.items()}
    vocab = Vocab(raw["train"][2])
    data = {s: (torch.from_numpy(y), torch.from_numpy(x), torch.from_numpy(vocab.encode(c)))
            for s, (y, x, c) in raw.items()}
    print(f"train {len(raw['train'][0])} dev {len(raw['dev'][0])} test {len(raw['test'][0])} rows; "
          f"vocabulary {vocab.size} ids (incl. {NUM_CAT} OOV rows); first order: {args.first_order}",
          flush=True)

    results = []
    seeds = [int(s) for s in args.seeds.split(",")]
    for name in args.models.split(","):
        t0 = time.time()
        for seed in seeds:
            results += train_one(name, seed, data, vocab, args.epochs, args.first_order)
        print(f"{name}: {time.time() - t0:.1f} s", flush=True)

    print("\nmodel       epochs  dev AUC median [min, max]     test AUC median [min, max]")
    for name in args.models.split(","):
        for ep in range(1, args.epochs + 1):
            rs = [r for r in results if r["model"] == name and r["epoch"] == ep]
            cols = []
            for split in ("dev", "test"):
                v = [r[split + "_auc"] for r in rs]
                cols.append(f"{statistics.median(v):.4f} [{min(v):.4f}, {max(v):.4f}]")
            print(f"{name:10s}  {ep:6d}  {cols[0]}    {cols[1]}")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"first_order": args.first_order, "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
