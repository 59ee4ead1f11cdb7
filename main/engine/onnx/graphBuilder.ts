import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkg from 'onnx-proto';
import { WorkbenchError } from '../../errors';

const { onnx } = pkg;
type INodeProto = pkg.onnx.INodeProto;
type ITensorProto = pkg.onnx.ITensorProto;
type IValueInfoProto = pkg.onnx.IValueInfoProto;
type IAttributeProto = pkg.onnx.IAttributeProto;

export const OPSET = 17;
export const IR_VERSION = 8;

export type ElemType = 'float32' | 'int64' | 'bool';
const ELEM: Record<ElemType, number> = { float32: onnx.TensorProto.DataType.FLOAT, int64: onnx.TensorProto.DataType.INT64, bool: onnx.TensorProto.DataType.BOOL };

/**
 * A serialized model for InferenceSession.create: bytes in memory, or (for weights past protobuf's
 * 2 GB message limit) a model.onnx whose initializers live in an external data file beside it.
 */
export type ModelSource = { kind: 'bytes'; bytes: Uint8Array } | { kind: 'file'; path: string; cleanup: () => void };

/** Past this many weight bytes a graph goes to disk with external data (protobuf caps at 2 GB). */
export const EXTERNAL_DATA_THRESHOLD_BYTES = 1.5 * 1024 ** 3;
const EXTERNAL_MIN_TENSOR_BYTES = 1024;
const EXTERNAL_ALIGN = 4096;

/** A dimension: a fixed size or a symbolic name ("batch", "seq"). */
export type Dim = number | string;

/** Attribute values are tagged because ONNX distinguishes int from float attributes. */
export type Attr = { int: number } | { float: number } | { ints: number[] } | { floats: number[] } | { string: string };

/** The name of a value in the graph: what every op helper takes and returns. */
export type Value = string;

function attribute(name: string, a: Attr): IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('int' in a) return { name, type: T.INT, i: a.int };
  if ('float' in a) return { name, type: T.FLOAT, f: a.float };
  if ('ints' in a) return { name, type: T.INTS, ints: a.ints };
  if ('floats' in a) return { name, type: T.FLOATS, floats: a.floats };
  return { name, type: T.STRING, s: new TextEncoder().encode(a.string) };
}

function valueInfo(name: string, type: ElemType, dims: Dim[]): IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: ELEM[type], shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function rawBytes(data: Float32Array | BigInt64Array | Uint8Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Builds one ONNX graph: inputs, initializers (weights as raw_data), nodes with generated value
 * names, named outputs. Op helpers cover what the engine needs; `op` reaches the rest.
 */
export class GraphBuilder {
  private readonly nodes: INodeProto[] = [];
  private readonly initializers: ITensorProto[] = [];
  private readonly inputs: IValueInfoProto[] = [];
  private readonly outputs: IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private counter = 0;
  private readonly scalarCache = new Map<string, Value>();

  constructor(readonly graphName: string) {}

  /** A fresh value name: prefix + counter, never clashing with inputs or outputs. */
  fresh(prefix: string): Value {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.names.has(name));
    this.names.add(name);
    return name;
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new WorkbenchError('ENGINE_GRAPH_NAME', `Graph "${this.graphName}": value name "${name}" is used twice.`, 'Give each graph input and output a distinct name.');
    this.names.add(name);
  }

  input(name: string, type: ElemType, dims: Dim[]): Value {
    this.claim(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Exposes `value` as graph output `name` (through Identity so internal names stay free). */
  output(value: Value, name: string, type: ElemType, dims: Dim[]): void {
    this.claim(name);
    this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: `out_${name}` });
    this.outputs.push(valueInfo(name, type, dims));
  }

  initializerF32(data: Float32Array, dims: number[], prefix = 'w'): Value {
    const name = this.fresh(prefix);
    this.initializers.push({ name, dataType: ELEM.float32, dims, rawData: rawBytes(data) });
    return name;
  }

  initializerI64(values: readonly number[] | BigInt64Array, dims: number[], prefix = 'c'): Value {
    const data = values instanceof BigInt64Array ? values : BigInt64Array.from(values, (v) => BigInt(v));
    const name = this.fresh(prefix);
    this.initializers.push({ name, dataType: ELEM.int64, dims, rawData: rawBytes(data) });
    return name;
  }

  /** A float32 scalar constant, shared between uses. */
  scalar(v: number): Value {
    const key = `f:${v}`;
    let name = this.scalarCache.get(key);
    if (!name) {
      name = this.initializerF32(Float32Array.of(v), [], 'scalar');
      this.scalarCache.set(key, name);
    }
    return name;
  }

  /** An int64 1-D constant (shapes, axes, indices), shared between uses. */
  ints(values: number[]): Value {
    const key = `i:${values.join(',')}`;
    let name = this.scalarCache.get(key);
    if (!name) {
      name = this.initializerI64(values, [values.length], 'ints');
      this.scalarCache.set(key, name);
    }
    return name;
  }

  /** An int64 scalar constant. */
  intScalar(v: number): Value {
    const key = `is:${v}`;
    let name = this.scalarCache.get(key);
    if (!name) {
      name = this.initializerI64([v], [], 'int');
      this.scalarCache.set(key, name);
    }
    return name;
  }

  op(opType: string, inputs: Value[], attrs: Record<string, Attr> = {}, nOutputs = 1, domain?: string): Value[] {
    const outputs = Array.from({ length: nOutputs }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({
      opType,
      input: inputs,
      output: outputs,
      name: `${opType}_${this.nodes.length}`,
      attribute: Object.entries(attrs).map(([k, a]) => attribute(k, a)),
      ...(domain ? { domain } : {}),
    });
    return outputs;
  }

  private op1(opType: string, inputs: Value[], attrs: Record<string, Attr> = {}): Value {
    return this.op(opType, inputs, attrs)[0];
  }

  matmul(a: Value, b: Value): Value { return this.op1('MatMul', [a, b]); }
  gemm(a: Value, b: Value, c: Value, transB = false): Value { return this.op1('Gemm', [a, b, c], transB ? { transB: { int: 1 } } : {}); }
  add(a: Value, b: Value): Value { return this.op1('Add', [a, b]); }
  sub(a: Value, b: Value): Value { return this.op1('Sub', [a, b]); }
  mul(a: Value, b: Value): Value { return this.op1('Mul', [a, b]); }
  div(a: Value, b: Value): Value { return this.op1('Div', [a, b]); }
  pow(a: Value, b: Value): Value { return this.op1('Pow', [a, b]); }
  sqrt(a: Value): Value { return this.op1('Sqrt', [a]); }
  tanh(a: Value): Value { return this.op1('Tanh', [a]); }
  erf(a: Value): Value { return this.op1('Erf', [a]); }
  sigmoid(a: Value): Value { return this.op1('Sigmoid', [a]); }
  relu(a: Value): Value { return this.op1('Relu', [a]); }
  neg(a: Value): Value { return this.op1('Neg', [a]); }
  identity(a: Value): Value { return this.op1('Identity', [a]); }
  greater(a: Value, b: Value): Value { return this.op1('Greater', [a, b]); }
  lessOrEqual(a: Value, b: Value): Value { return this.op1('LessOrEqual', [a, b]); }
  and(a: Value, b: Value): Value { return this.op1('And', [a, b]); }
  where(cond: Value, a: Value, b: Value): Value { return this.op1('Where', [cond, a, b]); }
  cast(a: Value, to: ElemType): Value { return this.op1('Cast', [a], { to: { int: ELEM[to] } }); }
  shape(a: Value, start?: number, end?: number): Value {
    const attrs: Record<string, Attr> = {};
    if (start !== undefined) attrs.start = { int: start };
    if (end !== undefined) attrs.end = { int: end };
    return this.op1('Shape', [a], attrs);
  }
  expand(a: Value, shape: Value): Value { return this.op1('Expand', [a, shape]); }
  reshape(a: Value, shape: Value): Value { return this.op1('Reshape', [a, shape]); }
  transpose(a: Value, perm: number[]): Value { return this.op1('Transpose', [a], { perm: { ints: perm } }); }
  gather(data: Value, indices: Value, axis = 0): Value { return this.op1('Gather', [data, indices], { axis: { int: axis } }); }
  concat(values: Value[], axis: number): Value { return this.op1('Concat', values, { axis: { int: axis } }); }
  unsqueeze(a: Value, axes: number[]): Value { return this.op1('Unsqueeze', [a, this.ints(axes)]); }
  softmax(a: Value, axis = -1): Value { return this.op1('Softmax', [a], { axis: { int: axis } }); }
  reduceMean(a: Value, axes: number[], keepdims = true): Value { return this.op1('ReduceMean', [a], { axes: { ints: axes }, keepdims: { int: keepdims ? 1 : 0 } }); }
  reduceSumSquare(a: Value, axes: number[], keepdims = true): Value { return this.op1('ReduceSumSquare', [a], { axes: { ints: axes }, keepdims: { int: keepdims ? 1 : 0 } }); }
  slice(a: Value, starts: Value, ends: Value, axes: Value): Value { return this.op1('Slice', [a, starts, ends, axes]); }
  range(start: Value, limit: Value, delta: Value): Value { return this.op1('Range', [start, limit, delta]); }
  constantOfShape(shape: Value): Value { return this.op1('ConstantOfShape', [shape]); }
  /** TopK along the last axis, largest first; returns [values, indices]. */
  topK(a: Value, k: Value): [Value, Value] {
    const [v, i] = this.op('TopK', [a, k], { axis: { int: -1 }, largest: { int: 1 }, sorted: { int: 1 } }, 2);
    return [v, i];
  }
  scatterElements(data: Value, indices: Value, updates: Value, axis: number): Value {
    return this.op1('ScatterElements', [data, indices, updates], { axis: { int: axis } });
  }
  layerNorm(x: Value, scale: Value, bias: Value, eps: number): Value {
    return this.op1('LayerNormalization', [x, scale, bias], { axis: { int: -1 }, epsilon: { float: eps } });
  }

  private encode(initializers: ITensorProto[]): Uint8Array {
    if (this.outputs.length === 0) throw new WorkbenchError('ENGINE_GRAPH_EMPTY', `Graph "${this.graphName}" has no outputs.`, 'Ask for at least one output.');
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'sae-workbench',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: { name: this.graphName, node: this.nodes, initializer: initializers, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  /** The serialized ModelProto, ready for InferenceSession.create(bytes). */
  toBytes(): Uint8Array {
    return this.encode(this.initializers);
  }

  /** Total bytes of all initializers (the weights). */
  weightBytes(): number {
    return this.initializers.reduce((a, t) => a + (t.rawData?.byteLength ?? 0), 0);
  }

  /**
   * Writes model.onnx + model.onnx.data (tensors of 1 KB and more, 4 KB aligned) into a fresh
   * temporary folder; `cleanup` removes it once a session has loaded it.
   */
  toExternalDataFiles(): { path: string; cleanup: () => void } {
    const dir = mkdtempSync(join(tmpdir(), 'sae-wb-graph-'));
    const cleanup = () => rmSync(dir, { recursive: true, force: true });
    try {
      const dataName = 'model.onnx.data';
      const fd = openSync(join(dir, dataName), 'w');
      let offset = 0;
      const initializers = this.initializers.map((t) => {
        const raw = t.rawData;
        if (!raw || raw.byteLength < EXTERNAL_MIN_TENSOR_BYTES) return t;
        const pad = (EXTERNAL_ALIGN - (offset % EXTERNAL_ALIGN)) % EXTERNAL_ALIGN;
        if (pad) writeSync(fd, new Uint8Array(pad));
        offset += pad;
        writeSync(fd, raw);
        const entry: ITensorProto = {
          name: t.name,
          dataType: t.dataType,
          dims: t.dims,
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [
            { key: 'location', value: dataName },
            { key: 'offset', value: String(offset) },
            { key: 'length', value: String(raw.byteLength) },
          ],
        };
        offset += raw.byteLength;
        return entry;
      });
      closeSync(fd);
      const path = join(dir, 'model.onnx');
      const modelFd = openSync(path, 'w');
      writeSync(modelFd, this.encode(initializers));
      closeSync(modelFd);
      return { path, cleanup };
    } catch (err) {
      cleanup();
      throw new WorkbenchError('ENGINE_GRAPH_WRITE', `Could not write graph "${this.graphName}" to ${dir}: ${(err as Error).message}`, 'Free disk space in the temporary folder (TMPDIR).', { cause: err });
    }
  }

  /** Bytes when the weights fit a protobuf message, external data files otherwise. */
  toModelSource(thresholdBytes = EXTERNAL_DATA_THRESHOLD_BYTES): ModelSource {
    if (this.weightBytes() <= thresholdBytes) return { kind: 'bytes', bytes: this.toBytes() };
    return { kind: 'file', ...this.toExternalDataFiles() };
  }
}
