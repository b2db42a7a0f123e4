/**
 * A tiny Prometheus registry (counters and one latency histogram) — enough for ingest counts,
 * rejects by reason and request latency without another dependency.
 */

type Labels = Readonly<Record<string, string>>;

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  );
  return parts.length ? `{${parts.join(',')}}` : '';
}

export class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = labelText(labels);
    const cur = this.values.get(k);
    if (cur) cur.value += by;
    else this.values.set(k, { labels, value: by });
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    for (const { labels, value } of this.values.values())
      out += `${this.name}${labelText(labels)} ${value}\n`;
    return out;
  }
}

export class Histogram {
  private readonly series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}
  observe(labels: Labels, value: number): void {
    const k = labelText(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    this.buckets.forEach((b, i) => {
      if (value <= b) s.counts[i]! += 1;
    });
    s.sum += value;
    s.count += 1;
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => {
        out += `${this.name}_bucket${labelText({ ...s.labels, le: String(b) })} ${s.counts[i]}\n`;
      });
      out += `${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}\n`;
      out += `${this.name}_sum${labelText(s.labels)} ${s.sum}\n${this.name}_count${labelText(s.labels)} ${s.count}\n`;
    }
    return out;
  }
}

/** The server's metrics, one registry per app instance (tests build many apps). */
export class ServerMetrics {
  readonly ingestBatches = new Counter(
    'suivi_ingest_batches_total',
    'Lots reçus et enregistrés (rejeux inclus), par résultat',
  );
  readonly ingestRecords = new Counter(
    'suivi_ingest_records_total',
    'Enregistrements reçus, par résultat (accepted, duplicate)',
  );
  readonly ingestRejects = new Counter('suivi_ingest_rejects_total', 'Lots refusés, par motif');
  readonly requestDuration = new Histogram(
    'suivi_http_request_duration_seconds',
    'Durée des requêtes HTTP, par route et code',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );

  render(): string {
    return [this.ingestBatches, this.ingestRecords, this.ingestRejects, this.requestDuration]
      .map((m) => m.render())
      .join('');
  }
}
