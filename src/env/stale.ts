import { recordsId, runIsAlive } from "../labels.ts";
import type { EnvState } from "./state.ts";

/** Resources created together: one environment, or one test or build run. */
export interface Group<R = unknown> {
  key: string;
  env?: string;
  purpose: string;
  run: string;
  expires: string;
  /** The state folder its record is in (LABEL.records), if its resources say. */
  records?: string;
  /** The test run whose test made it (LABEL.testRun), if one did. */
  testRun?: string;
  resources: R[];
}

/**
 * Why a group is garbage, or undefined if it must be kept. Pure, so the rules are unit-tested:
 * expired TTL (the record's expiry when the record is ours, else the labels'); a test or build run
 * that is gone; an environment whose `up` was interrupted (state `starting` and its run gone) or of
 * which nothing is recorded and whose creator is gone. An environment recorded in another state
 * folder than ours is judged by its TTL alone.
 */
export function staleReason(
  group: Group,
  state: EnvState | undefined,
  now: Date,
  alive: (run: string) => boolean = runIsAlive,
  ourRecords: string = recordsId(),
): string | undefined {
  // Made by a test of a run that is gone (killed before its teardown), wherever it is recorded.
  if (group.testRun && !alive(group.testRun)) return `the test run that made it (${group.testRun}) is gone`;
  // Recorded in another state folder: its record cannot be read from here, only its labels' TTL.
  const theirs = !!(group.env && group.records && group.records !== ourRecords);
  // Ours: the record's expiry, which env:extend may have moved past the labels' (labels are fixed).
  const expires = !theirs && state ? state.expiresAt : group.expires;
  if (expires && new Date(expires) < now) return `TTL expired at ${expires}`;
  if (theirs) return undefined;
  if (!group.env) return alive(group.run) ? undefined : `the run that created it (${group.run}) is gone`;
  if (!state)
    return alive(group.run) ? undefined : "no state is recorded for it and the run that created it is gone";
  if (state.status === "starting" && !alive(state.run))
    return `its \`up\` was interrupted (run ${state.run} is gone)`;
  return undefined;
}
