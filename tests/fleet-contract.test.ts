// What an agent accepts from the queue (main/fleet/contract.ts), without a database: the remote job's
// schema (strict at every depth), the file-target rule (a model by hash, never a path on the agent),
// the agent's limits, and the destinations of `bench --on`.
import { describe, expect, it } from 'vitest';
import { JOB_SCHEMA_VERSION } from '../shared/contract/job.js';
import {
  blobPath,
  parseDestinations,
  queueOf,
  RefusedJobError,
  unknownFields,
  validateRemoteJob,
} from '../main/fleet/contract.js';

const sha = 'a'.repeat(64);
const good = (job: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  version: 1,
  runId: 'run-1',
  destination: 'tag:cpu',
  requestedBy: 'me@host',
  job: {
    version: JOB_SCHEMA_VERSION,
    id: 'run-1-1-pointwise',
    target: { kind: 'block', name: 'pointwise', params: { height: '8' } },
    backend: { backend: 'ort-cpu' },
    ...job,
  },
  ...extra,
});

const refused = (data: unknown, limits?: Parameters<typeof validateRemoteJob>[1]) => {
  try {
    validateRemoteJob(data, limits);
  } catch (e) {
    expect(e).toBeInstanceOf(RefusedJobError);
    return (e as Error).message;
  }
  throw new Error('accepted');
};

describe('a remote job', () => {
  it('is accepted whole, with the contract defaults filled in', () => {
    const j = validateRemoteJob(good());
    expect(j.job.batch).toBe(1);
    expect(j.job.measure.minRuns).toBe(10);
    const file = validateRemoteJob(
      good(
        { target: { kind: 'file', path: blobPath(sha), dims: {} } },
        { model: { sha256: sha, bytes: 10, name: 'm.onnx' } },
      ),
    );
    expect(file.model?.name).toBe('m.onnx');
  });

  it('is refused, naming the field, when it is not a job', () => {
    expect(refused(null)).toMatch(/does not match the job schema/);
    expect(refused('rm -rf /')).toMatch(/does not match the job schema/);
    expect(refused(good({ batch: 1e9 }))).toMatch(/job\.batch: .*65536/);
    expect(refused(good({ batch: -1 }))).toMatch(/job\.batch/);
    expect(refused(good({ backend: { backend: 'ort-tpu' } }))).toMatch(/job\.backend\.backend/);
    expect(refused({ ...good(), version: 2 })).toMatch(/version/);
    expect(refused(good({ measure: { minTimeS: 5, maxTimeS: 1 } }))).toMatch(/minTimeS must not exceed/);
  });

  it('is refused when it carries fields nobody asked for, at any depth', () => {
    expect(refused({ ...good(), exec: 'x' })).toMatch(/exec/);
    expect(refused(good({ env: { LD_PRELOAD: '/tmp/x.so' } }))).toMatch(/unknown fields: job\.env/);
    expect(refused(good({ target: { kind: 'block', name: 'pointwise', params: {}, path: '/etc' } }))).toMatch(
      /job\.target\.path/,
    );
  });

  it('runs only a model sent by hash: never a path on the agent', () => {
    expect(refused(good({ target: { kind: 'file', path: '/etc/passwd', dims: {} } }))).toMatch(
      /must be a model sent by hash .*'\/etc\/passwd'/,
    );
    expect(
      refused(
        good(
          { target: { kind: 'file', path: '../../secret.onnx', dims: {} } },
          { model: { sha256: sha, bytes: 1, name: 'm' } },
        ),
      ),
    ).toMatch(/must be its model sent by hash \(blob:a{64}\)/);
    expect(refused(good({}, { model: { sha256: sha, bytes: 1, name: 'm' } }))).toMatch(/takes no model file/);
    expect(
      refused(
        good(
          { target: { kind: 'file', path: blobPath(sha), dims: {} } },
          { model: { sha256: sha, bytes: 1, name: '../m' } },
        ),
      ),
    ).toMatch(/model\.name: must be a file name/);
    expect(
      refused(
        good(
          { target: { kind: 'file', path: blobPath('ABC'), dims: {} } },
          { model: { sha256: 'ABC', bytes: 1, name: 'm' } },
        ),
      ),
    ).toMatch(/model\.sha256/);
    expect(refused(good({ target: { kind: 'block', name: '../../etc/passwd', params: {} } }))).toMatch(
      /not a block or model name/,
    );
  });

  it("is held to the agent's limits", () => {
    const model = { sha256: sha, bytes: 2 ** 30, name: 'big.onnx' };
    expect(refused(good({ target: { kind: 'file', path: blobPath(sha), dims: {} } }, { model }))).toMatch(
      /1073741824 bytes, over this agent's limit of 268435456 bytes/,
    );
    expect(refused(good({ timeLimitS: 7200 }), { maxModelBytes: 1, maxTimeLimitS: 60 })).toMatch(
      /timeLimitS 7200 s is over this agent's limit of 60 s/,
    );
  });

  it('finds the fields a parse dropped', () => {
    expect(
      unknownFields({ a: 1, b: { c: 2, d: 3 }, e: [{ f: 1, g: 2 }] }, { a: 1, b: { c: 2 }, e: [{ f: 1 }] }),
    ).toEqual(['b.d', 'e[0].g']);
    expect(unknownFields({ a: 1 }, { a: 1, added: 2 })).toEqual([]);
  });
});

describe('destinations of bench --on', () => {
  it('are agent names and tags, one queue each, duplicates merged', () => {
    const d = parseDestinations('alpha, tag:cuda,alpha,tag:laptop');
    expect(d.map(queueOf)).toEqual(['agent.alpha', 'tag.cuda', 'tag.laptop']);
  });

  it('refuse what is not a name', () => {
    for (const bad of ['../x', 'tag:', 'a b', 'tag:x.y', ',', 'x'.repeat(64)])
      expect(() => parseDestinations(bad), bad).toThrow(/--on/);
  });
});
