// The filter flags of the commands that choose saved results (results list/export, push, pull), and
// the ResultFilter they make: one definition, so every such command filters and words it alike.
import type { Command } from 'commander';
import { StudioError } from '../../shared/ir/types.js';
import type { ResultFilter } from '../store/results-store.js';

export interface FilterOptions {
  target?: string;
  backend?: string;
  status?: string;
  group?: string;
  since?: string;
  until?: string;
  json?: boolean;
}

/** Adds --target, --backend, --status, --group, --since, --until and --json. */
export function withFilterOptions(cmd: Command): Command {
  return cmd
    .option('--target <name>', 'only this target (block, model, model/variant or file)')
    .option('--backend <name>', 'only this backend')
    .option('--status <status>', 'ok, failed or cancelled')
    .option('--group <id>', 'only this sweep or comparison group')
    .option('--since <date>', 'created at or after (2026-01-31 or ISO 8601)')
    .option('--until <date>', 'created at or before')
    .option('--json', 'print one JSON document');
}

export function filterFrom(o: FilterOptions): ResultFilter {
  if (o.status && !['ok', 'failed', 'cancelled'].includes(o.status))
    throw new StudioError(`--status must be ok, failed or cancelled, got '${o.status}'`, 'bad-parameter');
  return {
    target: o.target,
    backend: o.backend,
    status: o.status as ResultFilter['status'],
    group: o.group,
    since: o.since,
    until: o.until,
  };
}
