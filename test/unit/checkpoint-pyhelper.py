"""Independent reference for the checkpoint tests (standard library only; no torch here).

  rezip64 IN OUT         rewrite a zip with all sizes/offsets in zip64 extra fields
  torch-save SPEC.json   write a torch.save-style zip: pickle protocol 2 + data/<key> members
  st-checksum FILE       per-tensor element count, sum and index-weighted sum of a safetensors file
  f16-table              float32 bits of every float16 bit pattern (struct 'e')
  f16-round              float16 bits of float32 values read as JSON from stdin
"""
import base64, collections, json, pickle, struct, sys, types, zipfile

# A fake `torch` whose globals pickle under the same names torch.save uses.
torch = types.ModuleType('torch')
utils = types.ModuleType('torch._utils')
torch._utils = utils
sys.modules['torch'] = torch
sys.modules['torch._utils'] = utils

def _rebuild_tensor_v2(*args):
    raise RuntimeError('reference only')
_rebuild_tensor_v2.__module__ = 'torch._utils'
_rebuild_tensor_v2.__qualname__ = '_rebuild_tensor_v2'
utils._rebuild_tensor_v2 = _rebuild_tensor_v2

def _rebuild_parameter(*args):
    raise RuntimeError('reference only')
_rebuild_parameter.__module__ = 'torch._utils'
_rebuild_parameter.__qualname__ = '_rebuild_parameter'
utils._rebuild_parameter = _rebuild_parameter

STORAGE_CLASSES = {}
for name in ('FloatStorage', 'HalfStorage', 'BFloat16Storage', 'LongStorage'):
    cls = type(name, (), {})
    cls.__module__ = 'torch'
    cls.__qualname__ = name
    setattr(torch, name, cls)
    STORAGE_CLASSES[name] = cls
DTYPE_STORAGE = {'F32': 'FloatStorage', 'F16': 'HalfStorage', 'BF16': 'BFloat16Storage', 'I64': 'LongStorage'}
DTYPE_SIZE = {'F32': 4, 'F16': 2, 'BF16': 2, 'I64': 8}

class Storage:
    def __init__(self, key, dtype, numel):
        self.key, self.dtype, self.numel = key, dtype, numel

class Tensor:
    def __init__(self, storage, offset, shape, stride, parameter):
        self.args = (storage, offset, tuple(shape), tuple(stride), False, collections.OrderedDict())
        self.parameter = parameter
    def __reduce__(self):
        if self.parameter:
            return (_rebuild_parameter, (Plain(self.args), False, collections.OrderedDict()))
        return (_rebuild_tensor_v2, self.args)

class Plain:
    def __init__(self, args):
        self.args = args
    def __reduce__(self):
        return (_rebuild_tensor_v2, self.args)

class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ('storage', STORAGE_CLASSES[DTYPE_STORAGE[obj.dtype]], obj.key, 'cpu', obj.numel)
        return None

def torch_save(spec):
    storages = {}
    for s in spec['storages']:
        data = base64.b64decode(s['data'])
        numel = s.get('numel', len(data) // DTYPE_SIZE[s['dtype']])  # a crafted file may claim more
        storages[s['key']] = (Storage(s['key'], s['dtype'], numel), data)
    state = collections.OrderedDict()
    for t in spec['tensors']:
        state[t['name']] = Tensor(storages[t['storage']][0], t['offset'], t['shape'], t['stride'], t.get('parameter', False))
    if 'raw_pickle' in spec:
        pkl = base64.b64decode(spec['raw_pickle'])
    else:
        import io
        buf = io.BytesIO()
        Pickler(buf, protocol=2).dump(state)
        pkl = buf.getvalue()
    arch = spec.get('archive', 'archive')
    method = zipfile.ZIP_DEFLATED if spec.get('compress') else zipfile.ZIP_STORED
    with zipfile.ZipFile(spec['out'], 'w', compression=method) as z:
        z.writestr(f'{arch}/data.pkl', pkl)
        z.writestr(f'{arch}/byteorder', 'little')
        for key, (_, data) in storages.items():
            z.writestr(f'{arch}/data/{key}', data)
        z.writestr(f'{arch}/version', '3\n')

def rezip64(src, dst):
    """Rewrites a zip with every size and offset in zip64 extra fields (as multi-GB checkpoints have)."""
    with zipfile.ZipFile(src) as z:
        members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    out = bytearray()
    central = bytearray()
    for name, data in members:
        fn = name.encode()
        offset = len(out)
        crc = zipfile.crc32(data)
        pad = b'FB' + struct.pack('<H', 7) + b'Z' * 7  # an alignment extra, like torch writes
        out += struct.pack('<IHHHHHIIIHH', 0x04034b50, 45, 0, 0, 0, 0, crc, len(data), len(data), len(fn), len(pad)) + fn + pad + data
        z64 = struct.pack('<HHQQQ', 1, 24, len(data), len(data), offset)
        central += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 45, 45, 0, 0, 0, 0, crc, 0xffffffff, 0xffffffff,
                               len(fn), len(z64), 0, 0, 0, 0, 0xffffffff) + fn + z64
    cd_offset = len(out)
    out += central
    rec_offset = len(out)
    out += struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 45, 45, 0, 0, len(members), len(members), len(central), cd_offset)
    out += struct.pack('<IIQI', 0x07064b50, 0, rec_offset, 1)
    out += struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 0xffff, 0xffff, 0xffffffff, 0xffffffff, 0)
    with open(dst, 'wb') as f:
        f.write(out)

def st_checksum(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, e in header.items():
            if name == '__metadata__':
                continue
            b, end = e['data_offsets']
            f.seek(base + b)
            raw = f.read(end - b)
            if e['dtype'] == 'F32':
                vals = struct.unpack(f'<{len(raw) // 4}f', raw)
            elif e['dtype'] == 'F16':
                vals = struct.unpack(f'<{len(raw) // 2}e', raw)
            else:  # BF16: the high half of a float32
                halves = struct.unpack(f'<{len(raw) // 2}H', raw)
                vals = [struct.unpack('<f', struct.pack('<I', h << 16))[0] for h in halves]
            s = 0.0
            w = 0.0
            for i, v in enumerate(vals):
                s += v
                w += v * ((i % 97) + 1)
            out[name] = {'n': len(vals), 'sum': s, 'wsum': w, 'dtype': e['dtype'], 'shape': e['shape']}
    print(json.dumps(out))

def f16_table():
    out = []
    for h in range(65536):
        v = struct.unpack('<e', struct.pack('<H', h))[0]
        out.append(struct.unpack('<I', struct.pack('<f', v))[0])
    print(json.dumps(out))

def f16_round():
    vals = json.load(sys.stdin)
    out = []
    for v in vals:
        try:
            out.append(struct.unpack('<H', struct.pack('<e', float(v)))[0])
        except (OverflowError, struct.error):  # Python raises where IEEE rounds to infinity
            out.append(0x7c00 if v > 0 else 0xfc00)
    print(json.dumps(out))

if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'torch-save':
        with open(sys.argv[2]) as f:
            torch_save(json.load(f))
    elif cmd == 'rezip64':
        rezip64(sys.argv[2], sys.argv[3])
    elif cmd == 'st-checksum':
        st_checksum(sys.argv[2])
    elif cmd == 'f16-table':
        f16_table()
    elif cmd == 'f16-round':
        f16_round()
    else:
        sys.exit(f'unknown command {cmd}')
