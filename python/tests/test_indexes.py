"""features(), feature() and activations() equal what the CLI exports and prints."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from conftest import NODE, REPO, cli_json
from sae_workbench import Workbench, WorkbenchError


def read_parquet(file: Path) -> pd.DataFrame:
    """Debian's python3 has no Parquet reader: read through the project's own (hyparquet), exactly (see parquet_to_json.mjs)."""
    out = subprocess.run([NODE or "node", str(REPO / "python" / "tests" / "parquet_to_json.mjs"), str(file)], capture_output=True, text=True, check=True, cwd=REPO)
    return pd.DataFrame(json.loads(out.stdout))


@pytest.fixture(scope="module")
def export(indexes: dict[str, str], home: Path, session_dir: Path) -> Path:
    out = session_dir / "export-adhd"
    cli_json("index", "export", indexes["adhd"], "--format", "parquet", "--out", str(out), home=home)
    return out


def test_features_equal_the_index_export(wb: Workbench, indexes: dict[str, str], export: Path) -> None:
    ours = wb.features(indexes["adhd"])
    assert list(ours.columns)[:5] == ["feature", "fire_count", "density", "max", "mean"]
    theirs = read_parquet(export / "feature_stats.parquet")
    assert len(ours) == len(theirs) == 256
    for column in ["feature", "fire_count", "density", "max", "mean"]:
        assert np.array_equal(ours[column].to_numpy(), theirs[column].to_numpy().astype(ours[column].dtype)), column
    planted = ours.loc[255]
    assert planted.fire_count > 0 and planted["max"] > 5


def test_features_carry_the_users_labels(wb: Workbench, indexes: dict[str, str], demo: dict[str, Any], home: Path) -> None:
    """Labels are the app's (keyed by the SAE's weights): one set from the CLI shows in the frame; unset ones are None."""
    cli_json("label", "--sae", demo["saes"]["adhd"], "--feature", "255", "--text", "step onset", "--note", "planted", "--json", home=home)
    try:
        frame = wb.features(indexes["adhd"])
        assert list(frame.columns) == ["feature", "fire_count", "density", "max", "mean", "label", "note"]
        assert (frame.loc[255, "label"], frame.loc[255, "note"]) == ("step onset", "planted")
        assert frame["label"].drop(index=255).isna().all()
    finally:
        cli_json("label", "--sae", demo["saes"]["adhd"], "--feature", "255", "--text", "", "--note", "", "--json", home=home)


def test_activations_equal_the_exported_sparse_store(wb: Workbench, indexes: dict[str, str], export: Path) -> None:
    ours = wb.activations(indexes["adhd"])
    theirs = read_parquet(export / "activations.parquet")
    assert len(ours) == len(theirs) > 0
    for column in ["document", "position", "feature"]:
        assert np.array_equal(ours[column].to_numpy(), theirs[column].to_numpy()), column
    assert ours["activation"].dtype == np.float32
    assert ours["activation"].to_numpy().tobytes() == theirs["activation"].to_numpy().astype(np.float32).tobytes()
    some = wb.activations(indexes["adhd"], features=[255], documents=ours["document"].unique()[:5].tolist())
    expected = ours[(ours.feature == 255) & ours.document.isin(ours["document"].unique()[:5])].reset_index(drop=True)
    pd.testing.assert_frame_equal(some, expected)
    with pytest.raises(WorkbenchError) as many:
        wb.activations(indexes["adhd"], max_rows=10)
    assert many.value.code == "ACTIVATIONS_TOO_MANY"


def test_feature_matches_the_cli_feature_json(wb: Workbench, indexes: dict[str, str], home: Path) -> None:
    ours = wb.feature(indexes["adhd"], 255)
    theirs = cli_json("feature", "--index", indexes["adhd"], "--feature", "255", "--json", home=home)
    assert isinstance(ours["top"], pd.DataFrame) and len(ours["top"]) > 0
    as_json = {**ours, "top": ours["top"].to_dict("records"), "intervals": [{**iv, "examples": iv["examples"].to_dict("records")} for iv in ours["intervals"]]}
    assert as_json == theirs


def test_unknown_ids_are_named(wb: Workbench) -> None:
    with pytest.raises(WorkbenchError) as missing:
        wb.features("ix-0000000000")
    assert missing.value.code == "INDEX_NOT_FOUND"
    with pytest.raises(WorkbenchError) as malformed:
        wb.features("../../etc")
    assert malformed.value.code == "INVALID_PARAMS" and "not an index id" in malformed.value.message
    with pytest.raises(WorkbenchError) as job:
        wb.job("20000101-00000000")
    assert job.value.code == "JOB_NOT_FOUND"
