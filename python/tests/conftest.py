"""One core, one demo bundle and one pair of indexes for the whole test session: the core is a real
`sae-workbench serve --headless` started through the client (Workbench.start), the demo bundle is
`sae-workbench demo --out`, the indexes are built through the client. CLI commands run against the
same data directory, so the client's answers are compared with the CLI's own output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))  # the package by path: the tests need no pip install

from sae_workbench import Workbench  # noqa: E402

NODE = shutil.which("node")
CLI = [NODE or "node", str(REPO / "bin" / "sae-workbench.mjs")]
HOOK = "blocks.2.hook_resid_post"
INDEXED_DOCUMENTS = 300


def run_cli(*args: str, home: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`sae-workbench <args> --home <home>`; on failure the test fails with its output."""
    r = subprocess.run([*CLI, *args, "--home", str(home)], capture_output=True, text=True, cwd=REPO, env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=300)
    if check and r.returncode != 0:
        pytest.fail(f"sae-workbench {' '.join(args)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r


def cli_json(*args: str, home: Path) -> Any:
    """The CLI's final JSON (its --json object or last JSON line)."""
    out = run_cli(*args, home=home).stdout.strip()
    try:
        return json.loads(out)
    except ValueError:
        return json.loads(out.splitlines()[-1])


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sae-workbench-python")


@pytest.fixture(scope="session")
def home(session_dir: Path) -> Path:
    return session_dir / "home"


@pytest.fixture(scope="session")
def demo(session_dir: Path, home: Path) -> dict[str, Any]:
    """The demo bundle's paths: models.standard/adhd, saes.standard/adhd, dataset, ..."""
    if NODE is None:
        pytest.fail("node is not on PATH: the Python client's tests need the SAE Workbench core.")
    return cli_json("demo", "--out", str(session_dir / "demo"), "--json", home=home)["paths"]


@pytest.fixture(scope="session")
def wb(home: Path, demo: dict[str, Any]) -> Any:
    with Workbench.start(home=home, command=CLI, env={"HF_HUB_OFFLINE": "1"}) as workbench:
        yield workbench


@pytest.fixture(scope="session")
def indexes(wb: Workbench, demo: dict[str, Any]) -> dict[str, str]:
    """Index ids of both demo models (their SAEs at blocks.2.hook_resid_post, the first documents)."""
    jobs = {name: wb.index(demo["models"][name], demo["saes"][name], demo["dataset"], max_documents=INDEXED_DOCUMENTS, device="cpu") for name in ("standard", "adhd")}
    return {name: job.result()["index_ids"][0] for name, job in jobs.items()}
