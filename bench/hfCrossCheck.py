# Compares our engine's outputs (written by bench/neoxHfCheck.ts or bench/llamaHfCheck.ts) with
# Hugging Face transformers' own model class in float64. Optional: needs torch + transformers.
#   python3 bench/hfCrossCheck.py bench-output/neox-hf-check
import json
import sys

import torch
from transformers import AutoModelForCausalLM

DIR = sys.argv[1]
ours = json.load(open(f'{DIR}/ours.json'))


def rel(ref, got):
    got = torch.tensor(got, dtype=torch.float64)
    ref = ref.reshape(-1)
    return float((ref - got).abs().max() / ref.abs().max())


for name, o in ours.items():
    model = AutoModelForCausalLM.from_pretrained(f'{DIR}/{name}', torch_dtype=torch.float64, attn_implementation='eager').eval()
    for s, tokens in enumerate(o['tokens']):
        with torch.no_grad():
            r = model(torch.tensor([tokens]), output_hidden_states=True)
        # hidden_states[1] is block 0's output: TransformerLens' blocks.0.hook_resid_post.
        print(f'{name} ({type(model).__name__}) seq {s}: logits rel err {rel(r.logits[0], o["logits"][s]):.2e}, '
              f'blocks.0.hook_resid_post rel err {rel(r.hidden_states[1][0], o["resid0"][s]):.2e}')
