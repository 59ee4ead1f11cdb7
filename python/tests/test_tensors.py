"""acts and encode through the client equal the CLI's files bit for bit; bad arrays are refused by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import HOOK, run_cli
from sae_workbench import TensorError, Workbench, WorkbenchError, read_safetensors

TEXT = "How to cook rice. Step 1: Rinse the rice slowly. Step 2: Add the water quickly."


def assert_same_bytes(ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray]) -> None:
    assert list(ours) == list(theirs) or sorted(ours) == sorted(theirs)
    for name, expected in theirs.items():
        got = ours[name]
        assert (got.dtype, got.shape) == (expected.dtype, expected.shape), name
        assert got.tobytes() == expected.tobytes(), f"{name} differs from the CLI's bytes"


@pytest.fixture(scope="module")
def cli_acts(demo: dict[str, Any], home: Path, session_dir: Path) -> Path:
    """`sae-workbench acts` on TEXT: two hooks and the logits."""
    out = session_dir / "acts-text.safetensors"
    run_cli("acts", "--model", demo["models"]["adhd"], "--text", TEXT, "--hooks", f"blocks.0.hook_resid_post,{HOOK}", "--logits", "--device", "cpu", "--out", str(out), home=home)
    return out


def test_acts_equal_the_cli_bit_for_bit(wb: Workbench, demo: dict[str, Any], cli_acts: Path) -> None:
    model = demo["models"]["adhd"]
    acts = wb.acts(model, TEXT, hooks=["blocks.0.hook_resid_post", HOOK], logits=True, device="cpu")
    assert list(acts) == ["blocks.0.hook_resid_post", HOOK, "logits", "tokens"]
    assert acts[HOOK].dtype == np.float32 and acts["tokens"].dtype == np.int64 and acts["tokens"][0] == 0  # BOS
    theirs = read_safetensors(cli_acts)
    assert_same_bytes(acts, theirs)
    # Token ids are taken as they are (the BOS included here): the same run, the same bytes.
    by_ids = wb.acts(model, tokens=theirs["tokens"].tolist(), hooks="blocks.0.hook_resid_post," + HOOK, logits=True, device="cpu")
    assert_same_bytes(by_ids, theirs)


def test_encode_equals_the_cli_bit_for_bit_dense_and_sparse(wb: Workbench, demo: dict[str, Any], home: Path, session_dir: Path, cli_acts: Path) -> None:
    sae = demo["saes"]["adhd"]
    enc_file = session_dir / "enc-out.safetensors"
    run_cli("encode", "--sae", sae, "--in", str(cli_acts), "--tensor", HOOK, "--device", "cpu", "--out", str(enc_file), home=home)
    x = read_safetensors(cli_acts)[HOOK]
    enc = wb.encode(sae, x, device="cpu")
    assert_same_bytes(enc, read_safetensors(enc_file))
    sparse = wb.encode(sae, x, sparse=True, device="cpu")
    fa = sparse["feature_acts"]
    assert fa.indices.dtype == np.int64 and fa.indices.shape[0] == 2 and fa.values.dtype == np.float32
    assert fa.to_dense().tobytes() == enc["feature_acts"].tobytes()
    # float64 activations are converted to float32: the same answer.
    assert wb.encode(sae, x.astype(np.float64), device="cpu")["feature_acts"].tobytes() == enc["feature_acts"].tobytes()


def test_wrong_arrays_are_refused_by_name(wb: Workbench, demo: dict[str, Any]) -> None:
    sae = demo["saes"]["adhd"]
    with pytest.raises(TensorError) as dtype:
        wb.encode(sae, np.zeros((3, 64), dtype=np.int32))
    assert dtype.value.code == "TENSOR_DTYPE" and "int32" in dtype.value.message
    with pytest.raises(WorkbenchError) as width:
        wb.encode(sae, np.zeros((3, 10), dtype=np.float32), device="cpu")
    assert width.value.code == "ENGINE_SAE_WIDTH" and "[3, 10], 10 wide" in width.value.message and "d_in 64" in width.value.message
    with pytest.raises(TensorError) as shape:
        wb.acts(demo["models"]["adhd"], tokens=np.array([[0, 5, 6]]), hooks=HOOK)
    assert shape.value.code == "TENSOR_SHAPE" and "(1, 3)" in shape.value.message
    with pytest.raises(TensorError) as floats:
        wb.acts(demo["models"]["adhd"], tokens=np.array([0.5, 2.0]), hooks=HOOK)
    assert floats.value.code == "TENSOR_DTYPE"
    with pytest.raises(WorkbenchError) as vocab:
        wb.acts(demo["models"]["adhd"], tokens=[0, 99999], hooks=HOOK, device="cpu")
    assert vocab.value.code == "ENGINE_TOKEN_OUT_OF_VOCAB"
