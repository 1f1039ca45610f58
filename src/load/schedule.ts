import { durationSeconds } from "../../load/flows.ts";
import type { Arrival } from "../../load/scenarios.ts";

/**
 * When each iteration of an arrival starts, in seconds from the start: the k-th (from 0) where the
 * integral of the rate reaches k, as k6's arrival-rate executors place them (evenly at a constant
 * rate; a ramp's linear rate integrates to a quadratic). The same arrival always gives the same times.
 */
export function arrivalTimes(arrival: Arrival): number[] {
  const stages =
    arrival.executor === "constant-arrival-rate"
      ? [{ from: arrival.rate, to: arrival.rate, seconds: durationSeconds(arrival.duration) }]
      : arrival.stages.map((stage, i) => ({
          from: i === 0 ? arrival.startRate : (arrival.stages[i - 1]?.target ?? 0),
          to: stage.target,
          seconds: durationSeconds(stage.duration),
        }));
  const times: number[] = [];
  let start = 0;
  let before = 0; // iterations due before this stage (the integral so far)
  for (const { from, to, seconds } of stages) {
    const during = ((from + to) / 2) * seconds;
    // Whole k with before <= k < before + during: t solves from*t + (to-from)*t²/(2*seconds) = k - before.
    for (let k = Math.ceil(before - 1e-9); k < before + during - 1e-9; k++) {
      const due = k - before;
      const a = (to - from) / (2 * seconds);
      const t = Math.abs(a) < 1e-12 ? due / from : (-from + Math.sqrt(from * from + 4 * a * due)) / (2 * a);
      times.push(start + Math.min(Math.max(t, 0), seconds));
    }
    before += during;
    start += seconds;
  }
  return times;
}
