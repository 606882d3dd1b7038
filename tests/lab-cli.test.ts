// `lab` on the command line: bad inputs get one clear line on stderr and exit code 2.
import { describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';

const DATA = '/usr/share/datasets/fashion-mnist';

describe('lab CLI: bad inputs', () => {
  it('says when the data path does not exist', () => {
    const r = cli(['lab', '--data', '/no/such/folder', '--heads', 'gap']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/error: \/no\/such\/folder: no such file or folder/);
  });

  it('says when --data is missing', () => {
    const r = cli(['lab', '--heads', 'gap']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--data is required/);
  });

  it('names the unknown head and the heads there are', () => {
    const r = cli(['lab', '--data', DATA, '--heads', 'gap,svm']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown head 'svm'.*gap.*fc.*mlp/);
  });

  it('refuses a cut tensor that does not exist, listing candidates', () => {
    const r = cli([
      'lab',
      '--data',
      DATA,
      '--cut',
      'layer7/out',
      '--heads',
      'fc',
      '--limit',
      '10',
      '--test-limit',
      '10',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/has no tensor 'layer7\/out'.*'layer2\/out'/);
  });

  it('checks numeric flags', () => {
    const r = cli(['lab', '--data', DATA, '--epochs', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--epochs must be an integer >= 1, got '0'/);
  });
});
