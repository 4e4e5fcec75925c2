// Display formatting only (numbers come computed from the engine).
/** A number to show: NaN and ±Infinity (IPC keeps them; JSON over HTTP turns them into null) show as missing too. */
const shown = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);

export function num(v: number | null | undefined, digits = 1): string {
  return shown(v) ? v.toFixed(digits) : '–';
}

export function pct(v: number | null | undefined, digits = 1): string {
  return shown(v) ? `${v.toFixed(digits)}%` : '–';
}

export function share(v: number | null | undefined): string {
  return shown(v) ? `${(v * 100).toFixed(0)}%` : '–';
}

export function speedup(v: number | null | undefined): string {
  return shown(v) ? `${v.toFixed(2)}×` : '–';
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function duration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '–';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

export function time(iso: string | null): string {
  return iso ? iso.replace('T', ' ').slice(0, 19) : '–';
}

/** Offers `content` as a file download (browser and Electron alike). */
export function saveFile(fileName: string, mimeType: string, content: string): void {
  const url = URL.createObjectURL(new Blob([content], { type: mimeType }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
