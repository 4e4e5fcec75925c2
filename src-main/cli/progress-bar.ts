/** A one-line progress bar on stderr, drawn only when stderr is a terminal. */
export class ProgressBar {
  private last = 0;
  private shown = false;

  constructor(private readonly label: string) {}

  update(done: number, total: number, extra = ''): void {
    if (!process.stderr.isTTY) return;
    const now = Date.now();
    if (done < total && now - this.last < 100) return;
    this.last = now;
    const width = 30;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const fill = Math.round(frac * width);
    process.stderr.write(`\r${this.label} [${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${done}/${total} ${extra}\x1b[K`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) process.stderr.write('\n');
    this.shown = false;
  }
}
