import { runIsAlive } from "../labels.ts";
import type { EnvState } from "./state.ts";

/** Resources created together: one environment, or one test or build run. */
export interface Group<R = unknown> {
  key: string;
  env?: string;
  purpose: string;
  run: string;
  expires: string;
  resources: R[];
}

/**
 * Why a group is garbage, or undefined if it must be kept. Pure, so the rules are unit-tested:
 * expired TTL; a test or build run that is gone; an environment whose `up` was interrupted
 * (state `starting` and its run gone) or of which nothing is recorded and whose creator is gone.
 */
export function staleReason(
  group: Group,
  state: EnvState | undefined,
  now: Date,
  alive: (run: string) => boolean = runIsAlive,
): string | undefined {
  if (group.expires && new Date(group.expires) < now) return `TTL expired at ${group.expires}`;
  if (!group.env) return alive(group.run) ? undefined : `the run that created it (${group.run}) is gone`;
  if (!state)
    return alive(group.run) ? undefined : "no state is recorded for it and the run that created it is gone";
  if (state.status === "starting" && !alive(state.run))
    return `its \`up\` was interrupted (run ${state.run} is gone)`;
  return undefined;
}
