// @vitest-environment happy-dom
// The « classement en cours » notice: shown over the key figures only while received mail is provisional.
import { describe, expect, it } from 'vitest';
import type { StatsAnswer } from '../../src/core/protocol.ts';
import { FALLBACK_TARGETS } from '../../src/dashboard/api.ts';
import { renderStatsPage } from '../../src/dashboard/views/stats-page.ts';
import { renderProvisional } from '../../src/dashboard/views/provisional.ts';
import { nationalAnswer } from './fixtures.ts';

function page(answer: StatsAnswer): HTMLElement {
  return renderStatsPage(
    {
      route: {
        page: 'stats',
        level: 'national',
        id: 'national',
        period: { from: answer.from, to: answer.to },
        granularity: answer.granularity,
        compare: false,
        compareYear: false,
      },
      targets: FALLBACK_TARGETS,
      today: new Date(2026, 10, 29),
      scope: { level: 'national', id: 'national' },
      navigate: () => undefined,
      drawChart: () => () => undefined,
    },
    {
      answer,
      previous: null,
      lastYear: null,
      crumbs: [],
      spotChecks: { spotChecks: [] },
      spotAutomatic: new Map(),
      week: null,
    },
    () => undefined,
  ).content;
}

describe('provisional figures notice', () => {
  it('says how many messages are still to be checked, in French format, under « Chiffres clés »', () => {
    const answer = nationalAnswer();
    answer.totals.unrefined = 3200;
    const content = page(answer);
    const notice = content.querySelector('#provisional');
    expect(notice?.textContent).toMatch(/^Classement en cours : 3[\u202f\u00a0]200 messages à vérifier\./);
    expect(notice?.className).toContain('fr-alert--info');
    expect(notice?.getAttribute('role')).toBe('status');
    expect(notice?.previousElementSibling?.textContent).toBe('Chiffres clés');
  });

  it('uses the singular for one message', () => {
    const answer = nationalAnswer();
    answer.totals.unrefined = 1;
    expect(renderProvisional(answer.totals)?.textContent).toMatch(
      /^Classement en cours : 1 message à vérifier\. Ce message reçu/,
    );
  });

  it('is absent when every received message was classified with its headers', () => {
    const answer = nationalAnswer();
    expect(answer.totals.unrefined).toBe(0);
    expect(page(answer).querySelector('#provisional')).toBeNull();
  });
});
