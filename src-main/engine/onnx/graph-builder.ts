import { create, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataLocation,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from 'onnx-buf';
import type { ExternalRef } from './external-data';
import { f32ToF16Bits } from '../checkpoint/float';

export const OPSET = 17;
export const DT = TensorProto_DataType;
export type Dim = number | string;

/** Attribute values: integers -> INT, integer arrays -> INTS, { f } -> FLOAT, strings -> STRING, { g } -> GRAPH (If branches). */
export type AttrValue = number | number[] | string | { f: number } | { g: GraphProto };

function attribute(name: string, v: AttrValue): AttributeProto {
  if (typeof v === 'number') return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(v) });
  if (Array.isArray(v))
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INTS, ints: v.map((x) => BigInt(x)) });
  if (typeof v === 'string')
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.STRING, s: new TextEncoder().encode(v) });
  if ('g' in v) return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.GRAPH, g: v.g });
  return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: v.f });
}

function valueInfo(name: string, elemType: number, dims: Dim[]): ValueInfoProto {
  const shape = create(TensorShapeProtoSchema, {
    dim: dims.map((d) =>
      create(TensorShapeProto_DimensionSchema, {
        value: typeof d === 'number' ? { case: 'dimValue' as const, value: BigInt(d) } : { case: 'dimParam' as const, value: d },
      }),
    ),
  });
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: 'tensorType' as const, value: create(TypeProto_TensorSchema, { elemType, shape }) } }),
  });
}

/**
 * A small builder for one ONNX graph: nodes get unique names and outputs, small constants are
 * embedded, weights point into an external data file.
 */
export class GraphBuilder {
  private nodes: NodeProto[] = [];
  private inits: TensorProto[] = [];
  private inputs: ValueInfoProto[] = [];
  private outputs: ValueInfoProto[] = [];
  private counter = 0;
  private constCache = new Map<string, string>();

  /** `prefix` keeps a subgraph's value names apart from its parent's (ONNX forbids shadowing). */
  constructor(
    readonly name: string,
    private readonly prefix = '',
  ) {}

  private fresh(hint: string): string {
    return `${this.prefix}${hint}_${this.counter++}`;
  }

  input(name: string, elemType: number, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Exposes `value` as graph output `name`. */
  output(name: string, value: string, elemType: number, dims: Dim[]): void {
    this.nodes.push(create(NodeProtoSchema, { opType: 'Identity', input: [value], output: [name], name: this.fresh('out') }));
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** Adds one node; returns its outputs. Outputs listed in `unused` are omitted (empty names): the kernel need not compute them. */
  opN(opType: string, inputs: string[], nOut: number, attrs: Record<string, AttrValue> = {}, domain = '', unused: number[] = []): string[] {
    const outputs = Array.from({ length: nOut }, (_, i) => (unused.includes(i) ? '' : this.fresh(opType.toLowerCase())));
    this.nodes.push(
      create(NodeProtoSchema, {
        opType,
        domain,
        input: inputs,
        output: outputs,
        name: this.fresh(`n_${opType}`),
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }),
    );
    return outputs;
  }

  /** Adds one node with one output. An empty input name marks an omitted optional input. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.opN(opType, inputs, 1, attrs)[0]!;
  }

  /** An int64 constant (shapes, axes, indices), shared when repeated. */
  i64(values: number[], dims: number[] = [values.length]): string {
    const key = `i64:${dims.join('x')}:${values.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh('const_i64');
    this.inits.push(create(TensorProtoSchema, { name, dataType: DT.INT64, dims: dims.map(BigInt), int64Data: values.map(BigInt) }));
    this.constCache.set(key, name);
    return name;
  }

  /** A float32 constant (scalars such as epsilon). */
  f32(values: number[], dims: number[] = []): string {
    const key = `f32:${dims.join('x')}:${values.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh('const_f32');
    this.inits.push(create(TensorProtoSchema, { name, dataType: DT.FLOAT, dims: dims.map(BigInt), floatData: values }));
    this.constCache.set(key, name);
    return name;
  }

  /** A float constant of element type `type` (FLOAT or FLOAT16): graph constants must match their operands' type. */
  float(type: number, values: number[], dims: number[] = []): string {
    if (type === DT.FLOAT) return this.f32(values, dims);
    const key = `f16:${dims.join('x')}:${values.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh('const_f16');
    const bits = new Uint16Array(values.map(f32ToF16Bits));
    this.inits.push(create(TensorProtoSchema, { name, dataType: DT.FLOAT16, dims: dims.map(BigInt), rawData: new Uint8Array(bits.buffer) }));
    this.constCache.set(key, name);
    return name;
  }

  /** An initializer whose bytes already sit in the external data file. */
  external(name: string, dataType: number, dims: number[], ref: ExternalRef): string {
    const entry = (key: string, value: string) => create(StringStringEntryProtoSchema, { key, value });
    this.inits.push(
      create(TensorProtoSchema, {
        name,
        dataType,
        dims: dims.map(BigInt),
        dataLocation: TensorProto_DataLocation.EXTERNAL,
        externalData: [entry('location', ref.location), entry('offset', String(ref.offset)), entry('length', String(ref.length))],
      }),
    );
    return name;
  }

  /** The graph alone (an If branch: no inputs, outputs typed; it may read its parent's values by name). */
  toGraph(): GraphProto {
    return create(GraphProtoSchema, {
      name: this.name,
      node: this.nodes,
      initializer: this.inits,
      input: this.inputs,
      output: this.outputs,
    });
  }

  toBytes(meta: Record<string, string> = {}): Uint8Array {
    const graph = this.toGraph();
    const model = create(ModelProtoSchema, {
      irVersion: 8n,
      producerName: 'bild-bench',
      opsetImport: [
        create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(OPSET) }),
        create(OperatorSetIdProtoSchema, { domain: 'com.microsoft', version: 1n }),
      ],
      graph,
      metadataProps: Object.entries(meta).map(([key, value]) => create(StringStringEntryProtoSchema, { key, value })),
    });
    return toBinary(ModelProtoSchema, model);
  }
}
