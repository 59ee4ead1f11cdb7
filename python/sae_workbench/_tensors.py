"""Tensors on the wire (the core's preload/contract/tensors.ts): a JSON message holds placeholders
``{"$tensor": k, "dtype": "F32", "shape": [...]}`` and ``"attachments": N``; tensor k's raw
little-endian bytes follow in binary frames of at most ``CHUNK_BYTES``, each starting with a 16-byte
header of little-endian u32s: magic ``SWT1``, message id, k, chunk index. Never JSON number lists."""

from __future__ import annotations

import struct
from typing import Any, Iterator, Sequence

import numpy as np

from .errors import TensorError, WorkbenchError

MAGIC = 0x31545753  # "SWT1" as a little-endian u32
HEADER = struct.Struct("<IIII")
CHUNK_BYTES = 4 * 1024 * 1024
MAX_TENSORS_PER_MESSAGE = 64
MAX_UPLOAD_BYTES = 1024 * 1024 * 1024
MAX_DIMS = 8

WIRE_DTYPES: dict[str, np.dtype] = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I32": np.dtype("<i4"), "I64": np.dtype("<i8")}
_NAME_OF = {v: k for k, v in WIRE_DTYPES.items()}


def _wire_name(a: np.ndarray) -> str:
    name = _NAME_OF.get(a.dtype.newbyteorder("<") if a.dtype.byteorder == ">" else a.dtype)
    if name is None:
        raise TensorError("TENSOR_DTYPE", f"An array of dtype {a.dtype} cannot be sent; the wire carries float32, float64, int32 and int64.")
    return name


def detach(value: Any) -> tuple[Any, list[np.ndarray]]:
    """Replace every numpy array in ``value`` by its placeholder; the arrays (little-endian, contiguous) in order."""
    arrays: list[np.ndarray] = []

    def walk(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            name = _wire_name(v)
            a = np.ascontiguousarray(v, dtype=WIRE_DTYPES[name])
            arrays.append(a)
            return {"$tensor": len(arrays) - 1, "dtype": name, "shape": list(a.shape)}
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [walk(x) for x in v]
        return v

    out = walk(value)
    if len(arrays) > MAX_TENSORS_PER_MESSAGE:
        raise TensorError("TENSOR_COUNT", f"A request may carry at most {MAX_TENSORS_PER_MESSAGE} arrays; this one has {len(arrays)}.")
    total = sum(a.nbytes for a in arrays)
    if total > MAX_UPLOAD_BYTES:
        raise TensorError("TENSOR_TOO_LARGE", f"The arrays of this request are {total} bytes; the core takes at most {MAX_UPLOAD_BYTES} bytes at once.", "Send the rows in batches.")
    return out, arrays


def frames(message_id: int, arrays: Sequence[np.ndarray]) -> Iterator[bytes]:
    """The binary frames that carry a message's arrays, in order."""
    for k, a in enumerate(arrays):
        data = memoryview(a).cast("B")
        for chunk, at in enumerate(range(0, len(data), CHUNK_BYTES)):
            yield HEADER.pack(MAGIC, message_id, k, chunk) + bytes(data[at : at + CHUNK_BYTES])


def _placeholders(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if "$tensor" in value:
            yield value
            return
        for x in value.values():
            yield from _placeholders(x)
    elif isinstance(value, list):
        for x in value:
            yield from _placeholders(x)


class Assembly:
    """A response's tensors arriving in frames; complete when every byte announced is there."""

    def __init__(self, result: Any, count: int) -> None:
        specs: list[tuple[np.dtype, tuple[int, ...]] | None] = [None] * count
        for p in _placeholders(result):
            k = p.get("$tensor")
            if not isinstance(k, int) or not 0 <= k < count or p.get("dtype") not in WIRE_DTYPES or specs[k] is not None:
                raise WorkbenchError("PROTOCOL_ERROR", f"The core sent a malformed tensor placeholder {p!r}.")
            specs[k] = (WIRE_DTYPES[p["dtype"]], tuple(int(d) for d in p["shape"]))
        if any(s is None for s in specs):
            raise WorkbenchError("PROTOCOL_ERROR", f"The core announced {count} tensors but placed fewer.")
        self.specs = [s for s in specs if s is not None]
        self.buffers = [bytearray(int(np.prod(shape, dtype=np.int64)) * dtype.itemsize) for dtype, shape in self.specs]
        self.received = [0] * count
        self.next_chunk = [0] * count
        self.pending = sum(1 for b in self.buffers if len(b) > 0)

    @property
    def complete(self) -> bool:
        return self.pending == 0

    def accept(self, tensor: int, chunk: int, payload: memoryview) -> None:
        if not 0 <= tensor < len(self.specs) or chunk != self.next_chunk[tensor]:
            raise WorkbenchError("PROTOCOL_ERROR", f"The core sent tensor {tensor} chunk {chunk} out of order.")
        at = self.received[tensor]
        buf = self.buffers[tensor]
        if at + len(payload) > len(buf):
            raise WorkbenchError("PROTOCOL_ERROR", f"The core sent more bytes for tensor {tensor} than its shape holds.")
        buf[at : at + len(payload)] = payload
        self.received[tensor] = at + len(payload)
        self.next_chunk[tensor] += 1
        if self.received[tensor] == len(buf) and len(payload) > 0:
            self.pending -= 1

    def arrays(self) -> list[np.ndarray]:
        # Arrays over the received bytearrays: writable, native little-endian.
        return [np.frombuffer(buf, dtype=dtype).reshape(shape) for buf, (dtype, shape) in zip(self.buffers, self.specs)]


def attach(value: Any, arrays: Sequence[np.ndarray]) -> Any:
    """Put received arrays where their placeholders are."""
    if isinstance(value, dict):
        if "$tensor" in value:
            return arrays[value["$tensor"]]
        return {k: attach(x, arrays) for k, x in value.items()}
    if isinstance(value, list):
        return [attach(x, arrays) for x in value]
    return value


def parse_header(frame: bytes) -> tuple[int, int, int, memoryview]:
    if len(frame) < HEADER.size:
        raise WorkbenchError("PROTOCOL_ERROR", "The core sent a binary frame without a tensor header.")
    magic, message_id, tensor, chunk = HEADER.unpack_from(frame)
    if magic != MAGIC:
        raise WorkbenchError("PROTOCOL_ERROR", "The core sent a binary frame with a foreign header.")
    return message_id, tensor, chunk, memoryview(frame)[HEADER.size :]


# ------------------------------------------------------------------ what users pass in


def float32_array(x: Any, name: str) -> np.ndarray:
    """Activations as float32 [..., d]: floating arrays are converted, anything else is refused by name."""
    a = np.asarray(x)
    if a.dtype.kind != "f":
        raise TensorError("TENSOR_DTYPE", f"{name} has dtype {a.dtype}; activations must be floating point (float32; float16 and float64 are converted).", f"Pass {name}.astype('float32') if the values really are activations.")
    if a.ndim < 1:
        raise TensorError("TENSOR_SHAPE", f"{name} is a scalar; activations are shaped [n, d_in] (or [..., d_in]).")
    return np.ascontiguousarray(a, dtype="<f4")


def token_array(x: Any, name: str = "tokens") -> np.ndarray:
    """Token ids as int64 [n_tokens]."""
    a = np.asarray(x)
    if a.dtype.kind not in "iu" or a.dtype == np.uint64:
        raise TensorError("TENSOR_DTYPE", f"{name} has dtype {a.dtype}; token ids are integers.", "Pass a list or an integer array of token ids.")
    if a.ndim != 1:
        raise TensorError("TENSOR_SHAPE", f"{name} has shape {tuple(a.shape)}; token ids are one sequence, shape [n_tokens].", f"For a batch of one, pass {name}[0].")
    if a.size == 0:
        raise TensorError("TENSOR_SHAPE", f"{name} is empty; give at least one token id.")
    if (a < 0).any():
        raise TensorError("TENSOR_VALUE", f"{name} holds a negative id ({int(a.min())}); token ids are non-negative.")
    return np.ascontiguousarray(a, dtype="<i8")
