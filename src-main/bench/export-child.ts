// Child process of bench:core: exports one checkpoint and reports its time and this process's peak RSS.
import { exportT5 } from '../engine/onnx/export-t5';

const [checkpoint, out] = process.argv.slice(2) as [string, string];
const m = await exportT5(checkpoint, out);
process.stdout.write(`${JSON.stringify({ exportMs: m.exportMs, weightBytes: m.weightBytes, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
