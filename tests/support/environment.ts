import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { runScript } from "./cli.ts";

/**
 * An environment name for one test file, with a state folder of its own (so the user's
 * environments are never seen or touched); `dev:down` and the folder's removal run after the
 * file's tests.
 */
export function testEnvironment(prefix: string) {
  const stateDir = mkdtempSync(join(tmpdir(), "devstack-state-"));
  const env = { DEVSTACK_STATE_DIR: stateDir };
  const name = `${prefix}-${process.pid}`;
  afterAll(async () => {
    await runScript("dev-down", ["--name", name], { env });
    rmSync(stateDir, { recursive: true, force: true });
  });
  return { name, env, stateDir };
}
