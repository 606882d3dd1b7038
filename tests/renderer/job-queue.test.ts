// @vitest-environment happy-dom
// The queue table draws a window of a big run (a run may be 10,000 jobs) around the running job and
// counts the rest by status; a small run is drawn whole.
import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import JobQueue from '../../renderer/src/components/bench/JobQueue.vue';
import type { JobRow } from '../../renderer/src/stores/bench.js';

const rows = (n: number, running: number): JobRow[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `run-1-${i}`,
    runId: 'run-1',
    label: `job ${i}`,
    status: i < running ? 'ok' : i === running ? 'running' : 'queued',
    fraction: i < running ? 1 : 0,
  }));

describe('JobQueue', () => {
  it('draws a small run whole', () => {
    const w = mount(JobQueue, { props: { jobs: rows(12, 3) } });
    expect(w.findAll('tr.job-row')).toHaveLength(12);
    expect(w.find('.queue-hidden').exists()).toBe(false);
  });

  it('draws at most 300 rows of a 10,000-job run, the running one among them, and counts the others by status', () => {
    const w = mount(JobQueue, { props: { jobs: rows(10_000, 5_000) } });
    const drawn = w.findAll('tr.job-row');
    expect(drawn).toHaveLength(300);
    expect(w.find('tr[data-job="run-1-5000"]').exists()).toBe(true);
    expect(drawn[0].attributes('data-job')).toBe('run-1-4980');
    expect(w.find('.queue-hidden').text()).toBe(
      '9,700 more jobs not drawn (4,980 ok, 4,720 queued); Cancel all and Clear finished act on them too.',
    );
    // Cancel all is about the whole queue, drawn or not.
    expect((w.find('button.cancel-all').element as HTMLButtonElement).disabled).toBe(false);
  });
});
