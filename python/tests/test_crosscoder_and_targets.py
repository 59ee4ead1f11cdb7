"""The client's crosscoder training and its `on=` cluster target (the CLI's `crosscoder` and `--on`)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from conftest import HOOK
from sae_workbench import Workbench
from sae_workbench.errors import WorkbenchError


def test_crosscoder_trains_over_both_demo_models(wb: Workbench, demo: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "cc"
    job = wb.crosscoder(demo["models"]["standard"], demo["models"]["adhd"], HOOK, demo["dataset"], k=4, d_sae=64, tokens=2048, batch_size=256, eval_tokens=512, norm_tokens=1024, out=out, device="cpu")
    assert job.kind == "train.crosscoder"
    result = job.wait().result()
    for key in ("fve_a", "fve_b", "l0", "dead_pct", "n_a_only", "n_shared", "n_b_only", "out"):
        assert key in result, key
    assert math.isfinite(result["fve_a"]) and math.isfinite(result["fve_b"])
    assert result["n_a_only"] + result["n_shared"] + result["n_b_only"] <= 64
    cfg = json.loads((Path(result["out"]) / "cfg.json").read_text())
    assert cfg["architecture"] == "batchtopk_crosscoder"
    assert (cfg["d_sae"], cfg["k"], cfg["hook_name_a"], cfg["hook_name_b"]) == (64, 4, HOOK, HOOK)


def test_crosscoder_takes_one_hook_per_model(wb: Workbench, demo: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="one per model"):
        wb.crosscoder(demo["models"]["standard"], demo["models"]["adhd"], [HOOK, HOOK, HOOK], demo["dataset"])


def test_on_names_a_cluster_profile_and_is_checked_before_anything_runs(wb: Workbench, demo: dict[str, Any]) -> None:
    before = len(wb.jobs())
    with pytest.raises(WorkbenchError) as err:
        wb.train(demo["models"]["adhd"], HOOK, demo["dataset"], k=4, d_sae=64, tokens=1024, on="no-such-cluster")
    assert err.value.code == "CLUSTER_NOT_FOUND"
    assert "no-such-cluster" in str(err.value)
    with pytest.raises(WorkbenchError) as err:
        wb.index(demo["models"]["adhd"], demo["saes"]["adhd"], demo["dataset"], max_documents=4, on="no-such-cluster")
    assert err.value.code == "CLUSTER_NOT_FOUND"
    assert len(wb.jobs()) == before
