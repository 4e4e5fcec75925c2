#!/usr/bin/env bash
# Packs `npm run bench:gpu` into one folder that runs on a Linux x64 GPU machine with no npm and no
# network (an offline GPU server): the benchmark bundled into one file, onnxruntime-node's JS and
# Linux x64 libraries, the demo pair and test set, the PyTorch reference script, and this
# machine's node binary (stripped), compressed: about 60 MB in all.
#   bash scripts/pack-bench-gpu.sh [OUT_DIR]        (default: dist/bench-gpu-pack)
#   then on the GPU machine:  bash OUT_DIR/run.sh --pytorch python3 [bench:gpu options]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$root/dist/bench-gpu-pack}") # relative to the caller's folder
case "$root/" in "$out"/*) echo "pack-bench-gpu: '$out' holds the project; name a new folder" >&2; exit 2 ;; esac
if [ -e "$out" ] && [ ! -f "$out/run.sh" ]; then echo "pack-bench-gpu: '$out' exists and is not an earlier pack; name a new folder" >&2; exit 2; fi
cd "$root"
rm -rf "$out" && mkdir -p "$out/resources/models" "$out/resources/datasets" "$out/scripts" "$out/node_modules"

# The benchmark and the engine in one ES module; onnxruntime-node stays a package (native binding).
# sharp (images) is never used by the engine: an empty stand-in keeps transformers.js loading.
stub=$(mktemp -d)/sharp.mjs
echo "export default function sharp() { throw new Error('sharp is not packed'); }" > "$stub"
npx esbuild src-main/bench/bench-gpu.ts --bundle --platform=node --format=esm --target=node22 \
  --outfile="$out/bench-gpu.mjs" --alias:sharp="$stub" --log-level=warning \
  --external:onnxruntime-node --external:onnxruntime-common --external:onnxruntime-web \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
rm -rf "$(dirname "$stub")"

ort=node_modules/onnxruntime-node
mkdir -p "$out/$ort/bin/napi-v6/linux" "$out/node_modules/onnxruntime-common"
cp -r "$ort/package.json" "$ort/dist" "$out/$ort/"
cp -r "$ort/bin/napi-v6/linux/x64" "$out/$ort/bin/napi-v6/linux/"
cp -r node_modules/onnxruntime-common/package.json node_modules/onnxruntime-common/dist "$out/node_modules/onnxruntime-common/"

# appRoot() finds the folder by its package.json; the benchmark reads the demo pair and test set
cp package.json "$out/"
cp -r resources/models/toy-t5-small resources/models/toy-t5-large "$out/resources/models/"
cp resources/datasets/toy-de-en.test.jsonl "$out/resources/datasets/"
cp scripts/bench-gpu-pytorch.py "$out/scripts/"

# compressed (the native libraries are most of the size); run.sh unpacks them on first use
tar -C "$out" -cJf "$out/node_modules.tar.xz" node_modules && rm -rf "$out/node_modules"
strip -o "$out/node" "$(command -v node)" 2>/dev/null || cp "$(command -v node)" "$out/node"
xz -T0 -6 "$out/node"

cat > "$out/run.sh" <<'EOF'
#!/usr/bin/env bash
# Runs the packed bench:gpu (see scripts/pack-bench-gpu.sh); arguments go to the benchmark.
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$here/node_modules" ]; then # unpacked aside, then moved: an interrupted unpack leaves no half folder
  rm -rf "$here/.unpack" && mkdir "$here/.unpack" && tar -C "$here/.unpack" -xJf "$here/node_modules.tar.xz" && mv "$here/.unpack/node_modules" "$here/" && rmdir "$here/.unpack" || exit
fi
# unpacked beside the pack, not in /tmp (often mounted noexec)
[ -x "$here/node" ] || { xz -dc "$here/node.xz" > "$here/node.part" && chmod +x "$here/node.part" && mv "$here/node.part" "$here/node"; } || exit
# containers often mount the NVIDIA driver's Vulkan ICD outside the loader's search path
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
done
exec "$here/node" "$here/bench-gpu.mjs" "$@"
EOF
chmod +x "$out/run.sh"
du -sh "$out"
