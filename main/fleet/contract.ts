// What crosses the queue between an enqueuer and a fleet agent (docs/FLEET.md): the remote job, the
// names of queues and destinations, and the limits an agent holds a job to. Everything an agent takes
// from the queue is checked here before anything runs: a job is data from whoever can write to the
// database, never a command the agent trusts.
import { z } from 'zod';
import { JobSpecSchema, type JobSpec } from '../../shared/contract/job.js';
import { StudioError } from '../../shared/ir/types.js';

export const REMOTE_JOB_VERSION = 1;

/** Agent names and tags: short, plain words (they become queue names and appear in logs). */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/** A model sent with a job: its content hash, its size and a name for people (never a path). */
export const ModelRefSchema = z
  .object({
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
    bytes: z.number().int().positive(),
    name: z
      .string()
      .min(1)
      .max(200)
      // eslint-disable-next-line no-control-regex -- control characters are what it refuses
      .regex(/^[^/\\\u0000-\u001f]+$/, 'must be a file name, not a path')
      .refine((n) => n !== '.' && n !== '..', 'must be a file name, not a path'),
  })
  .strict();
export type ModelRef = z.infer<typeof ModelRefSchema>;

/** How a file target of a remote job names its model: by hash, never by a path on the agent. */
export const blobPath = (sha256: string) => `blob:${sha256}`;

/**
 * The payload of one pg-boss job: one benchmark job (the enqueuer's plan, ids and all), the model it
 * needs, who asked and the run it belongs to. Unknown fields are refused (strict), at every depth
 * (see unknownFields: the contract's JobSpecSchema strips them silently).
 */
export const RemoteJobSchema = z
  .object({
    version: z.literal(REMOTE_JOB_VERSION),
    runId: z.string().regex(/^[A-Za-z0-9._-]{1,120}$/),
    /** The destination as asked (`NAME` or `tag:TAG`). */
    destination: z.string().min(1).max(80),
    requestedBy: z.string().min(1).max(200),
    job: JobSpecSchema,
    model: ModelRefSchema.optional(),
  })
  .strict();
export type RemoteJob = z.infer<typeof RemoteJobSchema>;

/** What an agent holds a job to, beyond the contract's schema. */
export interface AgentLimits {
  /** Largest model an agent downloads, bytes. */
  maxModelBytes: number;
  /** Longest job it runs (the job's timeLimitS), seconds. */
  maxTimeLimitS: number;
}

export const DEFAULT_MAX_MODEL_BYTES = 256 * 2 ** 20;
export const DEFAULT_LIMITS: AgentLimits = { maxModelBytes: DEFAULT_MAX_MODEL_BYTES, maxTimeLimitS: 3600 };

/** Where a job goes: one agent by name, or every agent with a tag (the first one free takes it). */
export type Destination = { kind: 'agent'; name: string } | { kind: 'tag'; tag: string };

export const queueOf = (d: Destination): string => (d.kind === 'agent' ? `agent.${d.name}` : `tag.${d.tag}`);
export const destinationText = (d: Destination): string => (d.kind === 'agent' ? d.name : `tag:${d.tag}`);

/** `--on a1,tag:cuda` as destinations (duplicates merged); a bad name is an error that names it. */
export function parseDestinations(text: string): Destination[] {
  const out = new Map<string, Destination>();
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const isTag = item.startsWith('tag:');
    const name = isTag ? item.slice(4) : item;
    if (!NAME_PATTERN.test(name))
      throw new StudioError(
        `--on: '${item}' is not an agent name or tag:TAG (letters, digits, '-' and '_', at most 63)`,
        'bad-parameter',
      );
    const d: Destination = isTag ? { kind: 'tag', tag: name } : { kind: 'agent', name };
    out.set(queueOf(d), d);
  }
  if (!out.size) throw new StudioError('--on needs an agent name or tag:TAG', 'bad-parameter');
  return [...out.values()];
}

/** Checks an agent name or tag; returns it. */
export function checkName(value: string, what: string): string {
  if (!NAME_PATTERN.test(value))
    throw new StudioError(
      `${what} '${value}' must be letters, digits, '-' and '_' (at most 63, starting with a letter or digit)`,
      'bad-parameter',
    );
  return value;
}

/**
 * Fields of `input` that a parse dropped (unknown fields: zod objects strip them): paths like
 * `job.target.evil`. Defaults only add fields, so whatever is in the input and not in the output was
 * not understood.
 */
export function unknownFields(input: unknown, output: unknown, path = ''): string[] {
  if (!isPlainObject(input) || !isPlainObject(output)) {
    if (Array.isArray(input) && Array.isArray(output))
      return input.flatMap((v, i) => unknownFields(v, output[i], `${path}[${i}]`));
    return [];
  }
  const found: string[] = [];
  for (const key of Object.keys(input)) {
    const p = path ? `${path}.${key}` : key;
    if (!Object.hasOwn(output, key)) found.push(p);
    else found.push(...unknownFields(input[key], output[key], p));
  }
  return found;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A job refused before anything ran, and why (the reason names the field). */
export class RefusedJobError extends Error {}

/**
 * Validates a payload taken from the queue: the schema (strict, at every depth), the file-target
 * rule (a model by hash, never a path on this machine) and the agent's limits. Throws
 * RefusedJobError naming what is wrong; nothing has run.
 */
export function validateRemoteJob(data: unknown, limits: AgentLimits = DEFAULT_LIMITS): RemoteJob {
  const parsed = RemoteJobSchema.safeParse(data);
  if (!parsed.success)
    throw new RefusedJobError(
      `the job does not match the job schema: ${parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`)
        .join('; ')}`,
    );
  const extra = unknownFields(data, parsed.data);
  if (extra.length) throw new RefusedJobError(`the job has unknown fields: ${extra.slice(0, 10).join(', ')}`);
  const job = parsed.data;
  checkTarget(job.job, job.model);
  if (job.model && job.model.bytes > limits.maxModelBytes)
    throw new RefusedJobError(
      `the model ${job.model.name} is ${job.model.bytes} bytes, over this agent's limit of ${limits.maxModelBytes} bytes`,
    );
  if (job.job.timeLimitS > limits.maxTimeLimitS)
    throw new RefusedJobError(
      `timeLimitS ${job.job.timeLimitS} s is over this agent's limit of ${limits.maxTimeLimitS} s`,
    );
  return job;
}

function checkTarget(job: JobSpec, model: ModelRef | undefined): void {
  const t = job.target;
  if (t.kind === 'file') {
    if (!model)
      throw new RefusedJobError(
        `a remote job's file target must be a model sent by hash (blob:<sha256>), not a path on the agent: '${t.path}'`,
      );
    if (t.path !== blobPath(model.sha256))
      throw new RefusedJobError(
        `a remote job's file target must be its model sent by hash (${blobPath(model.sha256)}), not a path on the agent: '${t.path}'`,
      );
  } else if (model) throw new RefusedJobError(`a ${t.kind} target takes no model file`);
  // Names of blocks and models are looked up in the catalogs, never opened as files; still, no path.
  if (t.kind !== 'file' && /[/\\]|\.\./.test(t.name))
    throw new RefusedJobError(`target name '${t.name}' is not a block or model name`);
}
