"""Connecting: the connection file, and the documented errors for no core, a stale file, a wrong
token and a core of another version."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import sae_workbench.client
from conftest import REPO
from sae_workbench import CoreNotRunning, TokenRejected, VersionMismatch, Workbench, __version__


def test_the_client_is_the_cores_version() -> None:
    assert __version__ == json.loads((REPO / "package.json").read_text())["version"]


def test_the_connection_file_is_owner_only_and_connects(wb: Workbench, home: Path) -> None:
    file = home / "connection.json"
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    info = json.loads(file.read_text())
    assert info["format"] == "sae-workbench.connection" and info["headless"] is True
    with Workbench.connect(home) as other:
        assert other.info()["version"] == __version__ and Path(other.info()["home"]) == home


def test_no_core_running(tmp_path: Path) -> None:
    with pytest.raises(CoreNotRunning) as err:
        Workbench.connect(tmp_path / "empty")
    assert err.value.code == "CORE_NOT_RUNNING"
    assert "No SAE Workbench core is running with the data directory" in err.value.message and "serve --headless" in (err.value.hint or "")


def test_a_stale_connection_file_from_a_killed_core(tmp_path: Path, home: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = {**json.loads((home / "connection.json").read_text()), "pid": dead.pid, "home": str(tmp_path)}
    (tmp_path / "connection.json").write_text(json.dumps(stale))
    with pytest.raises(CoreNotRunning) as err:
        Workbench.connect(tmp_path)
    assert "stale" in err.value.message and str(dead.pid) in err.value.message


def test_a_wrong_token(wb: Workbench, home: Path) -> None:
    info = json.loads((home / "connection.json").read_text())
    with pytest.raises(TokenRejected) as err:
        Workbench.connect(url=info["url"], token="not-the-token")
    assert err.value.code == "TOKEN_REJECTED" and "refused the API token" in err.value.message


def test_a_core_of_another_version(wb: Workbench, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sae_workbench.client, "__version__", "9.9.9")
    with pytest.raises(VersionMismatch) as err:
        Workbench.connect(home)
    assert err.value.code == "VERSION_MISMATCH"
    assert f"SAE Workbench {__version__}" in err.value.message and "9.9.9" in err.value.message


def test_a_live_pid_whose_port_refuses(tmp_path: Path, home: Path) -> None:
    import os
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    record = {**json.loads((home / "connection.json").read_text()), "pid": os.getpid(), "port": closed_port, "url": f"ws://127.0.0.1:{closed_port}/api"}
    (tmp_path / "connection.json").write_text(json.dumps(record))
    with pytest.raises(CoreNotRunning) as err:
        Workbench.connect(tmp_path)
    assert f"No core answers at ws://127.0.0.1:{closed_port}/api" in err.value.message


def test_starting_a_second_core_on_a_busy_data_directory(wb: Workbench, home: Path) -> None:
    from conftest import CLI
    from sae_workbench import WorkbenchError

    before = (home / "connection.json").read_text()
    with pytest.raises(WorkbenchError) as err:
        Workbench.start(home=home, command=CLI, timeout=60)
    assert err.value.code == "CORE_START_FAILED"
    assert "Another SAE Workbench" in err.value.message and str(home) in err.value.message
    assert (home / "connection.json").read_text() == before  # the running core's file is untouched
    assert wb.info()["home"] == str(home)
