import { UserError } from "../errors.ts";
import type { EnvironmentListing } from "../runtimes/runtime.ts";
import { readEnvState, writeEnvState } from "./state.ts";

/** `env:extend`: the environment expires `ttlMs` from now (env:gc judges our environments by their record). */
export function extendEnvironment(name: string, ttlMs: number, now = new Date()) {
  const state = readEnvState(name);
  if (!state)
    throw new UserError(
      `environment '${name}' is not known here`,
      "See `pnpm env:list` for the environments there are.",
    );
  const updated = { ...state, expiresAt: new Date(now.getTime() + ttlMs).toISOString() };
  writeEnvState(updated);
  return { before: state.expiresAt, after: updated.expiresAt };
}

/** How many environments one machine runs at most (DEVSTACK_MAX_ENVS; each is a whole platform). */
export function maxEnvironments(): number {
  const text = process.env.DEVSTACK_MAX_ENVS ?? "8";
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new UserError(`DEVSTACK_MAX_ENVS: '${text}' is not a whole number >= 1`);
  return n;
}

/**
 * Refuses a new environment when the machine already runs `max` of them (stale ones do not count:
 * env:gc takes them), naming the oldest so the user knows what to remove.
 */
export function checkCapacity(name: string, listings: readonly EnvironmentListing[], max: number): void {
  const running = listings.filter((l) => !l.name.startsWith("(") && l.name !== name && !l.stale);
  if (running.length < max) return;
  const oldest = [...running]
    .sort((a, b) => (a.createdAt ?? "").localeCompare(b.createdAt ?? ""))
    .slice(0, 3)
    .map((l) => `${l.name} (${l.runtime}, since ${l.createdAt ?? "?"})`);
  throw new UserError(
    `this machine already runs ${running.length} environments (at most ${max}, DEVSTACK_MAX_ENVS)`,
    `The oldest: ${oldest.join(", ")}. Remove one with \`pnpm dev:down --name NAME\`.`,
  );
}

/** Time left until `expires` as `3h12m`, `45m`, or `expired`. */
export function timeLeft(expires: string, now = new Date()): string {
  const ms = new Date(expires).getTime() - now.getTime();
  if (Number.isNaN(ms)) return "-";
  if (ms <= 0) return "expired";
  const minutes = Math.floor(ms / 60_000);
  return minutes >= 60
    ? `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`
    : `${minutes}m`;
}

/** How long ago `since` was, as `kubectl get` shows ages: `42s`, `17m`, `5h`. */
export function age(since: string, now = new Date()): string {
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(since)) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}
