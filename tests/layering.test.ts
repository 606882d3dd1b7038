// The layering rule lives in eslint.config.js; these cases prove it refuses what it must.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('..', import.meta.url).pathname });

async function messages(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layering lint rule', () => {
  const cases: { name: string; file: string; code: string; refused: boolean }[] = [
    {
      name: 'shared importing node:fs',
      file: 'shared/graph/x.ts',
      code: "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n",
      refused: true,
    },
    {
      name: 'shared importing fs',
      file: 'shared/graph/x.ts',
      code: "import fs from 'fs';\nexport const f = fs;\n",
      refused: true,
    },
    {
      name: 'shared importing main/',
      file: 'shared/cost/x.ts',
      code: "import { loadTarget } from '../../main/targets.js';\nexport const f = loadTarget;\n",
      refused: true,
    },
    {
      name: 'shared using the DOM',
      file: 'shared/graph/x.ts',
      code: 'export const w = window.innerWidth;\n',
      refused: true,
    },
    { name: 'shared using process', file: 'shared/graph/x.ts', code: 'export const e = process.env;\n', refused: true },
    {
      name: 'renderer importing main/',
      file: 'renderer/src/x.ts',
      code: "import { loadTarget } from '../../main/targets.js';\nexport const f = loadTarget;\n",
      refused: true,
    },
    {
      name: 'renderer importing electron',
      file: 'renderer/src/x.ts',
      code: "import { ipcRenderer } from 'electron';\nexport const f = ipcRenderer;\n",
      refused: true,
    },
    {
      name: 'shared importing shared',
      file: 'shared/cost/x.ts',
      code: "import { numel } from '../graph/types.js';\nexport const f = numel;\n",
      refused: false,
    },
    {
      name: 'main importing node:fs',
      file: 'main/x.ts',
      code: "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n",
      refused: false,
    },
  ];
  for (const c of cases)
    it(`${c.refused ? 'refuses' : 'allows'} ${c.name}`, async () => {
      const found = await messages(c.code, c.file);
      if (c.refused) expect(found.some((m) => /no-restricted-(imports|globals)|no-undef/.test(m))).toBe(true);
      else expect(found).toEqual([]);
    });
});
