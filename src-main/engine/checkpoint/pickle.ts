/**
 * A restricted unpickler for torch.save's data.pkl. It builds plain values and tensor descriptors
 * and never calls anything: only the few globals a state dict needs are accepted, so a malicious
 * checkpoint (os.system, builtins.eval, ...) is refused instead of executed.
 */
import { UserError } from '../errors';
import type { DType } from './types';

export interface StorageRef {
  readonly kind: 'storage';
  /** Archive member data/<key>. */
  readonly key: string;
  readonly dtype: DType;
  /** Elements in the storage. */
  readonly numel: number;
}

export interface TensorRef {
  readonly kind: 'tensor';
  readonly storage: StorageRef;
  /** In elements. */
  readonly offset: number;
  readonly shape: number[];
  readonly stride: number[];
}

/** A class or function named by GLOBAL; inert until REDUCE applies an allow-listed handler. */
class PyGlobal {
  constructor(readonly full: string) {}
}

/** Python dict / OrderedDict (insertion-ordered, like a JS Map). */
class PyDict {
  readonly map = new Map<PyKey, PyValue>();
}

type PyKey = string | number | bigint | boolean | null;
type PyValue = PyKey | PyValue[] | PyDict | PyGlobal | StorageRef | TensorRef;

const STORAGE_DTYPES: Record<string, DType> = {
  'torch.FloatStorage': 'F32',
  'torch.HalfStorage': 'F16',
  'torch.BFloat16Storage': 'BF16',
};

const OPCODE_NAMES: Record<number, string> = {
  0x52: 'REDUCE', 0x62: 'BUILD', 0x69: 'INST', 0x6f: 'OBJ', 0x81: 'NEWOBJ', 0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL',
  0x50: 'PERSID', 0x63: 'GLOBAL', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x53: 'STRING', 0x55: 'SHORT_BINSTRING',
  0x54: 'BINSTRING', 0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES', 0x8e: 'BINBYTES8', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x46: 'FLOAT', 0x49: 'INT', 0x4c: 'LONG',
  0x56: 'UNICODE', 0x8b: 'LONG4', 0x70: 'PUT', 0x67: 'GET',
};

function asInt(v: PyValue | undefined): number | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

function intList(v: PyValue | undefined): number[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out = v.map(asInt);
  return out.every((x): x is number => x !== undefined) ? out : undefined;
}

const MARK = Symbol('mark');

/**
 * Bounds far above what torch.save writes for a state dict (about 30 opcodes, 10 memo entries and
 * nesting depth 4 per tensor, stack entries in batches of 1000): a crafted pickle hits one
 * of them quickly instead of overflowing the call stack or exhausting memory.
 */
const MAX_OPCODES = 10_000_000;
const MAX_STACK = 1_000_000;
const MAX_MEMO = 1_000_000;
const MAX_DEPTH = 100;

/**
 * Nesting depth of containers (lists, tuples, dicts). Exact because a container is never changed
 * after it went into another: Python's pickler fills each container before storing it anywhere,
 * and only a recursive structure (which a state dict never is) would break that.
 */
class Nesting {
  private readonly depth = new WeakMap<object, number>();
  private readonly nested = new WeakSet<object>();

  constructor(private readonly fail: (why: string) => UserError) {}

  private of(v: PyValue): number {
    return v !== null && typeof v === 'object' ? (this.depth.get(v) ?? 0) : 0;
  }

  /** Records `children` going into `container` (a list, tuple or dict). */
  add(container: object, children: readonly PyValue[]): void {
    if (this.nested.has(container)) throw this.fail('a container changed after being stored in another (recursive structures are not supported)');
    let d = this.depth.get(container) ?? 1;
    for (const c of children) {
      if (c === null || typeof c !== 'object') continue;
      this.nested.add(c);
      d = Math.max(d, this.of(c) + 1);
    }
    if (d > MAX_DEPTH) throw this.fail(`containers nested deeper than ${MAX_DEPTH} levels`);
    this.depth.set(container, d);
  }
}

/**
 * Unpickles a torch state dict, returning its tensors by name (non-tensor entries are skipped).
 * `file` names the checkpoint in error messages.
 */
export function unpickleStateDict(data: Uint8Array, file: string): Map<string, TensorRef> {
  const root = unpickle(data, file);
  if (!(root instanceof PyDict)) throw new UserError(`${file}: data.pkl does not hold a state dict (a dict of tensors)`);
  const out = new Map<string, TensorRef>();
  for (const [k, v] of root.map) {
    if (typeof k === 'string' && v && typeof v === 'object' && 'kind' in v && v.kind === 'tensor') out.set(k, v);
  }
  return out;
}

export function unpickle(data: Uint8Array, file: string): PyValue {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const stack: (PyValue | typeof MARK)[] = [];
  const memo = new Map<number, PyValue>();
  let pos = 0;

  const fail = (why: string): UserError => new UserError(`${file}: data.pkl: ${why}`);
  const nesting = new Nesting(fail);
  /** A new container holding `items`. */
  const container = <T extends PyValue[] | PyDict>(c: T, items: readonly PyValue[]): T => (nesting.add(c, items), c);
  const push = (v: PyValue | typeof MARK): void => {
    if (stack.length >= MAX_STACK) throw fail(`more than ${MAX_STACK} values on the unpickler's stack`);
    stack.push(v);
  };
  const remember = (idx: number, v: PyValue): void => {
    if (memo.size >= MAX_MEMO && !memo.has(idx)) throw fail(`more than ${MAX_MEMO} memo entries`);
    memo.set(idx, v);
  };
  const need = (n: number): void => {
    if (pos + n > data.length) throw fail('unexpected end of pickle data (truncated?)');
  };
  const u8 = (): number => (need(1), data[pos++]);
  const u16 = (): number => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = (): number => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const bytes = (n: number): Uint8Array => (need(n), (pos += n), data.subarray(pos - n, pos));
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) throw fail('unterminated GLOBAL');
    const s = new TextDecoder().decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw fail('stack underflow');
    return v;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw fail('stack underflow');
    return v;
  };
  const popMark = (): PyValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw fail('MARK missing');
    const items = stack.splice(i) as PyValue[];
    items.shift();
    return items;
  };
  const key = (v: PyValue): PyKey => {
    if (v === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof v)) return v as PyKey;
    throw fail('unsupported dict key type');
  };
  const setItems = (target: PyValue, kv: PyValue[]): void => {
    if (!(target instanceof PyDict)) throw fail('SETITEM on a non-dict');
    nesting.add(target, kv);
    for (let i = 0; i + 1 < kv.length; i += 2) target.map.set(key(kv[i]), kv[i + 1]);
  };
  const appendItems = (target: PyValue, items: PyValue[]): void => {
    if (!Array.isArray(target)) throw fail('APPEND on a non-list');
    nesting.add(target, items);
    for (const item of items) target.push(item); // not push(...items): a long batch overflows the call stack
  };
  const global = (module: string, name: string): PyGlobal => {
    const full = `${module}.${name}`;
    const allowed =
      full === 'collections.OrderedDict' ||
      full === 'torch._utils._rebuild_tensor_v2' ||
      full === 'torch._utils._rebuild_parameter' ||
      // Other storage classes (e.g. LongStorage) are inert markers: refused with a dtype message if used.
      (module === 'torch' && /^[A-Za-z0-9]+Storage$/.test(name));
    if (!allowed)
      throw fail(`refusing global '${full}': only tensors, storages and OrderedDict may appear in a checkpoint (this file may run code when loaded by Python)`);
    return new PyGlobal(full);
  };
  const persistentLoad = (pid: PyValue): StorageRef => {
    if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage' || !(pid[1] instanceof PyGlobal))
      throw fail(`unsupported persistent id ${describe(pid)}`);
    const dtype = STORAGE_DTYPES[pid[1].full];
    if (!dtype) throw fail(`unsupported storage type ${pid[1].full} (only float32, float16 and bfloat16 weights are supported)`);
    const numel = asInt(pid[4]);
    if (typeof pid[2] !== 'string' || numel === undefined || numel < 0) throw fail(`invalid storage persistent id ${describe(pid)}`);
    return { kind: 'storage', key: pid[2], dtype, numel };
  };
  const reduce = (fn: PyValue, args: PyValue): PyValue => {
    if (!(fn instanceof PyGlobal) || !Array.isArray(args)) throw fail('REDUCE on a non-callable');
    switch (fn.full) {
      case 'collections.OrderedDict':
        if (args.length !== 0) throw fail('OrderedDict with arguments is not supported');
        return new PyDict();
      case 'torch._utils._rebuild_tensor_v2': {
        const [storage, offsetV, sizeV, strideV] = args;
        const offset = asInt(offsetV);
        const shape = intList(sizeV);
        const stride = intList(strideV);
        if (!storage || typeof storage !== 'object' || !('kind' in storage) || storage.kind !== 'storage')
          throw fail('_rebuild_tensor_v2 without a storage');
        if (offset === undefined || offset < 0 || !shape || !stride || shape.length !== stride.length || shape.some((s) => s < 0) || stride.some((s) => s < 0))
          throw fail(`_rebuild_tensor_v2 with invalid offset/size/stride ${describe(args.slice(1, 4))}`);
        return { kind: 'tensor', storage, offset, shape, stride };
      }
      case 'torch._utils._rebuild_parameter': {
        const t = args[0];
        if (!t || typeof t !== 'object' || !('kind' in t) || t.kind !== 'tensor') throw fail('_rebuild_parameter without a tensor');
        return t;
      }
      default:
        throw fail(`refusing to call '${fn.full}'`);
    }
  };

  for (let ops = 1; ; ops++) {
    if (ops > MAX_OPCODES) throw fail(`more than ${MAX_OPCODES} opcodes (not a state dict)`);
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw fail('unsupported pickle protocol');
        break;
      case 0x95: // FRAME (protocol 4): only a length hint
        bytes(8);
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: push(MARK); break; // MARK
      case 0x7d: push(new PyDict()); break; // EMPTY_DICT
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x29: push([]); break; // EMPTY_TUPLE
      case 0x74: // TUPLE
      case 0x6c: { // LIST
        const items = popMark();
        push(container(items, items));
        break;
      }
      case 0x64: { // DICT
        const d = new PyDict();
        setItems(d, popMark());
        push(d);
        break;
      }
      case 0x85: { // TUPLE1
        const a = pop();
        push(container([a], [a]));
        break;
      }
      case 0x86: { // TUPLE2
        const b = pop();
        const a = pop();
        push(container([a, b], [a, b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        push(container([a, b, c], [a, b, c]));
        break;
      }
      case 0x58: push(utf8.decode(bytes(u32()))); break; // BINUNICODE
      case 0x8c: push(utf8.decode(bytes(u8()))); break; // SHORT_BINUNICODE
      case 0x4a: push((need(4), (pos += 4), view.getInt32(pos - 4, true))); break; // BININT
      case 0x4b: push(u8()); break; // BININT1
      case 0x4d: push(u16()); break; // BININT2
      case 0x8a: { // LONG1: little-endian two's complement
        const b = bytes(u8());
        let v = 0n;
        for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (b.length && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
        push(asInt(v) ?? v);
        break;
      }
      case 0x47: push((need(8), (pos += 8), view.getFloat64(pos - 8, false))); break; // BINFLOAT
      case 0x4e: push(null); break; // NONE
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x71: remember(u8(), top()); break; // BINPUT
      case 0x72: remember(u32(), top()); break; // LONG_BINPUT
      case 0x94: remember(memo.size, top()); break; // MEMOIZE
      case 0x68: // BINGET
      case 0x6a: { // LONG_BINGET
        const idx = op === 0x68 ? u8() : u32();
        const v = memo.get(idx);
        if (v === undefined) throw fail(`memo entry ${idx} missing`);
        push(v);
        break;
      }
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: push(top()); break; // DUP
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x61: { // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x63: { // GLOBAL
        const module = line();
        push(global(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw fail('STACK_GLOBAL needs two strings');
        push(global(module, name));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        push(reduce(pop(), args));
        break;
      }
      case 0x51: push(persistentLoad(pop())); break; // BINPERSID
      case 0x62: { // BUILD: only dict state (OrderedDict's _metadata attribute), which tensors don't need
        const state = pop();
        if (!(top() instanceof PyDict) || !(state instanceof PyDict || state === null || Array.isArray(state)))
          throw fail('BUILD on an unsupported object');
        break;
      }
      default: {
        const name = OPCODE_NAMES[op];
        const printable = op >= 0x20 && op < 0x7f ? ` '${String.fromCharCode(op)}'` : '';
        throw fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}${printable}${name ? ` (${name})` : ''} at byte ${at}`);
      }
    }
  }
}

/** A short rendering for error messages: two levels deep, a few items, short strings. */
function describe(v: PyValue, depth = 0): string {
  if (Array.isArray(v)) {
    if (depth >= 2) return '[...]';
    const shown = v.slice(0, 6).map((x) => describe(x, depth + 1));
    return `[${shown.join(',')}${v.length > 6 ? ',...' : ''}]`;
  }
  if (v instanceof PyDict) return '{...}';
  if (v instanceof PyGlobal) return v.full;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);
  if (v !== null && typeof v === 'object') return `<${v.kind}>`;
  return String(v);
}
