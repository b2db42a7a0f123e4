// Configuration: managed over local over defaults, per-key validation, last valid value kept.
import { describe, expect, it } from 'vitest';
import { balfAddressOf, LAST_VALID_KEY, loadConfig, readManaged } from '../../src/extension/config.ts';
import { FakeMessenger } from './fake-messenger.ts';

const SECRET = 'secret-de-deploiement-0123456789';

function storage(fake: FakeMessenger) {
  return { managed: fake.api.storage.managed, local: fake.api.storage.local };
}

describe('configuration', () => {
  it('treats a missing policy as "not managed", not as an error', async () => {
    const fake = new FakeMessenger();
    expect(await readManaged(fake.api.storage.managed)).toBeNull();
    const effective = await loadConfig(storage(fake));
    expect(effective.managed).toBe(false);
    expect(effective.errors).toEqual([]);
    expect(effective.config.backfillDays).toBe(90);
    expect(effective.config.uploadIntervalMinutes).toBe(15);
    expect(effective.config.primaryTarget.workingDays).toBe(5);
    expect(effective.config.region).toBe('metropole');
    expect(effective.sources.backfillDays).toBe('default');
    expect(effective.sources.endpoint).toBe('unset');
  });

  it('rethrows a managed-storage failure that is not "no policy"', async () => {
    await expect(readManaged({ get: async () => Promise.reject(new Error('disk on fire')) })).rejects.toThrow(
      'disk on fire',
    );
  });

  it('lets managed values win over local ones, key by key, and says where each came from', async () => {
    const fake = new FakeMessenger();
    fake.managed = {
      endpoint: 'https://collecte.example.fr/',
      secret: SECRET,
      balfs: ['SIP.Test@dgfip.finances.gouv.fr'],
    };
    fake.local.config = { endpoint: 'http://127.0.0.1:9/', backfillDays: 30, department: '67' };
    const effective = await loadConfig(storage(fake));
    expect(effective.managed).toBe(true);
    expect(effective.config.endpoint).toBe('https://collecte.example.fr');
    expect(effective.sources.endpoint).toBe('managed');
    expect(effective.config.balfs).toEqual(['sip.test@dgfip.finances.gouv.fr']);
    expect(effective.config.backfillDays).toBe(30);
    expect(effective.sources.backfillDays).toBe('local');
    expect(effective.config.region).toBe('alsace-moselle');
  });

  it('reports an invalid value with its key and reason and keeps the last valid one', async () => {
    const fake = new FakeMessenger();
    fake.managed = { uploadIntervalMinutes: 5, secret: SECRET };
    await loadConfig(storage(fake));
    expect(fake.local[LAST_VALID_KEY]).toMatchObject({ uploadIntervalMinutes: 5 });

    fake.managed = { uploadIntervalMinutes: 'souvent', secret: 'court', balfPattern: '([' };
    const effective = await loadConfig(storage(fake));
    const keys = effective.errors.map((e) => e.key).sort();
    expect(keys).toEqual(['balfPattern', 'secret', 'uploadIntervalMinutes']);
    expect(effective.errors.find((e) => e.key === 'secret')?.reason).toMatch(/16 caractères/);
    expect(effective.errors.find((e) => e.key === 'balfPattern')?.reason).toMatch(/expression régulière/);
    expect(effective.config.uploadIntervalMinutes).toBe(5);
    expect(effective.sources.uploadIntervalMinutes).toBe('last-valid');
    expect(effective.config.secret).toBe(SECRET);
    expect(effective.config.balfPattern).toBeUndefined();
  });

  it('does not fall back to a local value when the managed one is invalid', async () => {
    const fake = new FakeMessenger();
    fake.managed = { backfillDays: -3 };
    fake.local.config = { backfillDays: 10 };
    const effective = await loadConfig(storage(fake));
    expect(effective.config.backfillDays).toBe(90);
    expect(effective.sources.backfillDays).toBe('default');
    expect(effective.errors).toEqual([expect.objectContaining({ key: 'backfillDays', source: 'managed' })]);
  });

  it('reports a primary target missing from the targets', async () => {
    const fake = new FakeMessenger();
    fake.local.config = {
      targets: [{ id: 'rapide', label: 'Rapide', workingDays: 1 }],
      primaryTarget: 'absente',
    };
    const effective = await loadConfig(storage(fake));
    expect(effective.errors.map((e) => e.key)).toContain('primaryTarget');
    expect(effective.config.primaryTarget).toEqual({ id: 'rapide', label: 'Rapide', workingDays: 1 });
  });

  it('recognises BALF accounts by address list or by pattern', async () => {
    const fake = new FakeMessenger();
    fake.managed = { balfs: ['sip.a@dgfip.finances.gouv.fr'], balfPattern: '^sie\\.' };
    const { config } = await loadConfig(storage(fake));
    expect(balfAddressOf(config, [{ email: 'agent@x.fr' }, { email: 'SIP.A@dgfip.finances.gouv.fr' }])).toBe(
      'sip.a@dgfip.finances.gouv.fr',
    );
    expect(balfAddressOf(config, [{ email: 'sie.b@dgfip.finances.gouv.fr' }])).toBe(
      'sie.b@dgfip.finances.gouv.fr',
    );
    expect(balfAddressOf(config, [{ email: 'agent@dgfip.finances.gouv.fr' }])).toBeUndefined();
  });
});
