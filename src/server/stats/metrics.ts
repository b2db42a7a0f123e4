/** Accumulates rollup rows into protocol Metrics; statuses for a target are decided here, at query time. */
import type { Metrics } from '../../core/protocol.ts';
import { summarizeHistogram } from '../../core/targets.ts';

export class MetricsAccumulator {
  received = 0;
  receivedByCategory = { usager: 0, interne: 0, auto: 0, junk: 0 };
  /** Received messages classified without their headers (see Metrics.unrefined). */
  unrefined = 0;
  sent = 0;
  sentByCategory = { reply: 0, forward: 0, new: 0, auto: 0 };
  statuses = { answered_in_time: 0, answered_late: 0, pending: 0, overdue: 0 };
  /** Delay in working days → answered messages. */
  readonly histogram = new Map<number, number>();

  /** `refined`: received messages among `count` classified with their headers. */
  addFlow(dir: string, cat: string, count: number, refined: number): void {
    if (dir === 'in') {
      this.received += count;
      this.unrefined += count - refined;
      if (cat in this.receivedByCategory)
        this.receivedByCategory[cat as keyof typeof this.receivedByCategory] += count;
    } else {
      this.sent += count;
      if (cat in this.sentByCategory) this.sentByCategory[cat as keyof typeof this.sentByCategory] += count;
    }
  }

  /** `status` is already decided for the target; `delay` is null for unanswered mail. */
  addReplies(status: keyof MetricsAccumulator['statuses'], delay: number | null, count: number): void {
    this.statuses[status] += count;
    if (delay !== null) this.histogram.set(delay, (this.histogram.get(delay) ?? 0) + count);
  }

  toMetrics(): Metrics {
    const summary = summarizeHistogram({ ...this.statuses }, this.histogram);
    return {
      received: this.received,
      receivedByCategory: { ...this.receivedByCategory },
      unrefined: this.unrefined,
      sent: this.sent,
      sentByCategory: { ...this.sentByCategory },
      // Filled from the replies' own rollup (src/server/stats/sent-via.ts).
      sentVia: { personal: 0, otherBalf: 0 },
      answeredInTime: this.statuses.answered_in_time,
      answeredLate: this.statuses.answered_late,
      pending: this.statuses.pending,
      overdue: this.statuses.overdue,
      complianceRate: summary.complianceRate,
      medianDelayDays: summary.medianDelayDays,
      p90DelayDays: summary.p90DelayDays,
    };
  }
}
