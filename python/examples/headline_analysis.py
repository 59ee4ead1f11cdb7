"""The seed's headline analysis on the demo bundle, from a notebook (or as a script).

The demo's "adhd" model differs from "standard" by one planted mechanism: at every "Step" token
(a step onset) it writes a direction that raises the logit of "quickly". The analysis:

  1. index both models' SAEs at blocks.2.hook_resid_post over the same documents;
  2. condition diff at step onsets: which adhd features fire there with no counterpart in standard;
  3. ablate the top one in adhd and compare the effect on the "quickly" logit with seeded,
     density-matched random features (the null);
  4. take the tensors into your own analysis (acts + encode), and plot (when matplotlib is installed).

    python3 python/examples/headline_analysis.py [--home DIR] [--demo DIR] [--out DIR] [--device cpu]

It connects to the core running on --home ($WORKBENCH_HOME, else ~/.sae-workbench), or starts a
headless one there. --demo names a bundle written by `sae-workbench demo --out DIR`; without it
the data directory's own demo bundle is used (generated on first use). Cells are marked # %%.
"""

# %%
from __future__ import annotations

import argparse
import json
import os
from typing import Any, Optional

import numpy as np

from sae_workbench import CoreNotRunning, Workbench

HOOK = "blocks.2.hook_resid_post"

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--home", default=None, help="data directory of the core (default: $WORKBENCH_HOME or ~/.sae-workbench)")
parser.add_argument("--demo", default=None, help="a demo bundle folder (sae-workbench demo --out DIR); default: the core's own")
parser.add_argument("--out", default=".", help="where the plot goes")
parser.add_argument("--device", default="auto", help="auto, cpu, cuda or webgpu")
parser.add_argument("--documents", type=int, default=300, help="documents to index")
args, _ = parser.parse_known_args()

try:
    wb = Workbench.connect(args.home)
except CoreNotRunning:
    wb = Workbench.start(args.home)
print(wb)

if args.demo:
    root = os.path.abspath(args.demo)
    demo: dict[str, Any] = {
        "standard": f"{root}/models/standard", "adhd": f"{root}/models/adhd",
        "standardSae": f"{root}/saes/standard/{HOOK}", "adhdSae": f"{root}/saes/adhd/{HOOK}", "dataset": f"{root}/dataset.jsonl",
    }
else:
    demo = wb.demo()

# %% 1. Index both models (reusing ready indexes of the same model, SAE and dataset).


def find_or_build_index(model: str, sae: str) -> str:
    ready = wb.indexes().query("state == 'ready' and model_path == @model and sae_path == @sae and dataset_path == @dataset", local_dict={"model": model, "sae": sae, "dataset": demo["dataset"]})
    if len(ready):
        return str(ready.id.iloc[0])
    job = wb.index(model, sae, demo["dataset"], max_documents=args.documents, device=args.device)
    return str(job.wait(progress=True).result()["index_ids"][0])


standard_ix = find_or_build_index(demo["standard"], demo["standardSae"])
adhd_ix = find_or_build_index(demo["adhd"], demo["adhdSae"])
print("indexes:", standard_ix, adhd_ix)

# %% 2. Condition diff at step onsets (decoder matching: the demo's models share a residual basis).
diff = wb.diff(standard_ix, adhd_ix, "named:step-onset", match="decoder")
print(diff.attrs["sentence"])
print(diff.head(5).to_string(index=False))
# No counterpart in A: no match at all, or a best match scoring under the diff's threshold.
unmatched = diff[diff["match"].isna() | (diff["match_score"] < diff.attrs["threshold"])]
feature = int((unmatched if len(unmatched) else diff).feature.iloc[0])
stats = wb.features(adhd_ix).loc[feature]
print(f"top feature without a counterpart in standard: {feature} (density {stats.density:.2e}, max {stats['max']:.2f})")

# %% 3. Ablate it in adhd against a seeded null of density-matched random features.
ablation = wb.ablate(demo["adhd"], demo["adhdSae"], [feature], demo["dataset"], metric="logit:quickly", condition="named:step-onset", max_documents=40, seeds=5, draws=4, device=args.device)
result = ablation.wait(progress=True).result()
print(result["verdict"])

# %% 4. Your own analysis: the feature's activation token by token, from the tensors themselves.
text = "How to cook rice. Step 1: Rinse the rice slowly. Step 2: Add the water. That is all."
acts = wb.acts(demo["adhd"], text, hooks=HOOK, device=args.device)
encoded = wb.encode(demo["adhdSae"], acts[HOOK], device=args.device)
trace = encoded["feature_acts"][:, feature]
fires_at = np.flatnonzero(trace > 0).tolist()
print(f"feature {feature} fires at positions {fires_at} (token ids {acts['tokens'][fires_at].tolist()}) of {len(trace)}")
reconstruction = 1 - float(((acts[HOOK] - encoded["sae_out"]) ** 2).sum() / ((acts[HOOK] - acts[HOOK].mean(0)) ** 2).sum())
print(f"fraction of variance explained on this text: {reconstruction:.3f}")

# %% Plot (matplotlib when installed).
plot: Optional[str] = None
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: no plot")
else:
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    top = diff.head(15)
    left.bar([str(f) for f in top.feature], top.asymmetry, color=["#c0392b" if f == feature else "#7f8c8d" for f in top.feature])
    left.set(title="adhd features at step onsets vs standard", xlabel="feature", ylabel="asymmetry")
    seeds = result["null"]["seeds"]
    mean, sem = result["null"]["mean"], result["null"]["sem"]
    right.axhspan(mean - 2 * sem, mean + 2 * sem, color="#bdc3c7", label="null mean ± 2 SEM")
    right.scatter(range(len(seeds)), seeds, color="#7f8c8d", label="null, per seed")
    right.axhline(result["effect"], color="#c0392b", label=f"feature {feature}")
    right.set(title='ablation effect on the "quickly" logit', xlabel="null seed", ylabel="effect (logits)", xticks=range(len(seeds)))
    right.legend(loc="center right")
    fig.tight_layout()
    plot = os.path.join(os.path.abspath(args.out), "headline.png")
    fig.savefig(plot, dpi=100)
    print("plot:", plot)

wb.close()
print(json.dumps({"feature": feature, "effect": result["effect"], "null_mean": result["null"]["mean"], "z": result["z"], "verdict": result["verdict"], "fires_at": fires_at, "plot": plot}))
