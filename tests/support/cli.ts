import { execa } from "execa";
import { inject } from "vitest";
import { entryPointCommand } from "../../src/cli/entry-point.ts";
import { repoRoot } from "../../src/paths.ts";

/**
 * Runs a DevStack entry point (scripts/NAME.ts, or DIR/NAME.ts when given a folder) the way
 * `pnpm NAME` does, without throwing.
 * `detached` puts it in its own process group, so a test can kill it whole like a closed terminal.
 * What it makes carries the test run (DEVSTACK_TEST_RUN), so a killed run's leftovers are collected.
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
    env: { ...testRunEnv(), ...env },
    detached,
  });
}

/** The integration run's id (its global setup provides it; unit tests and benches have none). */
function testRunEnv(): Record<string, string> {
  let run: string | undefined;
  try {
    run = inject("testRun");
  } catch {
    // Outside vitest (a bench): no test run to mark.
  }
  return run ? { DEVSTACK_TEST_RUN: run } : {};
}
