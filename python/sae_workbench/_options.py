"""Keyword arguments -> API parameters, by the table in cli_options.json (the CLI's option names in
snake_case, mapped to the fields of the job kind's parameter schema)."""

from __future__ import annotations

import json
import os
from importlib import resources
from typing import Any, Mapping

import numpy as np

from ._tensors import token_array
from .errors import WorkbenchError

COMMANDS: dict[str, Any] = json.loads(resources.files(__package__).joinpath("cli_options.json").read_text(encoding="utf-8"))["commands"]


def _bad(command: str, option: str, value: Any, what: str) -> WorkbenchError:
    return WorkbenchError("BAD_ARGUMENT", f"{command}({option}=...): {value!r} is not {what}.", f"See help(Workbench.{command}).")


def _path(value: Any) -> str:
    # As on the command line, a relative path is taken from this process's working directory.
    return os.path.abspath(os.path.expanduser(os.fspath(value)))


def _items(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [s.strip() for s in value.split(",")]
    if isinstance(value, np.ndarray):
        return value.tolist()
    return list(value)


def _probe_spec(command: str, spec: Any) -> dict[str, Any]:
    """`model=<dir>,hook=<h>[,label=..]` (the CLI's --probe) or a dict with those keys -> a probe of the kind's schema."""
    if isinstance(spec, str):
        fields: dict[str, str] = {}
        for part in spec.split(","):
            key, eq, value = part.partition("=")
            if not eq or key.strip() not in ("model", "hook", "sae", "label"):
                raise _bad(command, "probe", spec, "model=<dir>,hook=<hook> or model=<dir>,sae=<dir> (label=<text> optional)")
            fields[key.strip()] = value.strip()
        spec = fields
    if not isinstance(spec, Mapping) or "model" not in spec or ("hook" in spec) == ("sae" in spec):
        raise _bad(command, "probe", spec, "a probe naming a model and either a hook or an SAE")
    out: dict[str, Any] = {"model": _path(spec["model"]), "source": "sae" if "sae" in spec else "hook"}
    if "sae" in spec:
        out["sae"] = _path(spec["sae"])
    if "hook" in spec:
        out["hook"] = spec["hook"]
    if spec.get("label") is not None:
        out["label"] = spec["label"]
    return out


def _convert(command: str, option: str, kind: str, value: Any) -> Any:
    try:
        if kind == "path":
            return _path(value)
        if kind == "paths":
            return [_path(v) for v in _items(value)]
        if kind == "str":
            if not isinstance(value, str):
                raise TypeError
            return value
        if kind == "strs":
            return [str(v) for v in _items(value)]
        if kind == "bool":
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError
            return bool(value)
        if kind == "int":
            if isinstance(value, (bool, np.bool_)) or int(value) != value:
                raise TypeError
            return int(value)
        if kind == "float":
            if isinstance(value, (bool, np.bool_)):
                raise TypeError
            return float(value)
        if kind == "ints":
            items = _items([value] if isinstance(value, (int, np.integer)) else value)
            if any(isinstance(v, (bool, np.bool_)) or int(v) != float(v) for v in items):
                raise TypeError
            return [int(v) for v in items]
        if kind == "floats":
            items = _items([value] if isinstance(value, (int, float, np.number)) else value)
            return [float(v) for v in items]
        if kind == "tokens":
            return token_array(value, option)
        if kind == "panels":
            return [{k: (_path(v) if k in ("model", "sae", "saeModel") else v) for k, v in dict(p).items()} for p in value]
        if kind == "probes":
            specs = [value] if isinstance(value, (str, Mapping)) else list(value)
            return [_probe_spec(command, s) for s in specs]
    except WorkbenchError:
        raise
    except (TypeError, ValueError):
        raise _bad(command, option, value, {"ints": "a list of integers (or 'a,b,c')", "floats": "a number or a list of numbers", "int": "an integer", "float": "a number", "bool": "True or False", "str": "a string"}.get(kind, f"a {kind}")) from None
    raise AssertionError(f"unknown option type {kind}")


def api_params(command: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The API parameters for a command's keyword arguments (None: left to the core's default)."""
    table = COMMANDS[command]["options"]
    params: dict[str, Any] = {}
    panel: dict[str, Any] = {}
    for option, value in arguments.items():
        if value is None:
            continue
        field, kind = table[option]
        converted = _convert(command, option, kind, value)
        if field.startswith("panel."):
            panel[field[len("panel.") :]] = converted
        else:
            params[field] = converted
    if panel:
        if "panels" in params:
            raise WorkbenchError("BAD_ARGUMENT", f"{command}: give either panels=[...] or model/sae/feature, not both.", "panels takes the job kind's panel fields: [{'model': ..., 'sae': ..., 'feature': 3}].")
        params["panels"] = [panel]
    return params
