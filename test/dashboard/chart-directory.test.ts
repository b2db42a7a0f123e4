// @vitest-environment happy-dom
// Chart axis labels and point read-outs; the directory page's listing and import preview.
import { describe, expect, it } from 'vitest';
import type { DirectoryPreview } from '../../src/dashboard/api.ts';
import { axisIndices, pointText, type ChartSpec } from '../../src/dashboard/views/chart.ts';
import { historyText, renderPreview } from '../../src/dashboard/views/directory-preview.ts';
import { renderListing } from '../../src/dashboard/views/directory.ts';

describe('chart labels', () => {
  it('labels every point when they fit, else every k-th counted back from the last, never twice', () => {
    expect(axisIndices(7, 1000)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const thinned = axisIndices(31, 700);
    expect(thinned[thinned.length - 1]).toBe(30);
    expect(thinned.length).toBeLessThanOrEqual(Math.floor(700 / 72));
    expect(new Set(thinned).size).toBe(thinned.length);
    expect(axisIndices(0, 500)).toEqual([]);
    expect(axisIndices(1, 500)).toEqual([0]);
  });

  it('reads a point out with its date, each line’s value and the target', () => {
    const spec: ChartSpec = {
      name: 'Délais',
      labels: ['16 nov.'],
      longLabels: ['lun. 16 nov. 2026 (en cours)'],
      lines: [
        { label: 'Délai médian', values: [2], color: '#000', format: (v) => `${v} j` },
        { label: 'Délai au 90e centile', values: [null], color: '#000', format: (v) => `${v} j` },
      ],
      threshold: { value: 5, label: 'Objectif : 5 j ouvrés' },
      formatAxis: String,
    };
    expect(pointText(spec, 0)).toBe(
      'lun. 16 nov. 2026 (en cours) — Délai médian : 2 j ; Délai au 90e centile : aucune valeur ; Objectif : 5 j ouvrés',
    );
  });
});

const preview: DirectoryPreview = {
  encoding: 'windows-1252',
  encodingLabel: 'Windows-1252 (« CSV (séparateur : point-virgule) » d’Excel)',
  rows: { departments: 1, services: 2, balfs: 3 },
  changes: {
    departments: {
      added: [],
      renamed: [{ code: '75', from: 'Paris', to: 'DRFiP Île-de-France et Paris' }],
      regionChanged: [],
    },
    services: {
      added: [{ code: '0750199', name: 'SIP Paris nouveau', kind: 'SIP', departmentCode: '75' }],
      renamed: [],
      moved: [],
      kindChanged: [],
      regionChanged: [],
    },
    balfs: {
      added: [
        {
          address: 'sip.nouveau@dgfip.finances.gouv.fr',
          serviceCode: '0750199',
          history: { firstDay: '2026-10-05', lastDay: '2026-11-02', messages: 1234 },
        },
      ],
      moved: [
        { address: 'sip.paris-1er@dgfip.finances.gouv.fr', from: '0750101', to: '0750115', history: null },
      ],
    },
    unchanged: { departments: 0, services: 1, balfs: 1 },
    absentBalfs: 2,
    fingerprint: 'f',
  },
};

describe('directory page', () => {
  it('previews an import: encoding, a summary in tags, each change with the history that moves', async () => {
    const applied: string[] = [];
    document.body.replaceChildren(
      renderPreview(preview, 'annuaire.csv', {
        apply: async () => void applied.push('apply'),
        cancel: () => applied.push('cancel'),
      }),
    );
    expect(document.querySelector('#preview-encoding')?.textContent).toMatch(
      /^Encodage reconnu : Windows-1252/,
    );
    expect([...document.querySelectorAll('.fr-tag')].map((t) => t.textContent)).toEqual([
      '1 BALF ajoutée',
      '1 BALF déplacée',
      '1 service ajouté',
      '1 département ajouté ou modifié',
    ]);
    expect(document.querySelector('#preview-balfs-added [data-metric="history"]')?.textContent).toBe(
      '1\u202f234 messages du 5 octobre 2026 au 2 novembre 2026, jusqu’ici « non rattachés » : ils rejoignent ce service',
    );
    expect(document.querySelector('#preview-balfs-moved [data-metric="history"]')?.textContent).toBe(
      'aucun message reçu jusqu’ici',
    );
    expect(document.querySelector('#preview-departments [data-metric="change"]')?.textContent).toBe(
      'renommé : « Paris » → « DRFiP Île-de-France et Paris »',
    );
    expect(document.body.textContent).toContain('2 BALF de l’annuaire actuel sont absentes du fichier');
    document.querySelector<HTMLButtonElement>('#import-apply')!.click();
    document.querySelector<HTMLButtonElement>('#import-cancel')!.click();
    await Promise.resolve();
    expect(applied).toEqual(['apply', 'cancel']);
    expect(historyText({ firstDay: '2026-11-03', lastDay: '2026-11-03', messages: 1 }, true)).toBe(
      '1 message le 3 novembre 2026 : il suit la BALF, chiffres recalculés',
    );
  });

  it('offers no « apply » when the file changes nothing', () => {
    const none = structuredClone(preview);
    none.changes.departments.renamed = [];
    none.changes.services.added = [];
    none.changes.balfs = { added: [], moved: [] };
    document.body.replaceChildren(
      renderPreview(none, 'a.csv', { apply: async () => undefined, cancel: () => undefined }),
    );
    expect([...document.querySelectorAll('.fr-tag')].map((t) => t.textContent)).toEqual(['Aucun changement']);
    expect(document.querySelector('#import-apply')).toBeNull();
  });

  it('lists the current directory one department at a time, with codes and addresses', () => {
    document.body.replaceChildren(
      renderListing({
        departments: [
          {
            code: '67',
            name: 'Bas-Rhin',
            region: 'alsace-moselle',
            services: [
              {
                code: 'S67',
                name: 'SIP Strasbourg',
                kind: 'SIP',
                region: 'alsace-moselle',
                balfs: ['a@x.fr'],
              },
            ],
          },
          {
            code: '75',
            name: 'Paris',
            region: 'metropole',
            services: [
              {
                code: 'S75',
                name: 'SIP Paris',
                kind: 'SIP',
                region: 'metropole',
                balfs: ['b@x.fr', 'c@x.fr'],
              },
            ],
          },
        ],
      }),
    );
    expect(document.querySelector('#directory-counts')?.textContent).toBe(
      '2 départements, 2 services, 3 BALF.',
    );
    expect(document.querySelector('#table-directory tbody th')?.textContent).toBe('S67');
    const select = document.querySelector<HTMLSelectElement>('#directory-department')!;
    select.value = '75';
    select.dispatchEvent(new Event('change'));
    expect(document.querySelector('#table-directory caption')?.textContent).toMatch(
      /^Services du département 75 — Paris/,
    );
    expect(
      [...document.querySelectorAll('#table-directory [data-metric="balfs"] li')].map((li) => li.textContent),
    ).toEqual(['b@x.fr', 'c@x.fr']);
  });
});
