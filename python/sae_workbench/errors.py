"""Errors raised by the client. Every error has a stable ``code``, a ``message`` that names what
went wrong (file, id, value) and, where there is one, a ``hint`` that says what to do: the same
triple the core, the app and the CLI use."""

from __future__ import annotations

from typing import Any, Optional


class WorkbenchError(Exception):
    """An error from the core (its code, message and hint) or from the client itself."""

    def __init__(self, code: str, message: str, hint: Optional[str] = None, *, error_id: Optional[str] = None) -> None:
        self.code = code
        self.message = message
        self.hint = hint
        self.error_id = error_id
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.code}: {self.message}"
        if self.hint:
            text += f"\nHint: {self.hint}"
        if self.error_id:
            text += f"\n(error id {self.error_id}: the core's logs/core.log has the details)"
        return text

    @classmethod
    def from_api(cls, error: dict[str, Any]) -> "WorkbenchError":
        """The error object of a failed API call."""
        return cls(str(error.get("code", "UNKNOWN")), str(error.get("message", "")), error.get("hint"), error_id=error.get("errorId"))


class CoreNotRunning(WorkbenchError):
    """No core answers for this data directory (no connection file, a stale one, or a refused port)."""

    def __init__(self, message: str, hint: Optional[str] = None) -> None:
        super().__init__("CORE_NOT_RUNNING", message, hint)


class TokenRejected(WorkbenchError):
    """The core refused the API token (the connection file is from another run, or the token is wrong)."""

    def __init__(self, message: str, hint: Optional[str] = None) -> None:
        super().__init__("TOKEN_REJECTED", message, hint)


class VersionMismatch(WorkbenchError):
    """The core is another version of SAE Workbench than this client."""

    def __init__(self, core_version: str, client_version: str, where: str) -> None:
        self.core_version = core_version
        self.client_version = client_version
        super().__init__(
            "VERSION_MISMATCH",
            f"The core at {where} is SAE Workbench {core_version}, but this Python client is {client_version}.",
            "Install the client from the checkout that runs the core (pip install ./python), or start the core of the client's version.",
        )


class ConnectionLost(WorkbenchError):
    """The connection to the core closed while a call or a wait was in progress."""

    def __init__(self, message: str, hint: Optional[str] = None) -> None:
        super().__init__("CONNECTION_LOST", message, hint)


class TensorError(WorkbenchError, TypeError):
    """An array of the wrong dtype or shape, refused before it is sent."""


class JobFailed(WorkbenchError):
    """A job ended in failure; ``job_error`` is the job's own error (code, message, hint)."""

    def __init__(self, job_id: str, kind: str, job_error: Optional[dict[str, Any]]) -> None:
        self.job_id = job_id
        self.job_error = job_error or {}
        detail = f": {self.job_error.get('code')}: {self.job_error.get('message')}" if job_error else ""
        super().__init__("JOB_FAILED", f"Job {job_id} ({kind}) failed{detail}.", self.job_error.get("hint") or "See its log in the Queue (wb.job(id).logs()); retry it there.")


class JobCancelled(WorkbenchError):
    """A job was cancelled before it finished; it has no result."""

    def __init__(self, job_id: str, kind: str) -> None:
        self.job_id = job_id
        super().__init__("JOB_CANCELLED", f"Job {job_id} ({kind}) was cancelled; it has no result.", "Retry it in the Queue to run it again.")
