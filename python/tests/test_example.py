"""The example (python/examples/headline_analysis.py) runs against the session's core and finds the
planted mechanism: the step-onset feature, its ablation far outside the null, and the plot."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import REPO
from sae_workbench import Workbench


def test_the_headline_analysis_example(wb: Workbench, indexes: dict[str, str], demo: dict[str, Any], home: Path, tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, str(REPO / "python" / "examples" / "headline_analysis.py"), "--home", str(home), "--demo", str(Path(demo["root"])), "--out", str(tmp_path), "--device", "cpu"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO / "python")},
    )
    assert r.returncode == 0, r.stdout + r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["feature"] == 255
    assert summary["effect"] < -5 and abs(summary["null_mean"]) < 0.01
    assert "outside 2 SEM" in summary["verdict"]
    assert summary["fires_at"], "the planted feature fires at the Step tokens"
    if importlib.util.find_spec("matplotlib"):
        assert summary["plot"] and Path(summary["plot"]).stat().st_size > 10_000
    else:
        assert summary["plot"] is None
    # It reused the session's indexes instead of building new ones.
    assert set(wb.indexes().id) == set(indexes.values())
