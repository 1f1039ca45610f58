import { execa } from "execa";
import { entryPointCommand } from "../../src/cli/entry-point.ts";
import { repoRoot } from "../../src/paths.ts";

/**
 * Runs a DevStack entry point (scripts/NAME.ts, or DIR/NAME.ts when given a folder) the way
 * `pnpm NAME` does, without throwing.
 * `detached` puts it in its own process group, so a test can kill it whole like a closed terminal.
 */
export function runScript(
  script: string,
  args: string[] = [],
  { env = {}, detached = false }: { env?: Record<string, string>; detached?: boolean } = {},
) {
  return execa(...entryPointCommand(script, args), {
    cwd: repoRoot,
    reject: false,
    all: true,
    env,
    detached,
  });
}
