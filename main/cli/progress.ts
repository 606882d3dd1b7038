// Terminal progress for `bench`: one bar per job on a TTY (cli-progress), one line per job
// otherwise (a log file or CI), always on stderr so stdout keeps only the results.
import { terminalSafe } from './io.js';
import cliProgress from 'cli-progress';
import type { BenchEvents } from '../services/bench.js';

/** What the bars follow: the bench service's job events (one run at a time in the CLI). */
interface ProgressSource {
  on<K extends 'job-start' | 'progress' | 'job-end'>(event: K, cb: (e: BenchEvents[K]) => void): () => void;
}

export function attachProgress(queue: ProgressSource, total: number): () => void {
  const offs: (() => void)[] = [];
  if (!process.stderr.isTTY) {
    offs.push(
      queue.on('job-start', (e) => process.stderr.write(terminalSafe(`[${e.index + 1}/${total}] ${e.label}\n`))),
    );
    offs.push(
      queue.on('job-end', (e) => {
        const s = e.result.stats;
        process.stderr.write(
          terminalSafe(
            `  -> ${e.result.status}${s ? `: p50 ${s.p50.toFixed(3)} ms over ${s.n} runs` : `: ${e.result.failure?.reason ?? ''}`}\n`,
          ),
        );
      }),
    );
    return () => offs.forEach((off) => off());
  }
  const bars = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      format: ' {bar} {label} | {phase} {value}/{total} {median}',
      hideCursor: true,
      clearOnComplete: false,
      barsize: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  let bar: cliProgress.SingleBar | undefined;
  offs.push(
    queue.on('job-start', (e) => {
      bar = bars.create(1, 0, {
        label: terminalSafe(`[${e.index + 1}/${total}] ${e.label}`),
        phase: 'start',
        median: '',
      });
    }),
  );
  offs.push(
    queue.on('progress', ({ progress: p }) => {
      if (!bar) return;
      const counted = p.total && p.total > 0;
      bar.setTotal(counted ? p.total! : Math.max(1, p.done));
      bar.update(p.done, {
        phase: p.phase,
        median: p.medianMs !== undefined ? `median ${p.medianMs.toFixed(3)} ms` : '',
      });
    }),
  );
  offs.push(
    queue.on('job-end', (e) => {
      if (!bar) return;
      const s = e.result.stats;
      bar.update(bar.getTotal(), {
        phase: e.result.status,
        median: s ? `p50 ${s.p50.toFixed(3)} ms (n=${s.n})` : (e.result.failure?.kind ?? ''),
      });
      bar.stop();
    }),
  );
  return () => {
    offs.forEach((off) => off());
    bars.stop();
  };
}
