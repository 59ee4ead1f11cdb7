"""The WebSocket to a core: JSON requests and responses by id, events, and tensors in binary frames
(see _tensors.py). The socket lives on an asyncio loop in a background thread, so the client's calls
are plain blocking calls that work the same in a script and inside Jupyter's running event loop."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any, Callable, Optional

from . import _tensors
from .errors import ConnectionLost, CoreNotRunning, TokenRejected, WorkbenchError

try:  # websockets >= 13
    from websockets.asyncio.client import connect as _ws_connect  # type: ignore[import-not-found]
except ImportError:  # websockets 10-12 (Debian bookworm ships 10.4)
    from websockets.client import connect as _ws_connect  # type: ignore[no-redef]
from websockets.exceptions import ConnectionClosed


def _status_of(err: BaseException) -> Optional[int]:
    """The HTTP status of a refused WebSocket handshake, across websockets versions."""
    status = getattr(err, "status_code", None)
    if status is None:
        status = getattr(getattr(err, "response", None), "status_code", None)
    return int(status) if status is not None else None


class _Pending:
    def __init__(self, method: str) -> None:
        self.method = method
        self.done = threading.Event()
        self.message: Optional[dict[str, Any]] = None
        self.assembly: Optional[_tensors.Assembly] = None
        self.error: Optional[WorkbenchError] = None


class Connection:
    """One authenticated API connection."""

    def __init__(self, url: str, token: str, *, where: str, open_timeout: float = 10.0) -> None:
        self.url = url
        self.where = where
        self._pending: dict[int, _Pending] = {}
        self._lock = threading.Lock()
        self._next_id = 1
        self._listeners: list[Callable[[str, Any], None]] = []
        self._lost: Optional[ConnectionLost] = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sae-workbench-connection", daemon=True)
        self._thread.start()
        try:
            self._ws = asyncio.run_coroutine_threadsafe(self._open(f"{url}?token={token}", open_timeout), self._loop).result()
        except BaseException:
            self._stop_loop()
            raise
        asyncio.run_coroutine_threadsafe(self._read(), self._loop)

    async def _open(self, uri: str, open_timeout: float) -> Any:
        try:
            # No size limit (results carry tensors in frames of 4 MiB), no compression, no keepalive
            # pings: a core busy with a long request must not look dead.
            return await _ws_connect(uri, max_size=None, compression=None, ping_interval=None, open_timeout=open_timeout)
        except (OSError, asyncio.TimeoutError) as err:
            raise CoreNotRunning(f"No core answers at {self.url} ({self.where}): {err}.", "Start one: npx sae-workbench serve --headless --home <dir>, or Workbench.start(home=...).") from None
        except Exception as err:  # a refused handshake
            status = _status_of(err)
            if status == 401:
                raise TokenRejected(f"The core at {self.url} refused the API token ({self.where}).", "The token changes with every start of the core: connect with Workbench.connect(home) so it is read from the core's connection file.") from None
            if status is not None:
                raise WorkbenchError("CONNECT_REFUSED", f"The core at {self.url} refused the connection with HTTP {status}.", "Connect to 127.0.0.1 or localhost on the core's own port.") from None
            raise

    # ------------------------------------------------------------------ receiving

    async def _read(self) -> None:
        reason = ""
        try:
            async for message in self._ws:
                if isinstance(message, str):
                    self._on_text(message)
                else:
                    self._on_frame(message)
        except ConnectionClosed:
            pass
        except WorkbenchError as err:
            reason = f": {err.message}"
            await self._ws.close(1002, "protocol error")
        except Exception as err:  # never let the reader die silently
            reason = f": {err!r}"
            await self._ws.close(1011, "client error")
        code = getattr(self._ws, "close_code", None)
        self._fail_all(ConnectionLost(f"The connection to the core at {self.url} closed (close code {code}){reason}."))

    def _on_text(self, text: str) -> None:
        message = json.loads(text)
        if "event" in message:
            for listener in list(self._listeners):
                try:
                    listener(message["event"], message.get("payload"))
                except Exception:  # a listener's bug must not break the connection
                    pass
            return
        pending = self._pending.get(message.get("id"))
        if pending is None:
            if message.get("id") == -1 and not message.get("ok", True):
                # The core could not read a request: fail every call in flight rather than hang.
                self._fail_all(WorkbenchError.from_api(message["error"]))
            return
        count = message.get("attachments") or 0
        if count and message.get("ok"):
            pending.message = message
            pending.assembly = _tensors.Assembly(message["result"], count)
            if pending.assembly.complete:
                self._finish(message["id"])
            return
        pending.message = message
        self._finish(message["id"])

    def _on_frame(self, frame: bytes) -> None:
        message_id, tensor, chunk, payload = _tensors.parse_header(frame)
        pending = self._pending.get(message_id)
        if pending is None or pending.assembly is None:
            raise WorkbenchError("PROTOCOL_ERROR", f"The core sent tensor bytes for message {message_id}, which expects none.")
        pending.assembly.accept(tensor, chunk, payload)
        if pending.assembly.complete:
            self._finish(message_id)

    def _finish(self, message_id: int) -> None:
        with self._lock:
            pending = self._pending.pop(message_id, None)
        if pending is None:
            return
        if pending.assembly is not None and pending.message is not None:
            pending.message = {**pending.message, "result": _tensors.attach(pending.message["result"], pending.assembly.arrays())}
        pending.done.set()

    def _fail_all(self, error: WorkbenchError) -> None:
        if isinstance(error, ConnectionLost):
            self._lost = error
        with self._lock:
            failed = list(self._pending.values())
            self._pending.clear()
        for pending in failed:
            pending.error = error
            pending.done.set()

    # ------------------------------------------------------------------ calling

    @property
    def closed(self) -> bool:
        return self._lost is not None

    def on_event(self, listener: Callable[[str, Any], None]) -> Callable[[], None]:
        """Call ``listener(event, payload)`` for every event the core pushes (on the connection's thread)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def call(self, method: str, params: Optional[dict[str, Any]] = None, *, timeout: Optional[float] = None) -> Any:
        """One API call; numpy arrays in ``params`` travel as binary frames, tensors in the result come back as arrays."""
        if self._lost is not None:
            raise ConnectionLost(f"{method}: {self._lost.message}", "Connect again (Workbench.connect); jobs keep running in the core and can be reattached by id with wb.job(job_id).")
        json_params, arrays = _tensors.detach(params or {})
        pending = _Pending(method)
        with self._lock:
            message_id = self._next_id
            self._next_id += 1
            self._pending[message_id] = pending
        request: dict[str, Any] = {"id": message_id, "method": method, "params": json_params}
        if arrays:
            request["attachments"] = len(arrays)
        text = json.dumps(request, allow_nan=False)

        async def send() -> None:
            await self._ws.send(text)
            for frame in _tensors.frames(message_id, arrays):
                await self._ws.send(frame)

        try:
            asyncio.run_coroutine_threadsafe(send(), self._loop).result()
        except ConnectionClosed:
            pass  # the reader fails this call with the close code
        if not pending.done.wait(timeout):
            with self._lock:
                self._pending.pop(message_id, None)
            raise WorkbenchError("TIMEOUT", f"{method} got no answer within {timeout} s.", "The core keeps working on it; ask again, or wait longer (timeout=None).")
        if pending.error is not None:
            if isinstance(pending.error, ConnectionLost):
                raise ConnectionLost(f"{method}: {pending.error.message}", "Connect again (Workbench.connect); jobs keep running in the core and can be reattached by id with wb.job(job_id).")
            raise pending.error
        message = pending.message or {}
        if not message.get("ok"):
            raise WorkbenchError.from_api(message.get("error") or {"code": "UNKNOWN", "message": f"{method} failed without an error"})
        return message.get("result")

    def close(self) -> None:
        """Close the socket and stop its thread (calls in flight fail with ConnectionLost)."""
        if self._thread.is_alive():
            try:
                asyncio.run_coroutine_threadsafe(self._ws.close(), self._loop).result(timeout=5)
            except Exception:
                pass
        if self._lost is None:
            self._fail_all(ConnectionLost(f"The connection to the core at {self.url} was closed by this client."))
        self._stop_loop()

    def _stop_loop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
