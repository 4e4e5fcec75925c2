#!/usr/bin/env node
// Fetches a Node.js build from the npm registry (the node-<os>-<arch> packages ship the binary in
// their tarball) into a cache and prints the folder holding its `node`. Only the npm registry is
// contacted, through the machine's npm. Runs under any Node >= 18, so an old Node can fetch a new one.
//
//   node scripts/fetch-node.mjs 24.22.3   -> ~/.cache/bild-bench/node/24.22.3/bin
//   node scripts/fetch-node.mjs 26        -> the newest 26.x the registry has (cached after)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const want = process.argv[2];
if (!want || !/^\d+(\.\d+){0,2}$/.test(want)) {
  process.stderr.write('usage: node scripts/fetch-node.mjs <major | major.minor.patch>\n');
  process.exit(2);
}
const os = { linux: 'linux', darwin: 'darwin', win32: 'win' }[process.platform];
if (!os) fail(`no node-<os>-<arch> package for ${process.platform}`);
const pkg = `node-${os}-${process.arch}`;
const cache = process.env.BILD_NODE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'bild-bench', 'node');
const binDir = (version) => (os === 'win' ? join(cache, version) : join(cache, version, 'bin'));
const nodeIn = (version) => join(binDir(version), os === 'win' ? 'node.exe' : 'node');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function fail(why) {
  process.stderr.write(`fetch-node: ${why}\n`);
  process.exit(1);
}

function npmOut(args) {
  const r = spawnSync(npm, args, { encoding: 'utf8', shell: process.platform === 'win32', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) fail(`npm ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
  return r.stdout.trim();
}

/** The newest cached version that matches `want` (an exact version, or a major / major.minor prefix). */
function cached() {
  if (!existsSync(cache)) return null;
  const matches = readdirSync(cache)
    .filter((v) => (v === want || v.startsWith(`${want}.`)) && existsSync(nodeIn(v)))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return matches.at(-1) ?? null;
}

// An exact version already cached needs no registry; a major asks the registry for its newest build.
let version = /^\d+\.\d+\.\d+$/.test(want) && existsSync(nodeIn(want)) ? want : null;
if (!version) {
  const r = spawnSync(npm, ['view', `${pkg}@${want}`, 'version', '--json'], { encoding: 'utf8', shell: process.platform === 'win32' });
  if (r.status === 0 && r.stdout.trim()) {
    const v = JSON.parse(r.stdout);
    version = Array.isArray(v) ? v.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1) : v;
  } else {
    version = cached(); // offline: the newest build of that line we already have
    if (!version) fail(`cannot reach the npm registry to find ${pkg}@${want}, and no such build is cached in ${cache}`);
  }
}

if (!existsSync(nodeIn(version))) {
  process.stderr.write(`fetching Node.js ${version} (${pkg} from the npm registry, ~50 MB) into ${cache}\n`);
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(join(cache, `.${version}.partial-`));
  try {
    const tgz = npmOut(['pack', `${pkg}@${version}`, '--pack-destination', tmp, '--silent']).split('\n').pop();
    const unpacked = join(tmp, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['xzf', join(tmp, tgz), '-C', unpacked, '--strip-components=1'], { stdio: 'inherit' });
    // Renamed into place whole, so a killed fetch never leaves a half-written build in the cache.
    if (!existsSync(nodeIn(version))) renameSync(unpacked, join(cache, version));
  } catch (err) {
    fail(`could not unpack ${pkg}@${version}: ${err.message}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
const check = spawnSync(nodeIn(version), ['--version'], { encoding: 'utf8' });
if (check.status !== 0) fail(`${nodeIn(version)} does not run on this machine: ${(check.stderr || check.error?.message || '').trim()}`);
process.stdout.write(`${binDir(version)}\n`);
