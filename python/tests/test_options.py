"""Keyword arguments are the CLI's options in snake_case (main/cli/pythonOptions.test.ts checks the table
against the CLI and the job kinds; this checks the methods against the table and the conversions)."""

from __future__ import annotations

import inspect
import os

import pytest

from sae_workbench import Workbench, WorkbenchError
from sae_workbench._options import COMMANDS, api_params


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_method_takes_exactly_the_commands_options(command: str) -> None:
    # on= is the CLI's --on: where the job runs (jobs.add's target), not one of the job's parameters.
    # Only the kinds that may run on a cluster take it (test_crosscoder_and_targets.py checks where it goes).
    parameters = inspect.signature(getattr(Workbench, command)).parameters
    if "on" in parameters:
        assert parameters["on"].default is None
    assert set(parameters) - {"self", "progress", "on"} == set(COMMANDS[command]["options"])


def test_values_are_converted_as_the_cli_reads_them(tmp_path: object) -> None:
    params = api_params("ablate", {"model": "m", "sae": "/s", "features": "255, 3", "dataset": "d.jsonl", "draws": 4, "max_documents": 40, "device": None})
    assert params == {"model": os.path.abspath("m"), "sae": "/s", "features": [255, 3], "dataset": os.path.abspath("d.jsonl"), "drawsPerSeed": 4, "maxDocuments": 40}
    steer = api_params("steer", {"model": "/m", "sae": "/s", "feature": 7, "strength": 2, "dataset": "/d", "steer_at": "condition"})
    assert steer == {"panels": [{"model": "/m", "sae": "/s", "feature": 7, "strengths": [2.0]}], "dataset": "/d", "steerAt": "condition"}
    probe = api_params("probe", {"condition": "token-regex:^Step$", "dataset": "/d", "probe": ["model=/m,hook=blocks.2.hook_resid_post", {"model": "/m", "sae": "/s", "label": "latents"}]})
    assert probe["probes"] == [{"model": "/m", "source": "hook", "hook": "blocks.2.hook_resid_post"}, {"model": "/m", "source": "sae", "sae": "/s", "label": "latents"}]
    assert api_params("index", {"model": "/m", "sae": "/a,/b", "dataset": "/d", "top_n": 5}) == {"modelPath": "/m", "saePaths": ["/a", "/b"], "datasetPath": "/d", "topN": 5}
    assert api_params("train", {"model": "/m", "hook": "h1,h2", "dataset": "/d", "d_sae": 512, "lr_sweep": True})["hooks"] == ["h1", "h2"]


@pytest.mark.parametrize("command,arguments,named", [
    ("ablate", {"features": [1.5]}, "features"),
    ("ablate", {"max_documents": "ten"}, "max_documents"),
    ("train", {"loop": "yes"}, "loop"),
    ("probe", {"probe": "model=/m,layer=2"}, "probe"),
    ("steer", {"model": "/m", "panels": [{"model": "/m"}]}, "panels"),
])
def test_bad_values_name_their_keyword(command: str, arguments: dict[str, object], named: str) -> None:
    with pytest.raises(WorkbenchError) as err:
        api_params(command, arguments)
    assert err.value.code == "BAD_ARGUMENT" and named in err.value.message
