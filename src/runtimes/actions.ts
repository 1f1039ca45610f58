import { UserError } from "../errors.ts";
import type { PlannedAction, Progress } from "./runtime.ts";

/**
 * One step of bringing an environment up, in the manner of kind's create actions: it does one
 * thing, reports it in one status line, and knows how to undo what it started.
 */
export interface Action<C> {
  /** What it is called in status lines and failures, e.g. "network". */
  readonly name: string;
  /** What it would do, for `--dry-run` (exact commands or objects where it has them). */
  plan(ctx: C): string[];
  /** Does it; resolves to its status line (what it did, with figures). */
  execute(ctx: C): Promise<string>;
  /** Undoes what `execute` started, when a later action fails. */
  undo?(ctx: C): Promise<void>;
}

/**
 * A failure whose evidence is worth keeping: the loop leaves everything in place for inspection
 * (e.g. a workload that never became ready stays for `dev:logs`) instead of undoing.
 */
export class KeptFailure extends UserError {}

/**
 * Runs actions in order, one status line each. When one fails, the ones that ran are undone in
 * reverse order (unless the failure is a KeptFailure) and the error names the failed action. Once
 * `interrupted()` says so, the next action fails as interrupted (and the ones before are undone).
 */
export async function runActions<C>(
  actions: readonly Action<C>[],
  ctx: C,
  progress: Progress,
  interrupted: () => boolean = () => false,
): Promise<void> {
  const done: Action<C>[] = [];
  for (const action of actions) {
    const began = performance.now();
    try {
      if (interrupted()) throw new UserError("interrupted");
      const line = await action.execute(ctx);
      progress(`${action.name}: ${line} (${((performance.now() - began) / 1000).toFixed(1)}s)`);
      done.push(action);
    } catch (error) {
      if (error instanceof KeptFailure) throw new KeptFailure(`${action.name}: ${error.message}`, error.hint);
      const undone: string[] = [];
      for (const earlier of [action, ...done.reverse()]) {
        if (!earlier.undo) continue;
        await earlier.undo(ctx).then(
          () => undone.push(earlier.name),
          (undoError: Error) => undone.push(`${earlier.name} (could not: ${undoError.message})`),
        );
      }
      const why = error instanceof Error ? error.message : String(error);
      throw new UserError(
        `${action.name}: ${why}`,
        [
          error instanceof UserError ? error.hint : undefined,
          undone.length > 0 ? `undone: ${undone.join(", ")}` : undefined,
        ]
          .filter(Boolean)
          .join("\n") || undefined,
      );
    }
  }
}

/**
 * Lanes of actions run side by side, each lane in order, as one action: for steps that wait on
 * different things (a rollout on the cluster, image loading on the engine). Each member reports its
 * own status line through `progress` as it finishes; a failure lets the other lanes finish, then
 * undoes every member that ran (the failed one too), and names the member that failed.
 */
export function inParallel<C>(
  name: string,
  lanes: readonly (readonly Action<C>[])[],
  progressOf: (ctx: C) => Progress,
): Action<C> {
  const ran = new WeakMap<object, Action<C>[]>();
  const undoAll = async (ctx: C) => {
    for (const member of (ran.get(ctx as object) ?? []).reverse()) await member.undo?.(ctx);
    ran.delete(ctx as object);
  };
  return {
    name,
    plan: (ctx) => lanes.flat().flatMap((a) => a.plan(ctx).map((step) => `${a.name}: ${step}`)),
    async execute(ctx) {
      const done: Action<C>[] = [];
      ran.set(ctx as object, done);
      const results = await Promise.allSettled(
        lanes.map(async (lane) => {
          for (const member of lane) {
            const started = performance.now();
            // Undone on failure even if it fails itself, as runActions undoes a failed action.
            done.push(member);
            const line = await member.execute(ctx).catch((error: unknown) => {
              const why = error instanceof Error ? error.message : String(error);
              throw new UserError(
                `${member.name}: ${why}`,
                error instanceof UserError ? error.hint : undefined,
              );
            });
            progressOf(ctx)(
              `${member.name}: ${line} (${((performance.now() - started) / 1000).toFixed(1)}s)`,
            );
          }
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
      return `${done.length} action(s) in ${lanes.length} lanes`;
    },
    undo: undoAll,
  };
}

/** The dry-run view of the actions: each one's name and what it would do. */
export const planActions = <C>(actions: readonly Action<C>[], ctx: C): PlannedAction[] =>
  actions.map((a) => ({ action: a.name, does: a.plan(ctx) }));

/**
 * The `up`s this process is running, by environment, so that Ctrl-C (`abandon`) can stop one at
 * its next action and wait until it has undone what it started: nothing in flight then lands
 * after the removal that follows.
 */
export class RunningUps<C extends { interrupted: boolean }> {
  private readonly running = new Map<string, { ctx: C; done: Promise<void> }>();

  async run(name: string, actions: readonly Action<C>[], ctx: C, progress: Progress): Promise<void> {
    const done = runActions(actions, ctx, progress, () => ctx.interrupted);
    this.running.set(name, { ctx, done });
    try {
      await done;
    } finally {
      this.running.delete(name);
    }
  }

  async interrupt(name: string, waitMs = 30_000): Promise<void> {
    const up = this.running.get(name);
    if (!up) return;
    up.ctx.interrupted = true;
    await Promise.race([up.done.catch(() => {}), new Promise((r) => setTimeout(r, waitMs))]);
  }
}
