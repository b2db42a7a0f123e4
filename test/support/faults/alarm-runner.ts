// Fires the alarms the add-on created on the fake messenger, in time order, on a simulated clock:
// what Thunderbird's alarm scheduler does, minus the waiting. Periodic alarms repeat; one-shot
// alarms are removed once fired; a re-created alarm replaces the old schedule.
import type { AlarmCreateInfo } from '../../../src/extension/platform.ts';
import type { FakeMessenger } from '../../extension/fake-messenger.ts';
import type { SimClock } from './sim-clock.ts';

export class AlarmRunner {
  private readonly due = new Map<string, { info: AlarmCreateInfo; at: number }>();
  readonly fired: { name: string; at: number }[] = [];

  constructor(
    private readonly fake: FakeMessenger,
    private readonly sim: SimClock,
    private readonly fire: (name: string, scheduledTime: number) => Promise<void>,
    /**
     * The workstation's clock (Date.now of Thunderbird), when it differs from the simulated true
     * time: like Gecko, an absolute `when` becomes a delay from the moment the alarm is created.
     */
    private readonly wallClock: () => number = () => sim.now,
  ) {}

  private sync(): void {
    for (const [name, info] of this.fake.alarms) {
      if (this.due.get(name)?.info === info) continue;
      const delay = (info.delayInMinutes ?? info.periodInMinutes ?? 0) * 60_000;
      const at =
        info.when !== undefined ? this.sim.now + (info.when - this.wallClock()) : this.sim.now + delay;
      this.due.set(name, { info, at });
    }
    for (const name of this.due.keys()) if (!this.fake.alarms.has(name)) this.due.delete(name);
  }

  /** Runs every alarm due up to `end`, then sets the clock to `end`. */
  async runUntil(end: number): Promise<void> {
    for (;;) {
      this.sync();
      let next: { name: string; at: number } | undefined;
      for (const [name, d] of this.due) if (!next || d.at < next.at) next = { name, at: d.at };
      if (!next || next.at > end) break;
      await this.sim.advanceTo(next.at);
      const entry = this.due.get(next.name);
      const period = entry?.info.periodInMinutes;
      if (entry && period) {
        // Like Gecko: a missed period fires once, then the schedule resumes after now.
        do entry.at += period * 60_000;
        while (entry.at <= this.sim.now);
      } else {
        this.fake.alarms.delete(next.name);
        this.due.delete(next.name);
      }
      this.fired.push({ name: next.name, at: this.sim.now });
      await this.fire(next.name, next.at);
    }
    await this.sim.advanceTo(end);
  }
}
