// What every block of the statistics page receives and gives back: one module per block, laid out by stats-page.ts.
import type { Level, StatsAnswer } from '../../../core/protocol.ts';
import type { StorageView } from '../../../core/storage-protocol.ts';
import type { Crumb, SpotCheckList, Target } from '../../api.ts';
import type { StatsRoute } from '../../route.ts';
import type { DrawChart } from '../chart.ts';

/** The automatic figures of a spot-checked BALF over its sampled period, with the target they used. */
export interface SpotAutomatic {
  answer: StatsAnswer;
  target: Target;
}

/** « Cette semaine »: the subject's last weeks, by week, up to today. */
export interface WeekData {
  /** Monday of the current week. */
  monday: string;
  answer: StatsAnswer;
}

export interface StatsData {
  answer: StatsAnswer;
  /** The period before (cut like the current one while it runs), when compared. */
  previous: StatsAnswer | null;
  /** The same period a year earlier, when compared. */
  lastYear: StatsAnswer | null;
  crumbs: Crumb[];
  /** Spot-checks of the period, or the French reason they could not be loaded. */
  spotChecks: SpotCheckList | string;
  /** By spot-check id. */
  spotAutomatic: Map<string, SpotAutomatic>;
  /** Service and BALF pages only. */
  week: WeekData | null;
  /** The « Stockage » block, or the French reason it could not be loaded (absent: not asked). */
  storage?: StorageView | string;
}

export interface BlockContext {
  route: StatsRoute;
  targets: Target[];
  /** The target the figures were computed with. */
  target: Target;
  today: Date;
  data: StatsData;
  hrefFor: (level: Level, id: string) => string;
  drawChart: DrawChart;
}

export interface Block {
  /** Anchor of the section (`#bloc-<id>`) and key of the side menu entry. */
  id: string;
  /** Section title (h2) and side menu label. */
  title: string;
  /** Shorter label for the side menu, when the title is long. */
  menuLabel?: string;
  content: HTMLElement | HTMLElement[];
  /** Draws charts once the section is in the document; returns their disposer. */
  draw?: () => () => void;
}
