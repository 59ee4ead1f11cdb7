"""Jobs from Python: cancelled from the client is cancelled in the Queue; a lost connection leaves the
job running and a new connection reattaches to it by id."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from sae_workbench import ConnectionLost, JobCancelled, Workbench


def wait_until_running(wb: Workbench, job_id: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while wb.job(job_id).state != "running":
        assert time.monotonic() < deadline, f"job {job_id} did not start"
        time.sleep(0.1)


def test_a_job_cancelled_from_python_is_cancelled_in_the_queue(wb: Workbench, demo: dict[str, Any], home: Path) -> None:
    # Long enough to be running when cancelled: every document, many seeds.
    job = wb.ablate(demo["models"]["adhd"], demo["saes"]["adhd"], [255], demo["dataset"], max_documents=3000, seeds=50, draws=20, device="cpu")
    wait_until_running(wb, job.id)
    job.cancel()
    assert job.wait(timeout=120).state == "cancelled"
    assert wb.jobs().set_index("id").loc[job.id, "state"] == "cancelled"
    # What the Queue page shows (jobs.list), from another connection.
    with Workbench.connect(home) as queue_page:
        assert {j["id"]: j["state"] for j in queue_page._call("jobs.list")}[job.id] == "cancelled"
    with pytest.raises(JobCancelled) as no_result:
        job.result()
    assert no_result.value.code == "JOB_CANCELLED" and job.id in no_result.value.message


def test_a_lost_connection_leaves_the_job_running_and_a_new_one_reattaches(wb: Workbench, demo: dict[str, Any], home: Path) -> None:
    first = Workbench.connect(home)
    job = first.ablate(demo["models"]["adhd"], demo["saes"]["adhd"], [255], demo["dataset"], max_documents=100, seeds=3, draws=2, metric="logit:quickly", device="cpu")
    wait_until_running(first, job.id)
    threading.Timer(0.3, first._connection.close).start()
    with pytest.raises(ConnectionLost) as lost:
        job.wait()
    assert job.id in lost.value.message and "keeps running" in lost.value.message and f"wb.job({job.id!r})" in (lost.value.hint or "")
    with pytest.raises(ConnectionLost):
        first.jobs()
    second = Workbench.connect(home)
    try:
        again = second.job(job.id)
        assert again.state in ("running", "completed")
        result = again.result()
        assert set(result) == {"metric", "clean", "ablated", "effect", "null", "z", "p_value", "verdict"}
    finally:
        second.close()
