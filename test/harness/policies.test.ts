// The test harness puts the machine-wide policies.json back exactly, even when one process
// installs twice (a superseded handle must not undo the newer one).
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installPolicies } from '../support/thunderbird/policies.ts';

describe('installPolicies', () => {
  it('restores the previous file, and a superseded handle leaves the newer install alone', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'policies-')), 'policies.json');
    writeFileSync(path, '{"policies":{"before":true}}');
    const first = installPolicies({ policies: { n: 1 } }, path);
    const second = installPolicies({ policies: { n: 2 } }, path);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ policies: { n: 2 } });
    first.restore(); // superseded: must neither throw nor put the old file back under the second
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ policies: { n: 2 } });
    second.restore();
    expect(readFileSync(path, 'utf8')).toBe('{"policies":{"before":true}}');
    expect(existsSync(`${path}.suivi-test-backup`)).toBe(false);
    second.restore(); // idempotent
  });

  it('removes the file it created when there was none', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'policies-')), 'sub', 'policies.json');
    const handle = installPolicies({ policies: {} }, path);
    expect(existsSync(path)).toBe(true);
    handle.restore();
    expect(existsSync(path)).toBe(false);
  });
});
