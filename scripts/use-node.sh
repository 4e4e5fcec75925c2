# Source this file (`source scripts/use-node.sh`): it makes sure the `node` first on this shell's
# PATH is one bild-bench supports (>= 22.13, for node:sqlite). When the machine's Node is older, it
# fetches the pinned LTS build from the npm registry (scripts/fetch-node.mjs, cached under
# ~/.cache/bild-bench/node) and puts it first on PATH; the machine's npm then runs under it.
# It never exits the calling shell: on failure it says why and returns 1.

BILD_NODE_LTS="${BILD_NODE_LTS:-24.22.3}"

bild_node_ok() {
  command -v node >/dev/null 2>&1 && node -e '
    const [a, b] = process.versions.node.split(".").map(Number);
    process.exit(a > 22 || (a === 22 && b >= 13) ? 0 : 1)' 2>/dev/null
}

if bild_node_ok; then
  :
elif ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "bild-bench needs Node.js >= 22.13 with npm; install it (https://nodejs.org) and run this again" >&2
  return 1 2>/dev/null || exit 1
else
  bild_node_dir="$(node "$(dirname "${BASH_SOURCE[0]:-$0}")/fetch-node.mjs" "$BILD_NODE_LTS")" || {
    echo "Node.js $(node --version) is too old for bild-bench (needs >= 22.13) and Node $BILD_NODE_LTS could not be fetched" >&2
    return 1 2>/dev/null || exit 1
  }
  export PATH="$bild_node_dir:$PATH"
  hash -r 2>/dev/null
  echo "using Node.js $(node --version) from $bild_node_dir (the machine's Node is older than 22.13)" >&2
  unset bild_node_dir
fi
unset -f bild_node_ok
