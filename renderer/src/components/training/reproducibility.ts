/**
 * What a training run promises about its repeat (README, "Reproducible runs"): on CPU the same
 * seed, data and settings on the same machine give byte-identical SAEs, paused, crashed or not;
 * on a GPU execution provider they do not (its kernels are not all order-fixed).
 */
export interface Reproducibility {
  /** 'exact': bit for bit; 'not-exact': a GPU provider ran or may run. */
  kind: 'exact' | 'not-exact';
  text: string;
}

const GPU_WHY =
  'GPU kernels are not all deterministic: onnxruntime is asked for its deterministic ones (CUDA reductions without atomics, WebGPU MatMul without split-K), but kernels and their order of summation vary with the GPU, its driver and the scheduling, and no GPU run is checked bit for bit.';

/**
 * `ran`: the execution provider of the train step once the run finished (else null);
 * `device`: the device the run asked for.
 */
export function reproducibilityNote(ran: string | null, device: string): Reproducibility {
  const ep = (ran ?? device).toLowerCase();
  if (ep === 'cpu') {
    return { kind: 'exact', text: 'Reproducible bit for bit: on this machine, the same seed, data and settings on CPU give byte-identical SAEs (any thread count), and a pause, crash or kill -9 followed by a resume ends with the same SAEs as an unbroken run.' };
  }
  if (ran === null) {
    return { kind: 'not-exact', text: `Device ${device}: if this run trains on a GPU provider (CUDA or WebGPU), a repeat or a resumed run comes close but is not promised bit for bit; on CPU (also the fallback) it is. ${GPU_WHY}` };
  }
  return { kind: 'not-exact', text: `Not bit-reproducible: this run trains on ${ep.toUpperCase()}. A repeat or a resumed run comes close but is not promised bit for bit. ${GPU_WHY} Train on CPU when you need byte-identical SAEs.` };
}
