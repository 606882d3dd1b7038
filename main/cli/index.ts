#!/usr/bin/env node
// The studio's command line: the same engine as the app, headless.
import { Command } from 'commander';
import { registerAccuracy } from './commands/accuracy.js';
import { registerBackends } from './commands/backends.js';
import { registerBench } from './commands/bench.js';
import { registerCatalog } from './commands/catalog.js';
import { registerCompare } from './commands/compare.js';
import { registerCompareBackends } from './commands/compare-backends.js';
import { registerCost } from './commands/cost.js';
import { registerExport } from './commands/export.js';
import { registerHw } from './commands/hw.js';
import { registerLab } from './commands/lab.js';
import { registerPrecision } from './commands/precision.js';
import { registerResults } from './commands/results.js';
import { registerVerify } from './commands/verify.js';

const program = new Command()
  .name('bottleneck-studio')
  .description('Bottleneck Studio: analytic costs, comparisons and ONNX export of CNN blocks and models')
  .showHelpAfterError()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

registerCatalog(program);
registerCost(program);
registerCompare(program);
registerExport(program);
registerHw(program);
registerBench(program);
registerBackends(program);
registerResults(program);
registerVerify(program);
registerCompareBackends(program);
registerPrecision(program);
registerAccuracy(program);
registerLab(program);

await program.parseAsync(process.argv);
