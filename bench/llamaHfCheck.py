# Compares bench/llamaHfCheck.ts's engine outputs with transformers' LlamaForCausalLM in float64.
import json
import torch
from transformers import LlamaForCausalLM

DIR = 'bench-output/llama-hf-check'
ours = json.load(open(f'{DIR}/ours.json'))
for name, o in ours.items():
    model = LlamaForCausalLM.from_pretrained(f'{DIR}/{name}', torch_dtype=torch.float64, attn_implementation='eager').eval()
    for s, tokens in enumerate(o['tokens']):
        with torch.no_grad():
            r = model(torch.tensor([tokens]), output_hidden_states=True)
        def rel(ref, got):
            got = torch.tensor(got, dtype=torch.float64)
            ref = ref.reshape(-1)
            return float((ref - got).abs().max() / ref.abs().max())
        # hidden_states[1] is block 0's output (resid_post).
        print(f'{name} seq {s}: logits rel err {rel(r.logits[0], o["logits"][s]):.2e}, blocks.0.hook_resid_post rel err {rel(r.hidden_states[1][0], o["resid0"][s]):.2e}')
