// Precision as a sweep axis and as part of a job and a result (contracts stay backward compatible).
import { describe, expect, it } from 'vitest';
import { BenchRequestSchema } from '../shared/contract/api.js';
import { JobSpecSchema, jobLabel } from '../shared/contract/job.js';
import { ResultSchema } from '../shared/contract/result.js';
import { WorkerPayloadSchema } from '../main/process/job-protocol.js';
import { configKey, expandSweep } from '../shared/bench/sweep.js';

describe('precision in the engine contracts', () => {
  it('expands precisions as a sweep axis, with calibration on int8 jobs only', () => {
    const jobs = expandSweep({
      targets: [{ kind: 'block', name: 'pointwise', params: {} }],
      backends: ['ort-cpu'],
      precisions: ['fp32', 'fp16', 'int8'],
      calibration: { method: 'entropy', samples: 3 },
      group: 'g',
    });
    expect(jobs.map((j) => j.precision)).toEqual(['fp32', 'fp16', 'int8']);
    expect(jobs[0].calibration).toBeUndefined();
    expect(jobs[1].calibration).toBeUndefined();
    expect(jobs[2].calibration).toEqual({ method: 'entropy', samples: 3, seed: 1000, percentile: 99.999 });
    expect(jobs.map((j) => j.id)).toEqual([
      'g-1-pointwise-ort-cpu-b1-t0-r0',
      'g-2-pointwise-ort-cpu-fp16-b1-t0-r0',
      'g-3-pointwise-ort-cpu-int8-b1-t0-r0',
    ]);
    expect(new Set(jobs.map(configKey)).size).toBe(3);
    expect(jobLabel(jobs[0])).toBe('pointwise on ort-cpu, batch 1');
    expect(jobLabel(jobs[2])).toBe('pointwise int8 on ort-cpu, batch 1');
  });

  it('keeps old jobs and results valid: precision defaults to fp32, the details are optional', () => {
    const job = JobSpecSchema.parse({
      version: 1,
      id: 'a',
      target: { kind: 'block', name: 'conv' },
      backend: { backend: 'ort-cpu' },
    });
    expect(job.precision).toBe('fp32');
    expect(job.calibration).toBeUndefined();
    expect(() => JobSpecSchema.parse({ ...job, precision: 'int4' })).toThrow();
    expect(() => JobSpecSchema.parse({ ...job, calibration: { method: 'mse' } })).toThrow();
    expect(WorkerPayloadSchema.parse({}).precision).toBeUndefined();
    const details = {
      precision: 'int8',
      fidelity: {
        reference: 'ort cpu fp32',
        inputs: 'seed 0',
        outputs: [
          {
            name: 'y',
            shape: [1, 10],
            maxAbsError: 0.1,
            meanAbsError: 0.01,
            relError: null,
            cosine: 0.999,
            top1Agreement: 1,
            elements: 10,
          },
        ],
        overall: { maxAbsError: 0.1, meanAbsError: 0.01, relError: null, cosine: 0.999, elements: 10 },
      },
      calibration: { method: 'minmax', samples: 8, source: 'seeded-random', seed: 1000, tensors: 5, ms: 12 },
    };
    expect(WorkerPayloadSchema.parse({ precision: details }).precision!.notes).toEqual([]);
    expect(ResultSchema.shape.precision.parse(details)!.fidelity!.overall.relError).toBeNull();
  });

  it('accepts fp16 and int8 with a calibration in the app API', () => {
    const req = BenchRequestSchema.parse({
      targets: [{ kind: 'block', name: 'conv' }],
      backends: ['ort-cpu'],
      precision: ['fp32', 'int8'],
      calibration: { method: 'percentile', percentile: 99.99 },
    });
    expect(req.precision).toEqual(['fp32', 'int8']);
    expect(req.calibration).toMatchObject({ method: 'percentile', percentile: 99.99, samples: 8 });
  });
});
