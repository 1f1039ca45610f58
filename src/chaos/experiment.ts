import type { EnvironmentHandle, EnvironmentStatus, Faults, PodRef } from "../runtimes/runtime.ts";
import type { Ledger } from "./ledger.ts";

/** What an experiment works with: the environment, its workload's ledger, and journaled faults. */
export interface ExperimentContext {
  env: EnvironmentHandle;
  ledger: Ledger;
  /** The environment's faults, each recorded before it is injected so a crashed run can undo it. */
  faults: Faults;
  pods: PodRef[];
  log: (line: string) => void;
  /** `dev:up` of the environment again: what a user runs to repair it. */
  repair: () => Promise<void>;
  /** What `dev:status` says about the environment now. */
  status: () => Promise<EnvironmentStatus>;
}

/**
 * One chaos experiment, in its own file under experiments/: a fault, how long it is held, how it
 * is removed, and what must hold afterwards beyond the invariants every experiment checks (no
 * acknowledged write lost or stored twice, no 500, the workload recovered, steady state again).
 */
export interface Experiment {
  name: string;
  description: string;
  /** The same fault on Kubernetes, as the Kind runtime injects it (a kubectl or plugin command). */
  kubernetes: (target: string) => string[];
  /**
   * Why it strikes beyond the environment (e.g. every container on the machine), if it does: it
   * then runs only when named with --experiment, never as part of "every experiment".
   */
  disruptive?: string;
  /** Why it cannot run against these pods (e.g. one replica only), or undefined. */
  requires?: (pods: readonly PodRef[]) => string | undefined;
  /** The pod(s) it strikes. */
  targets: (pods: readonly PodRef[]) => string[];
  /** Injects the fault into the targets. */
  inject: (ctx: ExperimentContext, targets: string[]) => Promise<void>;
  /** How long the fault is held before it is removed (0: it removes itself, like a kill). */
  holdMs: number;
  /** Instead of holdMs: the fault is held until this resolves (e.g. until an alert fires). */
  holdUntil?: (ctx: ExperimentContext, targets: string[]) => Promise<void>;
  remove: (ctx: ExperimentContext, targets: string[]) => Promise<void>;
  /** Its own invariants, checked after recovery: each broken one as a sentence with evidence. */
  check?: (ctx: ExperimentContext, targets: string[]) => Promise<string[]>;
}
