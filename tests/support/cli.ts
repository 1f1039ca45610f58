import { join } from "node:path";
import { execa } from "execa";
import { repoRoot } from "../../src/paths.ts";

const tsx = join(repoRoot, "node_modules", ".bin", "tsx");

/**
 * Runs a DevStack entry point (scripts/NAME.ts) the way `pnpm NAME` does, without throwing.
 * `detached` puts it in its own process group, so a test can kill it whole like a closed terminal.
 */
export function runScript(
  script: string,
  args: string[] = [],
  { env = {}, detached = false }: { env?: Record<string, string>; detached?: boolean } = {},
) {
  return execa(tsx, [join(repoRoot, "scripts", `${script}.ts`), ...args], {
    cwd: repoRoot,
    reject: false,
    all: true,
    env,
    detached,
  });
}
