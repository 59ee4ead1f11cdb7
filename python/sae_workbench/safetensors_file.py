"""Read a .safetensors file (what `sae-workbench acts --out` and `encode --out` write) into numpy
arrays, without the safetensors package."""

from __future__ import annotations

import json
import os
import struct
from typing import Union

import numpy as np

from .errors import WorkbenchError

_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "?"}


def read_safetensors(path: Union[str, "os.PathLike[str]"]) -> dict[str, np.ndarray]:
    """Every tensor of the file by name, in the file's order (BF16 is not supported: numpy has no such dtype)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise WorkbenchError("SAFETENSORS_INVALID", f"{path} is too short to be a safetensors file.")
    (n,) = struct.unpack_from("<Q", data)
    try:
        header = json.loads(data[8 : 8 + n])
    except ValueError as err:
        raise WorkbenchError("SAFETENSORS_INVALID", f"{path}: the header is not JSON ({err}).") from None
    body = memoryview(data)[8 + n :]
    out: dict[str, np.ndarray] = {}
    for name, entry in sorted(((k, v) for k, v in header.items() if k != "__metadata__"), key=lambda kv: kv[1]["data_offsets"][0]):
        if entry["dtype"] not in _DTYPES:
            raise WorkbenchError("SAFETENSORS_DTYPE", f"{path}: tensor {name!r} has dtype {entry['dtype']}, which numpy cannot hold.")
        start, end = entry["data_offsets"]
        out[name] = np.frombuffer(body[start:end], dtype=_DTYPES[entry["dtype"]]).reshape(entry["shape"]).copy()
    return out
