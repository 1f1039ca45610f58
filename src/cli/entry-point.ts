import { join } from "node:path";
import { repoRoot } from "../paths.ts";

/**
 * The command that runs an entry point (scripts/NAME.ts, or DIR/NAME.ts when given a folder) the way
 * package.json does: one Node process running the TypeScript file itself. Node strips the types
 * (the code keeps to erasable syntax: tsconfig's erasableSyntaxOnly); no loader starts with it, which
 * takes about a third of a second off every command.
 */
export function entryPointCommand(script: string, args: readonly string[] = []): [string, string[]] {
  const file = script.includes("/") ? `${script}.ts` : join("scripts", `${script}.ts`);
  return [process.execPath, [join(repoRoot, file), ...args]];
}
