import type { Command } from 'commander';
import { BLOCKS } from '../../../shared/blocks/registry.js';
import type { ParamSpec } from '../../../shared/blocks/block-spec.js';
import { MODELS } from '../../../shared/models/registry.js';
import { grouped, table } from '../format.js';
import { action, printJson, printText } from '../io.js';

function describeRange(p: ParamSpec): string {
  if (p.kind === 'enum') return p.choices.join('|');
  if (p.kind === 'bool') return 'true|false';
  return `${p.min ?? ''}..${p.max ?? ''}`;
}

export function registerCatalog(program: Command): void {
  program
    .command('blocks')
    .description('list the block catalog with every parameter and its default')
    .option('--json', 'print one JSON document')
    .action(
      action((opts: { json?: boolean }) => {
        if (opts.json) {
          printJson({ blocks: BLOCKS.map(({ build: _build, ...b }) => b) });
          return;
        }
        for (const b of BLOCKS) {
          printText(`${b.name} — ${b.title} (seeds ${b.seeds.join(', ')})\n  ${b.description}`);
          printText(
            table(
              ['  parameter', 'default', 'allowed', 'meaning'],
              b.params.map((p) => [`  ${p.name}`, String(p.default), describeRange(p), p.description]),
            ) + '\n',
          );
        }
        printText(`Use: npm run cli -- cost <block> --set key=value,...`);
      }),
    );

  program
    .command('zoo')
    .description('list the model zoo with variants and published parameter counts')
    .option('--json', 'print one JSON document')
    .action(
      action((opts: { json?: boolean }) => {
        if (opts.json) {
          printJson({ models: MODELS.map(({ build: _build, ...m }) => m) });
          return;
        }
        const rows = MODELS.flatMap((m) =>
          m.variants.map((v) => {
            const pub = m.published[v];
            return [
              v === m.defaultVariant ? m.name : m.name,
              v + (v === m.defaultVariant ? ' (default)' : ''),
              pub?.params ? grouped(pub.params) : '',
              pub?.trainableParams ? grouped(pub.trainableParams) : '',
              m.variantNotes[v] ?? '',
            ];
          }),
        );
        printText(table(['model', 'variant', 'published params', 'published trainable', 'notes'], rows));
        printText(`\nUse: npm run cli -- cost <model> --variant <variant> [--input 1x3x224x224]`);
      }),
    );
}
