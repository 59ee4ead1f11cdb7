"""Jobs: long work queued in the core (indexing, training, experiments, diffs). A Job is a handle by
id: it survives the connection that created it, so after a lost connection ``wb.job(job_id)`` on a
new connection picks the same job up again."""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Optional

from .errors import ConnectionLost, JobCancelled, JobFailed, WorkbenchError

if TYPE_CHECKING:
    from .client import Workbench

TERMINAL_STATES = frozenset({"completed", "failed", "cancelled"})


class _Progress:
    """tqdm when it is installed, else a line on stderr every few seconds."""

    def __init__(self, title: str) -> None:
        try:
            from tqdm.auto import tqdm  # type: ignore[import-not-found]

            self._bar: Any = tqdm(total=100, desc=title, unit="%", bar_format="{l_bar}{bar}| {n:.0f}% {postfix}")
        except ImportError:
            self._bar = None
            self._title = title
            self._last = 0.0

    def update(self, fraction: Optional[float], message: Optional[str]) -> None:
        if self._bar is not None:
            if fraction is not None:
                self._bar.n = round(fraction * 100, 1)
            self._bar.set_postfix_str(message or "", refresh=True)
            return
        now = time.monotonic()
        if now - self._last >= 2.0:
            self._last = now
            pct = "" if fraction is None else f"{fraction * 100:5.1f}% "
            print(f"{self._title}: {pct}{message or ''}", file=sys.stderr, flush=True)

    def close(self, state: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(state, refresh=True)
            self._bar.close()
        else:
            print(f"{self._title}: {state}", file=sys.stderr, flush=True)


class Job:
    """A queued job in the core. ``result()`` is the object the job's CLI command prints as JSON."""

    def __init__(self, workbench: "Workbench", view: dict[str, Any]) -> None:
        self._wb = workbench
        self.id: str = view["id"]
        self.kind: str = view["kind"]
        self.title: str = view.get("title", "")
        self._view = view

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self._view.get('state')}: {self.title}>"

    def view(self) -> dict[str, Any]:
        """The job as the Queue shows it (jobs.get: state, progress, params, result, error, timings)."""
        self._view = self._wb._call("jobs.get", {"id": self.id})
        return self._view

    @property
    def state(self) -> str:
        """queued, running, pausing, paused, cancelling, completed, failed, cancelled or interrupted (asked now)."""
        return str(self.view()["state"])

    def wait(self, progress: bool = False, timeout: Optional[float] = None) -> "Job":
        """Block until the job completes, fails or is cancelled (it keeps running if the connection drops).

        progress: show a progress bar (tqdm when installed, else lines on stderr).
        timeout: seconds to wait at most (None: as long as it takes); a TIMEOUT error leaves the job running.
        """
        updated = threading.Event()

        def on_event(event: str, payload: Any) -> None:
            if event in ("job.updated", "job.removed") and isinstance(payload, dict) and payload.get("id") == self.id:
                updated.set()

        stop_listening = self._wb._connection.on_event(on_event)
        bar = _Progress(f"{self.kind} {self.id}") if progress else None
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                view = self.view()
                if bar is not None:
                    bar.update(view.get("progress"), view.get("progressMessage"))
                if view["state"] in TERMINAL_STATES:
                    if bar is not None:
                        bar.close(view["state"])
                        bar = None
                    return self
                if deadline is not None and time.monotonic() >= deadline:
                    raise WorkbenchError("TIMEOUT", f"Job {self.id} ({self.kind}) is still {view['state']} after {timeout} s.", "It keeps running in the core: wait again, or cancel it with job.cancel().")
                updated.wait(1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic())))
                updated.clear()
        except ConnectionLost as err:
            raise ConnectionLost(
                f"The connection to the core closed while waiting for job {self.id} ({self.kind}); the job keeps running in the core. ({err.message})",
                f"Reattach: wb = Workbench.connect(...); wb.job({self.id!r}).wait()",
            ) from None
        finally:
            stop_listening()
            if bar is not None:
                bar.close("stopped waiting")

    def result(self, timeout: Optional[float] = None) -> Any:
        """Wait, then the job's result exactly as its CLI command prints it (e.g. ablate's
        {"metric", "clean", "ablated", "effect", "null", "z", "verdict"}). Raises JobFailed or JobCancelled."""
        view = self.wait(timeout=timeout)._view
        if view["state"] == "failed":
            raise JobFailed(self.id, self.kind, view.get("error"))
        if view["state"] == "cancelled":
            raise JobCancelled(self.id, self.kind)
        return self._wb._call("jobs.output", {"id": self.id})

    def cancel(self) -> "Job":
        """Cancel the job (a running one stops at its next check; pausable kinds keep their checkpoint for Retry)."""
        self._view = self._wb._call("jobs.cancel", {"id": self.id})
        return self

    def logs(self) -> list[str]:
        """The job's log lines, as the Queue shows them."""
        return [f"{l['level']}: {l['message']}" for l in self._wb._call("jobs.logs", {"id": self.id, "limit": 5000})]

    def artifact(self) -> dict[str, Any]:
        """An experiment's whole artifact (every parameter, input hashes, per-seed draws and values)."""
        return self._wb._call("experiments.artifact", {"jobId": self.id})
