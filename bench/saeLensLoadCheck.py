# Loads an SAE folder written by `sae-workbench train` with sae_lens itself and compares its encode
# and decode with ours (written by `sae-workbench encode`). Optional: needs torch + sae-lens >= 6.
#   npm run cli -- acts --model <model> --text "..." --hooks <hook> --out acts.safetensors
#   npm run cli -- encode --sae <run>/<hook> --in acts.safetensors --tensor <hook> --out enc.safetensors
#   python3 bench/saeLensLoadCheck.py <run>/<hook> acts.safetensors enc.safetensors <hook>
import sys

import torch
from safetensors.torch import load_file
from sae_lens import SAE

sae_dir, acts_file, enc_file, hook = sys.argv[1:5]
sae = SAE.load_from_disk(sae_dir, device='cpu')
x = load_file(acts_file)[hook]
ours = load_file(enc_file)
with torch.no_grad():
    acts = sae.encode(x)
    out = sae.decode(acts)


def rel(ref, got):
    return float((ref - got).abs().max() / ref.abs().max().clamp_min(1e-12))


print(f'{type(sae).__name__} {sae.cfg.architecture()} d_in {sae.cfg.d_in} d_sae {sae.cfg.d_sae}')
print(f'feature_acts rel err {rel(acts, ours["feature_acts"]):.2e}, same firing pattern: {bool(((acts > 0) == (ours["feature_acts"] > 0)).all())}')
print(f'sae_out rel err {rel(out, ours["sae_out"]):.2e}')
