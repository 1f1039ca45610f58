import { join } from "node:path";
import { execa } from "execa";
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
  const file = script.includes("/") ? `${script}.ts` : join("scripts", `${script}.ts`);
  // One process with tsx as its loader, as package.json runs them: tsx's own CLI would run the
  // script in a child and SIGKILL it if it does not confirm a relayed SIGINT within about 60 ms.
  return execa(process.execPath, ["--import", "tsx", join(repoRoot, file), ...args], {
    cwd: repoRoot,
    reject: false,
    all: true,
    env,
    detached,
  });
}
