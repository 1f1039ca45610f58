import { createHash } from "node:crypto";

/**
 * A small seeded PRNG (mulberry32): the same seed gives the same sequence on every platform and
 * Node version, which Math.random cannot promise. 32 bits of state are plenty for test data; this
 * is not for anything secret.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }

  /** `k` distinct items, in a random order (partial Fisher-Yates on a copy). */
  sample<T>(items: readonly T[], k: number): T[] {
    const copy = [...items];
    const n = Math.min(k, copy.length);
    for (let i = 0; i < n; i++) {
      const j = i + this.int(copy.length - i);
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy.slice(0, n);
  }
}

/**
 * One independent stream per (seed, purpose): users, courses and enrollments each draw from their
 * own stream, so the first N users of a seed are the same whatever the size or the other tables.
 */
export function prngFor(seed: number, purpose: string): Prng {
  return new Prng(createHash("sha256").update(`azora-seed:${seed}:${purpose}`).digest().readUInt32LE(0));
}
