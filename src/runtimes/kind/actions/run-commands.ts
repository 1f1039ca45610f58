import type { Action } from "../../actions.ts";
import { type Command, runCommand, showCommand } from "../tools.ts";
import type { KindUpContext, KubeUpContext } from "./context.ts";

/**
 * An action that is a list of commands: its plan shows them, its execution runs them in order, so
 * `--dry-run` cannot drift from what `up` does. `prepare` runs first (writing a file a command
 * reads); `line` makes the status line from the commands' outputs.
 */
export function commandAction<C extends KubeUpContext = KindUpContext>(spec: {
  name: string;
  commands: (ctx: C) => Command[];
  /** Plan lines after the commands: what they are given that the command line does not show. */
  notes?: (ctx: C) => string[];
  line: (ctx: C, outputs: string[]) => string;
  prepare?: (ctx: C) => void | Promise<void>;
  undo?: (ctx: C) => Promise<void>;
  /** When a command fails (a wait timed out): why, in lines the error carries (explainNotReady). */
  explain?: (ctx: C) => Promise<string[]>;
}): Action<C> {
  return {
    name: spec.name,
    plan: (ctx) => [...spec.commands(ctx).map(showCommand), ...(spec.notes?.(ctx) ?? [])],
    async execute(ctx) {
      await spec.prepare?.(ctx);
      const outputs: string[] = [];
      for (const command of spec.commands(ctx)) {
        if (ctx.interrupted) throw new Error("interrupted");
        const env = command.tool === "kind" ? { ...ctx.kindEnv, ...command.env } : command.env;
        outputs.push(
          await runCommand(
            { ...command, ...(env ? { env } : {}) },
            { timeoutMs: (ctx.timeoutSeconds + 30) * 1000 },
          ).catch(async (error: Error) => {
            const why = (await spec.explain?.(ctx).catch(() => [])) ?? [];
            if (why.length > 0)
              error.message += `\nwhat is not ready:\n${why.map((l) => `  ${l}`).join("\n")}`;
            throw error;
          }),
        );
      }
      return spec.line(ctx, outputs);
    },
    ...(spec.undo ? { undo: spec.undo } : {}),
  };
}

/** `--timeout=Ns` for kubectl's waits: the env file's startupTimeout. */
export const timeout = (ctx: KubeUpContext) => `--timeout=${ctx.timeoutSeconds}s`;
