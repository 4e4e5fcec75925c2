// Weight bytes one run of an exported graph reads: the bytes of every initializer an operator
// consumes whole. Initializers only gathered from (the embedding table, position-bias tables) are
// left out: a lookup reads a few rows. Read from the graph itself, so it holds for any dtype an
// exporter writes (quantized weights and their scales included).
import { readFileSync } from 'node:fs';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProto_DataLocation, type GraphProto, type TensorProto } from 'onnx-buf';

function tensorBytes(t: TensorProto): number {
  if (t.dataLocation === TensorProto_DataLocation.EXTERNAL) return Number(t.externalData.find((e) => e.key === 'length')?.value ?? 0);
  return t.rawData.byteLength; // small inline constants
}

/** Op types of every node (subgraphs included) that consumes each value name. */
function consumers(g: GraphProto, into: Map<string, Set<string>>): Map<string, Set<string>> {
  for (const n of g.node) {
    for (const i of n.input) (into.get(i) ?? into.set(i, new Set()).get(i)!).add(n.opType);
    for (const a of n.attribute) {
      if (a.g) consumers(a.g, into);
      for (const sub of a.graphs) consumers(sub, into);
    }
  }
  return into;
}

/** Bytes of weights one run of the ONNX graph in `file` reads (its weights stay in external data, not loaded here). */
export function graphWeightBytesPerRun(file: string): number {
  const g = fromBinary(ModelProtoSchema, readFileSync(file)).graph;
  if (!g) throw new Error(`${file}: no graph`);
  const used = consumers(g, new Map());
  let bytes = 0;
  for (const t of g.initializer) {
    const ops = used.get(t.name);
    if (ops && [...ops].some((op) => !op.startsWith('Gather'))) bytes += tensorBytes(t);
  }
  return bytes;
}
