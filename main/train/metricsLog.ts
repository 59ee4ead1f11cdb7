/**
 * A run's curves: metrics.jsonl in its folder, one TrainMetricPoint per line, appended as the run
 * goes, read by the Training page (live and after the run) from any line on. Resuming truncates it
 * to the lines the checkpoint had seen, so the replayed steps are not logged twice.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TrainMetricPoint } from '../../preload/contract/train';

export const METRICS_FILE = 'metrics.jsonl';

export class MetricsLog {
  readonly file: string;
  private lines: number;

  constructor(runDir: string) {
    this.file = path.join(runDir, METRICS_FILE);
    this.lines = readMetrics(runDir).points.length;
  }

  get lineCount(): number {
    return this.lines;
  }

  append(points: TrainMetricPoint[]): void {
    if (points.length === 0) return;
    fs.appendFileSync(this.file, points.map((p) => `${JSON.stringify(p)}\n`).join(''));
    this.lines += points.length;
  }

  /** Keep the first `lines` lines (write-then-rename). */
  truncate(lines: number): void {
    const kept = readMetrics(path.dirname(this.file)).points.slice(0, lines);
    const tmp = `${this.file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, kept.map((p) => `${JSON.stringify(p)}\n`).join(''));
    fs.renameSync(tmp, this.file);
    this.lines = kept.length;
  }
}

/** Points from line `after` on (a line being written at the end is left for the next read). */
export function readMetrics(runDir: string, after = 0): { points: TrainMetricPoint[]; next: number } {
  let text: string;
  try {
    text = fs.readFileSync(path.join(runDir, METRICS_FILE), 'utf8');
  } catch {
    return { points: [], next: after };
  }
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  const lines = complete.split('\n').filter((l) => l.length > 0);
  const points: TrainMetricPoint[] = [];
  for (const line of lines.slice(after)) {
    try {
      points.push(JSON.parse(line) as TrainMetricPoint);
    } catch {
      break;
    }
  }
  return { points, next: after + points.length };
}
