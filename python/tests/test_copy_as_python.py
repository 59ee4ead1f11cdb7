"""The app's "Copy as Python" snippets run as they are against a real core and give the view's data."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd

from conftest import NODE, REPO
from sae_workbench import Job, Workbench


def snippet(view: dict[str, Any]) -> str:
    r = subprocess.run([NODE or "node", "--import", "tsx", str(REPO / "python" / "tests" / "copy_as_python.mts"), json.dumps(view)], capture_output=True, text=True, cwd=REPO, check=True)
    return r.stdout


def run(code: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(code, "<Copy as Python>", "exec"), namespace)
    namespace["wb"].close()
    return namespace


def test_the_features_and_experiment_snippets_run_and_reproduce_the_view(wb: Workbench, indexes: dict[str, str], demo: dict[str, Any], home: Path) -> None:
    features = run(snippet({"view": "features", "home": str(home), "index": indexes["adhd"], "feature": 255}))
    pd.testing.assert_frame_equal(features["features"], wb.features(indexes["adhd"]))
    assert features["feature"]["feature"] == 255 and (features["activations"].feature == 255).all()

    shown = wb.ablate(demo["models"]["adhd"], demo["saes"]["adhd"], [255], demo["dataset"], max_documents=20, seeds=2, draws=2, metric="logit:quickly", device="cpu")
    expected = shown.result()
    params = shown.artifact()["params"]
    code = snippet({"view": "experiment", "home": str(home), "jobId": shown.id, "kind": shown.kind, "params": params})
    assert "wb.ablate(" in code and "draws=2" in code
    ran = run(code)
    assert ran["result"] == expected and ran["artifact"]["params"] == params
    again: Job = ran["again"]
    assert again.id != shown.id and wb.job(again.id).result() == expected
