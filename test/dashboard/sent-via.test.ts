// @vitest-environment happy-dom
// The share of replies sent from another identity than the BALF's, per child of the level shown.
import { describe, expect, it } from 'vitest';
import { emptyMetrics, type StatsAnswer } from '../../src/core/protocol.ts';
import { renderSentVia, sentViaBlock } from '../../src/dashboard/views/blocks/sent-via.ts';
import type { BlockContext } from '../../src/dashboard/views/blocks/block.ts';

const metrics = (reply: number, personal: number, otherBalf: number) => ({
  ...emptyMetrics(),
  sent: reply,
  sentByCategory: { reply, forward: 0, new: 0, auto: 0 },
  sentVia: { personal, otherBalf },
});

const answer = (totals: ReturnType<typeof metrics>, children: StatsAnswer['children']): StatsAnswer => ({
  level: 'department',
  id: '75',
  from: '2026-11-01',
  to: '2026-11-30',
  granularity: 'week',
  target: { id: 'marianne-5j', workingDays: 5 },
  totals,
  series: [],
  children,
});

const cells = (section: HTMLElement) =>
  [...section.querySelectorAll('tbody tr')].map((tr) =>
    [...tr.children].map((c) => c.textContent?.replace(/\u202f|\u00a0/g, ' ')),
  );

describe('part des réponses envoyées hors de l’identité de la BALF', () => {
  it('une ligne pour l’ensemble puis une par service, en nombre et en part des réponses', () => {
    const block = sentViaBlock({
      data: {
        answer: answer(metrics(40, 5, 1), [
          { level: 'service', id: 'SIP-A', name: 'SIP Paris 1er', ...metrics(30, 5, 0) },
          { level: 'service', id: 'SIE-B', name: 'SIE Paris 2e', ...metrics(10, 0, 1) },
          { level: 'service', id: 'SPF-C', name: 'SPF Paris', ...metrics(0, 0, 0) },
        ]),
      },
    } as BlockContext)!;
    expect(block.title).toBe('Réponses envoyées hors de l’identité de la BALF');
    const section = document.createElement('section');
    section.append(...(block.content as HTMLElement[]));
    expect(section.querySelector('thead th')?.textContent).toBe('Service');
    expect(cells(section)).toEqual([
      ['Ensemble', '40', '5 (12,5 %)', '1 (2,5 %)'],
      ['SIP Paris 1er', '30', '5 (16,7 %)', '0 (0,0 %)'],
      ['SIE Paris 2e', '10', '0 (0,0 %)', '1 (10,0 %)'],
      ['SPF Paris', '0', '0 (—)', '0 (—)'],
    ]);
    expect(section.textContent).toContain('aucun chiffre n’est tenu par agent');
  });

  it('rien quand la période n’a aucune réponse', () => {
    expect(renderSentVia(answer(metrics(0, 0, 0), []))).toBeNull();
  });
});
