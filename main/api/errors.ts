// The one error type the API answers with: a `code` the renderer can branch on and a message the
// user can act on. Every failure inside a handler (a StudioError from the engine, a zod error, a
// runtime refusal, a bug) is turned into one of these at the API boundary, so that both transports
// (Electron IPC and the web server) send the same `{ code, message }` and never a stack trace.
import type { z } from 'zod';
import type { ApiErrorBody } from '../../shared/contract/api.js';
import { StudioError } from '../../shared/ir/types.js';
import { RefusedError } from '../backends/backend.js';

export type ApiErrorCode = ApiErrorBody['code'];

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): ApiErrorBody {
    return { code: this.code, message: this.message };
  }
}

/** `targets[0].name` from zod's path ['targets', 0, 'name']. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out;
}

type Issue = z.core.$ZodIssue;

/** One issue as text; a union names what each alternative expected instead of zod's bare "Invalid input". */
function issueText(issue: Issue, prefix: readonly PropertyKey[] = []): string {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length) {
    const alternatives = issue.errors.map((branch) => branch[0]?.message).filter(Boolean);
    return `${fieldPath(path) || 'the request'}: ${[...new Set(alternatives)].join(', or ')}`;
  }
  return `${fieldPath(path) || 'the request'}: ${issue.message}`;
}

/** A request that failed its schema, as an ApiError naming each bad field and what to do. */
export function validationError(method: string, error: z.ZodError): ApiError {
  const issues = error.issues.slice(0, 5).map((i) => issueText(i));
  const more = error.issues.length > 5 ? ` (and ${error.issues.length - 5} more)` : '';
  return new ApiError(
    'bad-request',
    `invalid request for ${method}: ${issues.join('; ')}${more}. Correct ${error.issues.length === 1 ? 'this field' : 'these fields'} and send the request again.`,
  );
}

/** Any thrown value as an ApiError: user-fixable errors keep their message, bugs say where they happened. */
export function toApiError(e: unknown, method: string): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof StudioError) {
    const code: ApiErrorCode =
      e.code === 'not-found' ? 'not-found' : e.code === 'io-error' ? 'internal' : 'bad-request';
    return new ApiError(code, e.message);
  }
  if (e instanceof RefusedError) return new ApiError('refused', e.message);
  if (e && typeof e === 'object' && (e as { name?: string }).name === 'ZodError')
    return validationError(method, e as z.ZodError);
  const message = e instanceof Error ? e.message : String(e);
  return new ApiError('internal', `${method} failed unexpectedly: ${message}`);
}
