// « Exporter »: the CSV of what the page shows (figures, compared periods, spot-checks).
import { csvHref } from '../../api.ts';
import { h } from '../../dom.ts';
import { csvQuery } from '../../route.ts';
import type { Block, BlockContext } from './block.ts';

export function exportBlock(ctx: BlockContext): Block {
  const { route } = ctx;
  const compared = [
    route.compare ? 'la période précédente' : null,
    route.compareYear ? 'la même période un an plus tôt' : null,
  ].filter((x) => x !== null);
  return {
    id: 'exporter',
    title: 'Exporter',
    content: [
      h(
        'p',
        { class: 'fr-text--sm' },
        `Le fichier reprend les chiffres affichés (taux arrondis comme à l’écran)` +
          (compared.length > 0 ? `, ceux de ${compared.join(' et de ')}` : '') +
          ', puis, dans une seconde partie, les sondages ponctuels de la période.',
      ),
      h(
        'p',
        {},
        h(
          'a',
          {
            class: 'fr-link fr-link--download',
            id: 'csv-export',
            href: csvHref(csvQuery(route, ctx.today)),
            download: `suivi-balf-${route.level}-${route.id}-${route.period.from}-${route.period.to}.csv`,
          },
          'Télécharger les données affichées',
          h('span', { class: 'fr-link__detail' }, 'CSV – séparateur point-virgule, UTF-8'),
        ),
      ),
    ],
  };
}
