"""SAE Workbench from Python: a typed client of a running core (the app's ``serve`` or
``sae-workbench serve --headless``) that hands back numpy arrays and pandas DataFrames.

    from sae_workbench import Workbench
    with Workbench.connect() as wb:             # or Workbench.start(home=...)
        acts = wb.acts(model, "Step 1: Mix", hooks="blocks.2.hook_resid_post")
        table = wb.features(index_id)
        result = wb.ablate(model, sae, [255], dataset, metric="logit:quickly").result()
"""

from ._version import __version__
from .client import SparseFeatureActs, Workbench
from .errors import ConnectionLost, CoreNotRunning, JobCancelled, JobFailed, TensorError, TokenRejected, VersionMismatch, WorkbenchError
from .jobs import Job
from .safetensors_file import read_safetensors

__all__ = [
    "__version__",
    "Workbench",
    "Job",
    "SparseFeatureActs",
    "read_safetensors",
    "WorkbenchError",
    "CoreNotRunning",
    "TokenRejected",
    "VersionMismatch",
    "ConnectionLost",
    "TensorError",
    "JobFailed",
    "JobCancelled",
]
