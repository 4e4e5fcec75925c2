#!/usr/bin/env node
// The package's CLI entry: runs the bundled CLI built by `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(`bild-bench: error: Node.js >= 22.13 is needed (this is ${process.versions.node}); \`source scripts/use-node.sh\` in the package folder fetches one\n`);
  process.exit(2);
}
const cli = fileURLToPath(new URL('../out/main/cli.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write('bild-bench: error: the CLI is not built; run `npm run build` in the package folder first\n');
  process.exit(2);
}
await import(cli);
