/**
 * One line of progress on a terminal, rewritten in place, for work that takes long enough to wonder about
 * (`analyze` on a large capture: seconds to minutes). It stays silent for the first second, so a small
 * capture shows nothing, and it is cleared when the work ends, so what the command prints stays clean.
 */

export interface ProgressTarget {
  isTTY?: boolean;
  write(s: string): unknown;
}

export interface ProgressLineOptions {
  /** Nothing is shown before this many milliseconds have passed. */
  after?: number;
  /** The line is redrawn at most this often. */
  every?: number;
  now?: () => number;
}

export class ProgressLine {
  private readonly start: number;
  private readonly after: number;
  private readonly every: number;
  private readonly now: () => number;
  private shownAt = -Infinity;
  private shown = false;

  constructor(private readonly target: ProgressTarget, private readonly label: string, options: ProgressLineOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.start = this.now();
    this.after = options.after ?? 1000;
    this.every = options.every ?? 200;
  }

  /** A progress line only means something on a terminal; in a log or a pipe it would be noise. */
  static forStderr(label: string): ProgressLine | undefined {
    return process.stderr.isTTY ? new ProgressLine(process.stderr, label) : undefined;
  }

  /** "parsing 120,000 of 200,006 messages"; `force` draws it even within the redraw interval (a new phase). */
  update(text: string, force = false): void {
    const t = this.now();
    if (t - this.start < this.after || (!force && t - this.shownAt < this.every)) return;
    this.shownAt = t;
    this.shown = true;
    this.target.write(`\r\x1b[K${this.label}: ${text}, ${((t - this.start) / 1000).toFixed(0)} s`);
  }

  /** Counted work: "parsing messages 81,920 of 200,006 (40 %)". */
  count(what: string, done: number, total: number): void {
    this.update(`${what} ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} (${percent(done, total)} %)`, done === total);
  }

  /** Work whose steps mean nothing to the reader: "checking the rules: 40 %". */
  share(what: string, done: number, total: number): void {
    this.update(`${what}: ${percent(done, total)} %`, done === total);
  }

  /** Erases the line, if one was drawn. */
  done(): void {
    if (this.shown) this.target.write('\r\x1b[K');
    this.shown = false;
  }
}

const percent = (done: number, total: number) => (total > 0 ? Math.floor((100 * done) / total) : 100);
