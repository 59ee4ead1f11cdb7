"""A diff and an ablation through the client equal the CLI's JSON."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from conftest import HOOK, cli_json
from sae_workbench import Job, Workbench


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows back as the JSON records they came from (NaN where JSON had null)."""
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()} for row in frame.to_dict("records")]


def test_diff_equals_the_cli_json(wb: Workbench, indexes: dict[str, str], home: Path) -> None:
    ours = wb.diff(indexes["standard"], indexes["adhd"], "named:step-onset", match="decoder")
    theirs = cli_json("diff", "--a", indexes["standard"], "--b", indexes["adhd"], "--condition", "named:step-onset", "--match", "decoder", "--json", home=home)
    assert records(ours) == theirs["features"]
    assert {k: v for k, v in ours.attrs.items() if k != "job_id"} == {k: v for k, v in theirs.items() if k != "features"}
    # The planted step-onset feature of adhd has no counterpart in standard and ranks near the top.
    assert 255 in ours.feature.head(3).tolist()
    assert wb.job(ours.attrs["job_id"]).result() == theirs


def test_ablation_equals_the_cli_json(wb: Workbench, demo: dict[str, Any], home: Path) -> None:
    args = dict(max_documents=40, metric="logit:quickly", condition="token-regex:^Step$", seeds=3, draws=2, device="cpu")
    job = wb.ablate(demo["models"]["adhd"], demo["saes"]["adhd"], [255], demo["dataset"], **args)
    assert isinstance(job, Job) and job.kind == "experiment.ablate"
    ours = job.wait(progress=True).result()
    theirs = cli_json(
        "ablate", "--model", demo["models"]["adhd"], "--sae", demo["saes"]["adhd"], "--features", "255", "--dataset", demo["dataset"],
        "--max-documents", "40", "--metric", "logit:quickly", "--condition", "token-regex:^Step$", "--seeds", "3", "--draws", "2", "--device", "cpu", "--json", home=home,
    )
    assert ours == theirs
    assert list(ours) == ["metric", "clean", "ablated", "effect", "null", "z", "p_value", "verdict"]
    assert ours["effect"] < -5
    artifact = job.artifact()
    assert artifact["params"]["features"] == [255] and artifact["result"]["effect"] == ours["effect"]


def test_match_is_the_one_the_diff_used(wb: Workbench, indexes: dict[str, str]) -> None:
    ours = wb.match(indexes["standard"], indexes["adhd"], "decoder")
    assert ours.attrs["method"] == "decoder" and len(ours) == 256
    diff = wb.diff(indexes["standard"], indexes["adhd"], "named:step-onset", match="decoder").set_index("feature")
    both = ours.set_index("feature").loc[diff.index]
    assert records(both[["match", "match_score"]].reset_index()) == records(diff[["match", "match_score"]].reset_index())
    assert HOOK in wb.indexes().set_index("id").loc[indexes["adhd"], "hook_name"]
