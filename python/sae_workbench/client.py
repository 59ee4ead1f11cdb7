"""The Workbench: a typed client of a running SAE Workbench core (the same API as the app's views).

Names follow the app and the CLI: keyword arguments are the CLI options in snake_case
(``max_documents=`` for ``--max-documents``), a job's ``result()`` is what the CLI command prints
as JSON, tables are pandas DataFrames and tensors numpy arrays."""

from __future__ import annotations

import atexit
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np
import pandas as pd

from ._version import __version__
from ._connection import Connection
from ._core import CoreProcess, read_connection_file, resolve_home
from ._options import api_params
from ._tensors import float32_array
from .errors import VersionMismatch, WorkbenchError
from .jobs import Job

PathLike = Union[str, "os.PathLike[str]"]
Ints = Union[Sequence[int], np.ndarray, str]


@dataclass
class SparseFeatureActs:
    """feature_acts as its nonzero entries (COO, no scipy needed): ``indices`` int64 [2, nnz] holds
    (row, feature) pairs, ``values`` float32 [nnz]; ``shape`` is (rows, d_sae). ``torch.sparse_coo_tensor
    (indices, values, shape)`` and ``scipy.sparse.coo_array((values, indices), shape)`` take them as they are."""

    indices: np.ndarray
    values: np.ndarray
    shape: tuple[int, int]

    def to_dense(self) -> np.ndarray:
        dense = np.zeros(self.shape, dtype=np.float32)
        dense[self.indices[0], self.indices[1]] = self.values
        return dense


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _examples(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Feature examples as the CLI prints them (no view-only focus index), one row each."""
    columns = ["document", "position", "activation", "tokens", "activations"]
    return pd.DataFrame([{k: r[k] for k in columns} for r in rows], columns=columns)


class Workbench:
    """A connection to a core. Use ``Workbench.connect(home)`` for a running core (the app's
    ``serve``, or ``sae-workbench serve --headless``) or ``Workbench.start(home)`` to start a headless
    one that stops with this object; both work as context managers."""

    def __init__(self, connection: Connection, info: dict[str, Any], core: Optional[CoreProcess] = None) -> None:
        self._connection = connection
        self._info = info
        self._core = core
        self.home = Path(info["home"])
        if core is not None:
            atexit.register(self.close)

    # ------------------------------------------------------------------ connecting

    @classmethod
    def connect(cls, home: Optional[PathLike] = None, *, url: Optional[str] = None, token: Optional[str] = None, open_timeout: float = 10.0) -> "Workbench":
        """Connect to the core running on ``home`` (default: $WORKBENCH_HOME, else ~/.sae-workbench),
        found through its connection file ``<home>/connection.json``; or to ``url`` with ``token``.

        Raises CoreNotRunning (no core, or a stale file from a killed one), TokenRejected, or
        VersionMismatch (the core is another version than this client: both are named)."""
        if url is not None:
            if token is None:
                raise WorkbenchError("BAD_ARGUMENT", "connect(url=...) needs token=... as well.", "Or connect by home: Workbench.connect(home).")
            return cls._open(url, token, where=url)
        where = resolve_home(home)
        info = read_connection_file(where)
        return cls._open(info["url"], info["token"], where=f"data directory {where}")

    @classmethod
    def start(cls, home: Optional[PathLike] = None, *, command: Union[str, Sequence[str], None] = None, timeout: float = 120.0, env: Optional[dict[str, str]] = None) -> "Workbench":
        """Start a headless core (``sae-workbench serve --headless --home <home>``) and connect to it;
        ``close()`` (or leaving a ``with`` block, or the interpreter's exit) stops it.

        command: how to run sae-workbench (default: $SAE_WORKBENCH_CLI, ``sae-workbench`` on PATH, or
        ``node bin/sae-workbench.mjs`` of the checkout this package sits in), e.g. ``"npx sae-workbench"``."""
        core = CoreProcess(resolve_home(home), command, timeout, env)
        try:
            return cls._open(core.info["url"], core.info["token"], where=f"data directory {core.home}", core=core)
        except BaseException:
            core.stop()
            raise

    @classmethod
    def _open(cls, url: str, token: str, *, where: str, core: Optional[CoreProcess] = None) -> "Workbench":
        connection = Connection(url, token, where=where)
        try:
            info = connection.call("app.info")
            if info.get("version") != __version__:
                raise VersionMismatch(str(info.get("version")), __version__, where)
        except BaseException:
            connection.close()
            raise
        return cls(connection, info, core)

    def close(self) -> None:
        """Close the connection; a core started by ``start()`` is stopped (its running jobs checkpoint)."""
        self._connection.close()
        if self._core is not None:
            self._core.stop()
            self._core = None
            atexit.unregister(self.close)

    def __enter__(self) -> "Workbench":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Workbench {self._info.get('version')} on {self.home}{' (started here)' if self._core else ''}>"

    def _call(self, method: str, params: Optional[dict[str, Any]] = None, *, timeout: Optional[float] = None) -> Any:
        return self._connection.call(method, params, timeout=timeout)

    def info(self) -> dict[str, Any]:
        """The core's version, data directory, front door, Node version and platform."""
        return dict(self._call("app.info"))

    # ------------------------------------------------------------------ catalog

    def library(self, scan: bool = False) -> pd.DataFrame:
        """Every model, SAE, dataset and result file the Library knows: one row per item with its
        identity (the label the app shows), kind, path and, for SAEs, the model it is linked to and why.
        scan: rescan the HF cache and the added folders first (a library.scan job)."""
        if scan:
            Job(self, self._call("library.scan")).wait()
        rows = []
        for item in self._call("library.list")["items"]:
            sae = item.get("sae") or {}
            link = sae.get("link") or {}
            rows.append({
                "id": item["id"],
                "kind": item["kind"],
                "identity": item["identity"]["label"],
                "detail": item["identity"]["detail"],
                "path": item["path"],
                "linked_model": link.get("modelPath"),
                "link_reason": link.get("reason"),
                "hook_name": sae.get("hookName"),
                "d_sae": sae.get("dSae"),
                "problems": item.get("problems", []),
            })
        return pd.DataFrame(rows, columns=["id", "kind", "identity", "detail", "path", "linked_model", "link_reason", "hook_name", "d_sae", "problems"])

    def demo(self, timeout: Optional[float] = 600.0) -> dict[str, Any]:
        """The demo bundle in the core's data directory (generated on first use): paths of the
        'standard' and 'adhd' models, their SAEs, the dataset, and the planted feature and tokens."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            sources = self._call("experiments.sources")
            if sources.get("demo"):
                return dict(sources["demo"])
            job_id = sources.get("demoJobId")
            if job_id:
                job = Job(self, self._call("jobs.get", {"id": job_id})).wait(timeout=None if deadline is None else max(1.0, deadline - time.monotonic()))
                if job._view["state"] != "completed":
                    job.result()  # raises with the job's error
            if deadline is not None and time.monotonic() > deadline:
                raise WorkbenchError("TIMEOUT", "The demo bundle was not ready in time.")

    # ------------------------------------------------------------------ tensors

    def acts(self, model: PathLike, text: Union[str, Sequence[int], np.ndarray, None] = None, hooks: Union[str, Sequence[str], None] = None, logits: bool = False, *, tokens: Union[Sequence[int], np.ndarray, None] = None, device: Optional[str] = None) -> dict[str, np.ndarray]:
        """Hook activations of ``model`` on ``text`` (or token ids), exactly as ``sae-workbench acts --out``
        writes them: ``{hook: float32 [n_tokens, d], ..., "logits": float32 [n_tokens, d_vocab] (logits=True),
        "tokens": int64 [n_tokens]}``. Text gets the model's BOS; token ids are taken as they are.

        hooks: TransformerLens names, a list or "a,b"; device: auto, cpu, cuda or webgpu."""
        if text is not None and not isinstance(text, str):
            if tokens is not None:
                raise WorkbenchError("BAD_ARGUMENT", "acts: give text or tokens, not both.")
            text, tokens = None, text
        if (text is None) == (tokens is None):
            raise WorkbenchError("BAD_ARGUMENT", "acts: give one input, text='...' or tokens=[...].", "acts(model, 'Step 1: Mix', hooks='blocks.2.hook_resid_post').")
        params = api_params("acts", {"model": model, "text": text, "tokens": tokens, "hooks": hooks if hooks is not None else [], "logits": logits, "device": device})
        result = self._call("engine.acts", params)
        return dict(result["tensors"])

    def encode(self, sae: PathLike, acts: Any, *, sparse: bool = False, device: Optional[str] = None) -> dict[str, Any]:
        """SAE feature activations and reconstruction of ``acts`` (float32 [n, d_in], or [..., d_in]),
        as ``sae-workbench encode`` writes them: ``{"feature_acts": [n, d_sae], "sae_out": [n, d_in]}``;
        with sparse=True, feature_acts is a SparseFeatureActs (indices/values, no dense matrix sent).
        Floating arrays are converted to float32; other dtypes and a wrong width are refused by name."""
        x = float32_array(acts, "acts")
        result = self._call("engine.encode", {"sae": os.path.abspath(os.fspath(sae)), "acts": x, "format": "sparse" if sparse else "dense", **({"device": device} if device else {})})
        if sparse:
            s = result["feature_acts_sparse"]
            feature_acts: Any = SparseFeatureActs(s["indices"], s["values"], (int(result["shape"][0]), int(result["shape"][1])))
        else:
            feature_acts = result["feature_acts"]
        return {"feature_acts": feature_acts, "sae_out": result["sae_out"]}

    # ------------------------------------------------------------------ indexes

    def indexes(self) -> pd.DataFrame:
        """Every feature index (model x SAE x dataset): id, state, labels, hook, d_sae, size, staleness."""
        rows = []
        for i in self._call("index.list"):
            summary = i.get("summary") or {}
            rows.append({
                "id": i["id"], "state": i["state"], "model": i["labels"]["model"], "sae": i["labels"]["sae"], "dataset": i["labels"]["dataset"],
                "hook_name": i["hookName"], "layer": i["layer"], "d_sae": i["dSae"], "tokens": summary.get("tokens"), "documents": summary.get("documents"),
                "model_path": i["modelPath"], "sae_path": i["saePath"], "dataset_path": i["datasetPath"], "corpus_id": i["corpusId"],
                "stale": i["stale"], "job_id": i["jobId"], "error": (i.get("error") or {}).get("message"),
            })
        return pd.DataFrame(rows, columns=["id", "state", "model", "sae", "dataset", "hook_name", "layer", "d_sae", "tokens", "documents", "model_path", "sae_path", "dataset_path", "corpus_id", "stale", "job_id", "error"])

    def features(self, index: str) -> pd.DataFrame:
        """One row per feature of an index: feature, fire_count, density, max, mean, label and note
        (the user's, None where unset), as ``index export``'s feature_stats.parquet holds them."""
        listing = self._call("index.features", {"id": index})
        n = len(listing["fireCount"])
        frame = pd.DataFrame({
            "feature": np.arange(n, dtype=np.int64),
            "fire_count": np.asarray(listing["fireCount"], dtype=np.int64),
            "density": np.asarray(listing["density"], dtype=np.float64),
            "max": np.asarray(listing["max"], dtype=np.float64),
            "mean": np.asarray(listing["mean"], dtype=np.float64),
        })
        # Labels are keyed by the SAE's weights (label.list resolves the index to its SAE).
        stored = {row["feature"]: row for row in self._call("label.list", {"index": index})["labels"]}
        frame["label"] = pd.Series([stored.get(f, {}).get("label") for f in range(n)], dtype=object)
        frame["note"] = pd.Series([stored.get(f, {}).get("note") for f in range(n)], dtype=object)
        return frame

    def feature(self, index: str, feature: int) -> dict[str, Any]:
        """One feature's page, as ``sae-workbench feature --json`` prints it (index, feature, hook_name,
        fire_count, tokens, density, max, mean, decoder_norm, intervals, histogram, logits, similar,
        correlated), with the top examples (and each interval's examples) as DataFrames."""
        detail = self._call("index.feature", {"id": index, "feature": int(feature)})
        out: dict[str, Any] = {}
        for key, value in detail.items():
            if key in ("labels", "dSae"):
                continue
            name = {"indexId": "index"}.get(key, _snake(key))
            if key == "top":
                value = _examples(value)
            elif key == "intervals":
                value = [{**{k: v for k, v in iv.items() if k != "examples"}, "examples": _examples(iv["examples"])} for iv in value]
            elif key == "logits" and value is None:
                value = {"positive": [], "negative": []}
            out[name] = value
        # The user's label and note, as `feature --json` prints them (keyed by the SAE's weights).
        stored = self._call("label.get", {"index": index, "feature": int(feature)})
        out["label"] = stored["label"] if stored else None
        out["note"] = stored["note"] if stored else None
        return out

    def activations(self, index: str, features: Optional[Ints] = None, documents: Optional[Ints] = None, *, max_rows: Optional[int] = None) -> pd.DataFrame:
        """Every fired latent of an index's sparse store as a long table (document, position, feature,
        activation), in store order, optionally only some features and documents: the rows of
        ``index export``'s activations.parquet. Refused (not cut) above max_rows (default 20 million)."""
        params: dict[str, Any] = {"id": index}
        if features is not None:
            params["features"] = [int(f) for f in (features.split(",") if isinstance(features, str) else features)]
        if documents is not None:
            params["documents"] = [int(d) for d in (documents.split(",") if isinstance(documents, str) else documents)]
        if max_rows is not None:
            params["maxRows"] = int(max_rows)
        r = self._call("index.activations", params)
        return pd.DataFrame({"document": r["document"], "position": r["position"], "feature": r["feature"], "activation": r["activation"]})

    def index(self, model: PathLike, sae: Union[PathLike, Sequence[PathLike]], dataset: PathLike, *, max_tokens: Optional[int] = None, max_documents: Optional[int] = None, context_size: Optional[int] = None, top_n: Optional[int] = None, text_column: Optional[str] = None, device: Optional[str] = None, on: Optional[str] = None) -> Job:
        """Queue an index build (``sae-workbench index``): SAE activations of a model over a dataset.
        ``on``: a cluster profile's name (``sae-workbench cluster list``) to run it there.
        Its result() is {"index_ids", "tokens", "documents", "skipped_rows", "tokens_per_s", "db_bytes"}."""
        args = _args(locals(), "on")
        if isinstance(sae, (str, os.PathLike)):
            args["sae"] = [sae]
        if on is not None:
            return self._queue("index", args, on=on)
        return Job(self, self._call("index.build", api_params("index", args)))

    # ------------------------------------------------------------------ compare

    def match(self, a: str, b: str, method: Optional[str] = None, *, device: Optional[str] = None, progress: bool = False) -> pd.DataFrame:
        """Match every feature of index ``b`` to index ``a`` (``sae-workbench match``; method auto,
        activation or decoder): one row per feature of b with match, match_score, runner_up,
        runner_up_score and its one-to-one partner (assigned). attrs: method, job_id."""
        job = Job(self, self._call("compare.match", api_params("match", _args(locals()))))
        out = job.wait(progress=progress).result()
        frame = pd.DataFrame(out["features"], columns=["feature", "match", "match_score", "runner_up", "runner_up_score", "assigned"])
        frame.attrs.update({"method": out["method"], "job_id": job.id})
        return frame

    def diff(self, a: str, b: str, condition: str, *, match: Optional[str] = None, min_rate: Optional[float] = None, threshold: Optional[float] = None, floor: Optional[float] = None, device: Optional[str] = None, progress: bool = False) -> pd.DataFrame:
        """Condition diff (``sae-workbench diff``): B's features ranked by how much more often they fire
        at the condition (e.g. 'named:step-onset', 'token-regex:^Step$') than their match in A. One row
        per feature (rate_b, rate_b_elsewhere, mean_b, match, match_score, rate_a_match, asymmetry, why);
        attrs hold the rest of ``diff --json`` (condition, n_condition_tokens, match_method, floor,
        min_rate, threshold, sentence, a, b) and job_id."""
        job = Job(self, self._call("compare.diff", api_params("diff", _args(locals()))))
        out = job.wait(progress=progress).result()
        frame = pd.DataFrame(out["features"], columns=["feature", "rate_b", "rate_b_elsewhere", "mean_b", "match", "match_score", "rate_a_match", "asymmetry", "why"])
        frame.attrs.update({k: v for k, v in out.items() if k != "features"})
        frame.attrs["job_id"] = job.id
        return frame

    # ------------------------------------------------------------------ experiments and training

    def ablate(self, model: PathLike, sae: PathLike, features: Ints, dataset: PathLike, *, max_documents: Optional[int] = None, mode: Optional[str] = None, metric: Optional[str] = None, condition: Optional[str] = None, seeds: Optional[int] = None, draws: Optional[int] = None, null_seed: Optional[int] = None, margin: Optional[float] = None, context_size: Optional[int] = None, text_column: Optional[str] = None, device: Optional[str] = None, on: Optional[str] = None) -> Job:
        """Queue an ablation with seeded, density-matched nulls (``sae-workbench ablate``). Its result()
        is {"metric", "clean", "ablated", "effect", "null": {"seeds", "mean", "sem", "draws"}, "z", "p_value", ["margin", "within_margin",] "verdict"}."""
        return self._queue("ablate", _args(locals(), "on"), on=on)

    def steer(self, model: Optional[PathLike] = None, sae: Optional[PathLike] = None, feature: Optional[int] = None, dataset: Optional[PathLike] = None, *, sae_model: Optional[PathLike] = None, intervention: Optional[str] = None, strength: Union[float, Sequence[float], None] = None, panels: Optional[Sequence[dict[str, Any]]] = None, steer_at: Optional[str] = None, metric: Optional[str] = None, condition: Optional[str] = None, seeds: Optional[int] = None, draws: Optional[int] = None, null_seed: Optional[int] = None, margin: Optional[float] = None, max_documents: Optional[int] = None, context_size: Optional[int] = None, text_column: Optional[str] = None, device: Optional[str] = None, prompt: Optional[str] = None, max_new_tokens: Optional[int] = None, temperature: Optional[float] = None, sample_seed: Optional[int] = None, on: Optional[str] = None) -> Job:
        """Queue steering along an SAE feature (``sae-workbench steer``), or up to four ``panels``
        (the job kind's panel fields). Its result() is {"metric", "panels": [{"label", "clean", "points", "generation"}]}."""
        return self._queue("steer", _args(locals(), "on"), on=on)

    def swap(self, model_a: PathLike, model_b: PathLike, dataset: PathLike, *, mode: Optional[str] = None, hook: Optional[str] = None, sae: Optional[PathLike] = None, features: Optional[Ints] = None, metric: Optional[str] = None, condition: Optional[str] = None, seeds: Optional[int] = None, draws: Optional[int] = None, null_seed: Optional[int] = None, margin: Optional[float] = None, max_documents: Optional[int] = None, context_size: Optional[int] = None, text_column: Optional[str] = None, device: Optional[str] = None, on: Optional[str] = None) -> Job:
        """Queue a layer or latent swap (``sae-workbench swap``). Its result() is
        {"metric", "a", "b", "swapped", "effect", "gap_fraction", "null", "z", "verdict"}."""
        return self._queue("swap", _args(locals(), "on"), on=on)

    def probe(self, condition: str, dataset: PathLike, probe: Union[str, dict[str, Any], Sequence[Union[str, dict[str, Any]]]], *, test_fraction: Optional[float] = None, split_seed: Optional[int] = None, l2: Optional[float] = None, max_documents: Optional[int] = None, context_size: Optional[int] = None, text_column: Optional[str] = None, device: Optional[str] = None, on: Optional[str] = None) -> Job:
        """Queue logistic-regression probes for a token condition (``sae-workbench probe``); each probe
        is "model=<dir>,hook=<hook>" / "model=<dir>,sae=<dir>" (as --probe) or a dict with those keys.
        Its result() is {"condition", "probes": [{"label", "source", "hook", "accuracy", "auroc", "baseline", ...}]}."""
        return self._queue("probe", _args(locals(), "on"), on=on)

    def train(self, model: PathLike, hook: Union[str, Sequence[str]], dataset: PathLike, *, k: Optional[int] = None, d_sae: Optional[int] = None, tokens: Optional[int] = None, out: Optional[PathLike] = None, batch_size: Optional[int] = None, lr: Optional[float] = None, device: Optional[str] = None, arch: Optional[str] = None, normalize_activations: Optional[str] = None, b_dec_init: Optional[str] = None, loop: Optional[bool] = None, lr_sweep: Optional[bool] = None, eval_tokens: Optional[int] = None, context_size: Optional[int] = None, seed: Optional[int] = None, checkpoint_every: Optional[int] = None, cache: Optional[bool] = None, overwrite: Optional[bool] = None, text_column: Optional[str] = None, on: Optional[str] = None) -> Job:
        """Queue SAE training (``sae-workbench train``). Unset options take the CLI's defaults (lr by
        shape, ``normalize_activations="expected_average_only_in"``, ``b_dec_init="geometric_median"``).
        Its result() is {"fve", "l0", "dead_pct", "duplicate_pct", "dense_pct", "ce_loss_score",
        "kl_score", "tokens_per_s", "out"} (several hooks: under "saes")."""
        return self._queue("train", _args(locals(), "on"), on=on)

    def eval(self, model: PathLike, sae: PathLike, dataset: PathLike, *, tokens: Optional[int] = None, context_size: Optional[int] = None, text_column: Optional[str] = None, device: Optional[str] = None, on: Optional[str] = None) -> Job:
        """Queue an SAE evaluation (``sae-workbench eval``): held-out FVE, L0, dead %, duplicates %, dense %, L2 ratio, CE-loss and KL scores, gates."""
        return self._queue("eval", _args(locals(), "on"), on=on)

    def crosscoder(self, model_a: PathLike, model_b: PathLike, hook: Union[str, Sequence[str]], dataset: PathLike, *, k: Optional[int] = None, d_sae: Optional[int] = None, tokens: Optional[int] = None, out: Optional[PathLike] = None, batch_size: Optional[int] = None, lr: Optional[float] = None, device: Optional[str] = None, loop: Optional[bool] = None, lr_sweep: Optional[bool] = None, eval_tokens: Optional[int] = None, norm_tokens: Optional[int] = None, context_size: Optional[int] = None, seed: Optional[int] = None, checkpoint_every: Optional[int] = None, overwrite: Optional[bool] = None, text_column: Optional[str] = None, on: Optional[str] = None) -> Job:
        """Queue a BatchTopK crosscoder over two models' paired activations (``sae-workbench
        crosscoder``). ``hook``: one name for both models, or (hook_a, hook_b). Its result() is
        {"fve_a", "fve_b", "l0", "dead_pct", "n_a_only", "n_shared", "n_b_only", "tokens_per_s", "out", ...}."""
        args = _args(locals(), "on")
        hooks = [hook] if isinstance(hook, str) else list(hook)
        if not 1 <= len(hooks) <= 2:
            raise ValueError(f"hook: one name, or one per model (A, B); got {len(hooks)}")
        args["hook"] = hooks[0]
        params = api_params("crosscoder", args)
        if len(hooks) == 2:
            params["hookB"] = str(hooks[1])
        return self._add("train.crosscoder", params, on=on)

    def queue(self, kind: str, params: dict[str, Any], *, priority: Optional[int] = None, on: Optional[str] = None) -> Job:
        """Queue any job kind with its parameters as the kind's schema names them: the CLI's
        ``jobs add <kind> --params JSON`` (``sae-workbench jobs kinds`` lists kinds and parameters).
        ``on``: a cluster profile's name to run it there (the CLI's ``--on``)."""
        return self._add(kind, params, priority=priority, on=on)

    def _queue(self, command: str, arguments: dict[str, Any], *, on: Optional[str] = None) -> Job:
        from ._options import COMMANDS

        return self._add(COMMANDS[command]["kind"], api_params(command, arguments), on=on)

    def _add(self, kind: str, params: dict[str, Any], *, priority: Optional[int] = None, on: Optional[str] = None) -> Job:
        request: dict[str, Any] = {"kind": kind, "params": params}
        if priority is not None:
            request["priority"] = int(priority)
        if on is not None:
            request["target"] = str(on)
        return Job(self, self._call("jobs.add", request))

    # ------------------------------------------------------------------ the queue

    def jobs(self) -> pd.DataFrame:
        """The Queue: one row per job (id, kind, title, state, progress, times, error)."""
        rows = [
            {
                "id": j["id"], "kind": j["kind"], "title": j["title"], "state": j["state"], "progress": j["progress"], "message": j["progressMessage"],
                "created_at": pd.to_datetime(j["createdAt"], unit="ms"), "finished_at": pd.to_datetime(j["finishedAt"], unit="ms") if j["finishedAt"] else None,
                "error": (j.get("error") or {}).get("code"),
            }
            for j in self._call("jobs.list")
        ]
        return pd.DataFrame(rows, columns=["id", "kind", "title", "state", "progress", "message", "created_at", "finished_at", "error"])

    def job(self, job_id: str) -> Job:
        """A job by id (e.g. to reattach after a lost connection): JOB_NOT_FOUND when there is none."""
        return Job(self, self._call("jobs.get", {"id": job_id}))


def _args(local_vars: dict[str, Any], *leave_out: str) -> dict[str, Any]:
    """A method's keyword arguments (its locals minus self, progress and what the caller handles)."""
    return {k: v for k, v in local_vars.items() if k not in ("self", "progress", *leave_out)}
