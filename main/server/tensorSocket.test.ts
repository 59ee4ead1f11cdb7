import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Tensor } from '../../preload/api';
import { computeHookActivations } from '../activations/hookActivations';
import { encodeActivations } from '../activations/saeEncoding';
import { createCore, type Core } from '../api/core';
import { writeLoaderFixture, type LoaderFixture } from '../testing/loaderAbuse';
import { makeTempDir } from '../testing/tempDirs';
import { startBrowserServer, type BrowserServer } from './server';
import { TensorAssembly, announcedTensors, attachTensors, detachTensors, parseFrame, tensorFrames } from './tensorFrames';

const tmp = makeTempDir('tensor-socket');
let fx: LoaderFixture;
let core: Core;
let server: BrowserServer;
beforeAll(async () => {
  fx = writeLoaderFixture(path.join(tmp.dir, 'fx'));
  core = createCore({ home: path.join(tmp.dir, 'home'), frontDoor: 'test' });
  server = await startBrowserServer({ core, staticDir: null, port: 0 });
});
afterAll(async () => {
  await server?.close();
  await core?.close();
  tmp.cleanup();
});

/** A client that speaks the tensor wire format (contract/tensors.ts) and records how the server closed. */
class TensorClient {
  private pending = new Map<number, { resolve: (r: { ok: boolean; result?: unknown; error?: { code: string; message: string } }) => void; message?: { ok: boolean; result?: unknown; error?: { code: string; message: string } }; assembly?: TensorAssembly }>();
  closed: Promise<number>;
  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) {
        const m = JSON.parse(String(data));
        const p = this.pending.get(m.id);
        if (!p) return;
        if (!m.attachments) return this.finish(m.id, m);
        p.message = m;
        p.assembly = new TensorAssembly(announcedTensors(m.result, m.attachments));
        return;
      }
      const h = parseFrame(data)!;
      const p = this.pending.get(h.id)!;
      p.assembly!.accept(h.tensor, h.chunk, h.payload);
      if (p.assembly!.complete) this.finish(h.id, { ...p.message!, result: attachTensors(p.message!.result, p.assembly!.tensors()) });
    });
  }
  static open(port: number, token: string): Promise<TensorClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api?token=${token}`);
      ws.once('open', () => resolve(new TensorClient(ws)));
      ws.once('error', reject);
    });
  }
  private finish(id: number, m: { ok: boolean; result?: unknown; error?: { code: string; message: string } }) {
    this.pending.get(id)?.resolve(m);
    this.pending.delete(id);
  }
  call(id: number, method: string, params: unknown): Promise<{ ok: boolean; result?: unknown; error?: { code: string; message: string } }> {
    return new Promise((resolve) => {
      this.pending.set(id, { resolve });
      const { value, tensors } = detachTensors(params);
      this.ws.send(JSON.stringify({ id, method, params: value, ...(tensors.length ? { attachments: tensors.length } : {}) }));
      for (const frame of tensorFrames(id, tensors, 100)) this.ws.send(frame);
    });
  }
}

const bytes = (t: Tensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

describe('tensors over the API WebSocket', () => {
  it('engine.acts answers with the bytes the CLI computation gives, in binary frames; engine.encode takes an uploaded tensor', async () => {
    const client = await TensorClient.open(server.port, server.token);
    const hooks = ['blocks.0.hook_resid_post', 'blocks.1.hook_resid_post'];
    const res = await client.call(1, 'engine.acts', { model: fx.model, text: 'hello world', hooks, logits: true, device: 'cpu' });
    expect(res.ok, JSON.stringify(res.error)).toBe(true);
    const acts = res.result as { tensors: Record<string, Tensor>; executionProvider: string };
    const direct = await computeHookActivations(fx.model, { text: 'hello world' }, hooks, { logits: true, device: 'cpu' });
    expect(Object.keys(acts.tensors)).toEqual([...hooks, 'logits', 'tokens']);
    for (const [name, t] of Object.entries(direct.tensors)) {
      expect([acts.tensors[name].dtype, acts.tensors[name].shape], name).toEqual([t.dtype, t.shape]);
      expect(bytes(acts.tensors[name]).equals(bytes(t)), name).toBe(true);
    }
    // Token ids go up as an int64 tensor; the answer matches the text's run.
    const byTokens = await client.call(2, 'engine.acts', { model: fx.model, tokens: acts.tensors.tokens, hooks: hooks.slice(0, 1), device: 'cpu' });
    expect(bytes((byTokens.result as { tensors: Record<string, Tensor> }).tensors[hooks[0]]).equals(bytes(direct.tensors[hooks[0]]))).toBe(true);

    const x = acts.tensors[hooks[1]];
    const enc = await client.call(3, 'engine.encode', { sae: fx.sae, acts: x, device: 'cpu' });
    expect(enc.ok, JSON.stringify(enc.error)).toBe(true);
    const e = enc.result as { feature_acts: Tensor; sae_out: Tensor; feature_acts_sparse: null; shape: number[] };
    const directEnc = await encodeActivations(fx.sae, { data: x.data as Float32Array, shape: x.shape }, 'x', 'cpu');
    expect(bytes(e.feature_acts).equals(Buffer.from(directEnc.featureActs.data.buffer))).toBe(true);
    expect(bytes(e.sae_out).equals(Buffer.from(directEnc.saeOut.data.buffer))).toBe(true);
    const sparse = await client.call(4, 'engine.encode', { sae: fx.sae, acts: x, format: 'sparse', device: 'cpu' });
    const s = (sparse.result as { feature_acts_sparse: { indices: Tensor; values: Tensor } }).feature_acts_sparse;
    const nnz = s.values.shape[0];
    const dense = new Float32Array(e.shape[0] * e.shape[1]);
    for (let j = 0; j < nnz; j++) dense[Number(s.indices.data[j]) * e.shape[1] + Number(s.indices.data[nnz + j])] = (s.values.data as Float32Array)[j];
    expect(Buffer.from(dense.buffer).equals(bytes(e.feature_acts))).toBe(true);

    // Wrong width and wrong dtype are refused by name.
    const narrow: Tensor = { dtype: 'F32', shape: [2, 5], data: new Float32Array(10) };
    expect(await client.call(5, 'engine.encode', { sae: fx.sae, acts: narrow, device: 'cpu' })).toMatchObject({ ok: false, error: { code: 'ENGINE_SAE_WIDTH', message: expect.stringContaining('acts (shape [2, 5]) is [2, 5], 5 wide') } });
    const ints: Tensor = { dtype: 'I32', shape: [1, 16], data: new Int32Array(16) };
    expect(await client.call(6, 'engine.encode', { sae: fx.sae, acts: ints })).toMatchObject({ ok: false, error: { code: 'INVALID_PARAMS', message: expect.stringContaining('a float32 tensor') } });
    client.ws.close();
  }, 120_000);

  it('a malformed announcement is answered in-band and its frames dropped; stray frames close with 1003, overruns with 1007', async () => {
    const client = await TensorClient.open(server.port, server.token);
    client.ws.send(JSON.stringify({ id: 9, method: 'engine.encode', params: { sae: fx.sae, acts: { $tensor: 0, dtype: 'F16', shape: [1] } }, attachments: 1 }));
    const refused = await new Promise<{ id: number; error: { code: string; message: string } }>((resolve) => client.ws.once('message', (d) => resolve(JSON.parse(String(d)))));
    expect(refused).toMatchObject({ id: 9, error: { code: 'BAD_REQUEST', message: expect.stringContaining('dtype must be one of') } });
    for (const frame of tensorFrames(9, [{ dtype: 'F32', shape: [1], data: new Float32Array(1) }])) client.ws.send(frame);
    expect(await client.call(10, 'app.info', {})).toMatchObject({ ok: true });
    // A tensor frame nobody announced.
    for (const frame of tensorFrames(11, [{ dtype: 'F32', shape: [1], data: new Float32Array(1) }])) client.ws.send(frame);
    expect(await client.closed).toBe(1003);

    const junk = await TensorClient.open(server.port, server.token);
    junk.ws.send(Buffer.from('not a tensor frame'));
    expect(await junk.closed).toBe(1003);

    const over = await TensorClient.open(server.port, server.token);
    over.ws.send(JSON.stringify({ id: 12, method: 'engine.encode', params: { sae: fx.sae, acts: { $tensor: 0, dtype: 'F32', shape: [2] } }, attachments: 1 }));
    for (const frame of tensorFrames(12, [{ dtype: 'F32', shape: [3], data: new Float32Array(3) }])) over.ws.send(frame);
    expect(await over.closed).toBe(1007);

    const after = await TensorClient.open(server.port, server.token);
    expect(await after.call(1, 'app.info', {})).toMatchObject({ ok: true });
    after.ws.close();
  }, 60_000);
});
