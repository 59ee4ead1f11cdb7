"""Finding a running core (its connection file) and starting a headless one.

``serve`` writes ``<home>/connection.json`` (mode 0600) when it starts listening and removes it
when it stops: ``{"format": "sae-workbench.connection", "version", "pid", "port", "token", "url",
"home", "headless", "startedAt"}``. A core killed with SIGKILL leaves the file behind; its pid is
then gone (or its port refuses), which is how a stale file is told apart."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from .errors import CoreNotRunning, WorkbenchError

CONNECTION_FILE = "connection.json"
CONNECTION_FORMAT = "sae-workbench.connection"


def resolve_home(home: Union[str, os.PathLike[str], None]) -> Path:
    """--home, else $WORKBENCH_HOME, else ~/.sae-workbench (the core's own rule), made absolute."""
    chosen = home if home is not None else os.environ.get("WORKBENCH_HOME") or Path.home() / ".sae-workbench"
    return Path(chosen).expanduser().resolve()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    except OSError:
        return False
    return True


def read_connection_file(home: Path) -> dict[str, Any]:
    """The running core's connection record, or CoreNotRunning saying why there is none."""
    file = home / CONNECTION_FILE
    start = f"Start one: npx sae-workbench serve --headless --home {shlex.quote(str(home))} (from the SAE Workbench checkout), or Workbench.start(home={str(home)!r})."
    try:
        info = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CoreNotRunning(f"No SAE Workbench core is running with the data directory {home} (there is no {file}).", start) from None
    except (OSError, ValueError) as err:
        raise CoreNotRunning(f"The connection file {file} cannot be read ({err}).", start) from None
    if not isinstance(info, dict) or info.get("format") != CONNECTION_FORMAT or not isinstance(info.get("port"), int) or not isinstance(info.get("token"), str):
        raise CoreNotRunning(f"{file} is not an SAE Workbench connection file.", start)
    pid = info.get("pid")
    if isinstance(pid, int) and not pid_alive(pid):
        raise CoreNotRunning(f"{file} is stale: the core that wrote it (pid {pid}) is no longer running (it was killed before it could remove the file).", start)
    return info


def find_cli(command: Union[str, Sequence[str], None]) -> list[str]:
    """The command that runs `sae-workbench`: given, $SAE_WORKBENCH_CLI, on PATH, or this package's checkout."""
    if command is not None:
        return shlex.split(command) if isinstance(command, str) else list(command)
    from_env = os.environ.get("SAE_WORKBENCH_CLI")
    if from_env:
        return shlex.split(from_env)
    on_path = shutil.which("sae-workbench")
    if on_path:
        return [on_path]
    checkout = Path(__file__).resolve().parents[2] / "bin" / "sae-workbench.mjs"
    node = shutil.which("node")
    if checkout.is_file() and node:
        return [node, str(checkout)]
    raise WorkbenchError(
        "CLI_NOT_FOUND",
        "Cannot find the sae-workbench command to start a core.",
        "Pass command=['node', '/path/to/sae-workbench/bin/sae-workbench.mjs'] (or 'npx sae-workbench' run in the checkout), or set SAE_WORKBENCH_CLI.",
    )


class CoreProcess:
    """A headless core this client started (`sae-workbench serve --headless`); stopped on close."""

    def __init__(self, home: Path, command: Union[str, Sequence[str], None], timeout: float, env: Optional[dict[str, str]]) -> None:
        self.home = home
        cli = find_cli(command)
        home.mkdir(parents=True, exist_ok=True)
        self._output = tempfile.TemporaryFile()
        child_env = {**os.environ, **(env or {}), "SAE_WORKBENCH_EXIT_WITH_PARENT": "1"}
        try:
            self.process = subprocess.Popen([*cli, "serve", "--headless", "--port", "0", "--home", str(home)], stdin=subprocess.DEVNULL, stdout=self._output, stderr=subprocess.STDOUT, env=child_env)
        except OSError as err:
            raise WorkbenchError("CLI_NOT_FOUND", f"Cannot run {cli!r}: {err}.", "Pass command=[...] naming the sae-workbench command.") from None
        self.info = self._wait_for_connection_file(timeout)

    def output(self) -> str:
        self._output.seek(0)
        return self._output.read().decode("utf-8", "replace")

    def _wait_for_connection_file(self, timeout: float) -> dict[str, Any]:
        file = self.home / CONNECTION_FILE
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                out = self.output()
                lines = [l for l in out.splitlines() if l.startswith(("Error:", "Hint:"))]
                message = next((l[len("Error: ") :] for l in lines if l.startswith("Error:")), out.strip()[-2000:] or f"exit code {self.process.returncode}")
                hint = next((l[len("Hint: ") :] for l in lines if l.startswith("Hint:")), None)
                raise WorkbenchError("CORE_START_FAILED", f"The core did not start (exit code {self.process.returncode}): {message}", hint)
            try:
                info = json.loads(file.read_text(encoding="utf-8"))
                if info.get("pid") == self.process.pid:
                    return info
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        self.stop()
        raise WorkbenchError("CORE_START_FAILED", f"The core did not write {file} within {timeout:.0f} s.", f"Its output:\n{self.output()[-2000:]}")

    def stop(self, timeout: float = 60.0) -> Optional[int]:
        """SIGTERM (running jobs checkpoint and stop, the connection file goes), then SIGKILL after ``timeout``."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM if sys.platform != "win32" else signal.CTRL_BREAK_EVENT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode
