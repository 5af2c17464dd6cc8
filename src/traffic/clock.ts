/**
 * The simulation clock: the real clock until someone moves it, then a simulated time that
 * stands still between moves (`advance`, `set`). Each move reports the new time to
 * `onMove` (the traffic runtime delivers the flow log windows that closed by then).
 *
 * The traffic runtime keeps the simulated time in the store (`simulated`), so that a restarted
 * server goes on from it.
 *
 * `startTicker` runs a callback on the real clock (unref'd: it never keeps the process
 * alive), for windows that close while time passes on its own.
 */

export class ClockError extends Error {}

export class SimulationClock {
  constructor(
    private readonly realNow: () => number = Date.now,
    /** The simulated time it starts at (a clock a previous server left), or the real clock. */
    private simulated: number | undefined = undefined,
  ) {}

  /** Epoch milliseconds: the simulated time, or the real one. */
  now(): number {
    return this.simulated ?? this.realNow();
  }

  /** The simulated time, or undefined on the real clock. */
  get simulatedTime(): number | undefined {
    return this.simulated;
  }

  get mode(): 'real' | 'simulated' {
    return this.simulated === undefined ? 'real' : 'simulated';
  }

  /** Moves time forward by `ms` (from the real time, the first time). */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new ClockError('The clock only moves forward: give a positive number of seconds.');
    this.simulated = this.now() + Math.round(ms);
    return this.simulated;
  }

  /** Sets the simulated time (never earlier than the time it shows). */
  set(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new ClockError('The time must be epoch milliseconds or an ISO 8601 date.');
    const current = this.now();
    if (ms < current) {
      throw new ClockError(`The clock only moves forward: ${new Date(ms).toISOString()} is before ${new Date(current).toISOString()}.`);
    }
    this.simulated = Math.round(ms);
    return this.simulated;
  }

  /** Back to the real clock (only forward: the real time must not be behind the simulated one). */
  real(): number {
    if (this.simulated !== undefined && this.simulated > this.realNow()) {
      throw new ClockError(`The simulated time ${new Date(this.simulated).toISOString()} is ahead of the real clock; it cannot go back.`);
    }
    this.simulated = undefined;
    return this.now();
  }

  json(): { now: number; time: string; mode: 'real' | 'simulated' } {
    const now = this.now();
    return { now, time: new Date(now).toISOString(), mode: this.mode };
  }
}

/** Calls `tick` every `everyMs` on the real clock; returns the function that stops it. */
export function startTicker(tick: () => void, everyMs: number): () => void {
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** "90", "90s", "10m", "2h", "1d", "500ms" → milliseconds (a bare number is seconds). */
export function parseDuration(v: string | number, what = 'duration'): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new ClockError(`${what} must be a positive number of seconds.`);
    return Math.round(v * 1000);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?\s*$/i.exec(v);
  if (!m) throw new ClockError(`${what} '${v}' is not a duration (e.g. 90s, 10m, 2h).`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' || unit === 'min' ? 60_000 : unit === 'h' ? 3_600_000 : 86_400_000;
  return Math.round(n * factor);
}
