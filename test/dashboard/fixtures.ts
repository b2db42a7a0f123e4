// A national stats answer shaped like the server's (validated by statsAnswerSchema), for view tests.
import { emptyMetrics, statsAnswerSchema, type Metrics, type StatsAnswer } from '../../src/core/protocol.ts';

function metrics(
  received: number,
  sent: number,
  inTime: number,
  late: number,
  overdue: number,
  pending = 0,
): Metrics {
  const decided = inTime + late + overdue;
  return {
    ...emptyMetrics(),
    received,
    receivedByCategory: { usager: received - 10, interne: 6, auto: 3, junk: 1 },
    sent,
    sentByCategory: { reply: inTime + late, forward: 2, new: sent - inTime - late - 2, auto: 0 },
    answeredInTime: inTime,
    answeredLate: late,
    pending,
    overdue,
    complianceRate: decided === 0 ? null : inTime / decided,
    medianDelayDays: decided === 0 ? null : 2,
    p90DelayDays: decided === 0 ? null : 6,
  };
}

export function nationalAnswer(scale = 1): StatsAnswer {
  return statsAnswerSchema.parse({
    level: 'national',
    id: 'national',
    from: '2026-11-01',
    to: '2026-11-30',
    granularity: 'week',
    target: { id: 'marianne-5j', workingDays: 5 },
    totals: metrics(12345 * scale, 9876 * scale, 7000, 1000, 750, 120),
    series: [
      { period: '2026-10-26', ...metrics(1500, 1200, 900, 100, 50) },
      { period: '2026-11-02', ...metrics(3100, 2500, 1800, 300, 200) },
      { period: '2026-11-09', ...metrics(2900, 2400, 1700, 200, 150) },
      { period: '2026-11-16', ...metrics(2845, 2076, 1600, 200, 200) },
      { period: '2026-11-23', ...metrics(2000 * scale, 1700, 1000, 200, 150, 120) },
    ],
    children: [
      { level: 'department', id: '75', name: 'Paris', ...metrics(8000, 6500, 5000, 500, 400) },
      { level: 'department', id: '974', name: 'La Réunion', ...metrics(4300, 3370, 2000, 500, 350) },
      { level: 'department', id: 'unattached', name: 'Non rattachées', ...metrics(45, 6, 0, 0, 0) },
    ],
  });
}
