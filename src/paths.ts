import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file lives in src/). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Where per-machine state lives (environment records), shared by every checkout of one user. */
export function stateDir(): string {
  const base =
    process.env.DEVSTACK_STATE_DIR ??
    join(process.env.XDG_STATE_HOME ?? join(homedir(), ".local", "state"), "azora-devstack");
  return base;
}

/**
 * Where the manifests (kind/) and env files (envs/) are read from: the repository's, unless
 * DEVSTACK_KIND_DIR / DEVSTACK_ENVS_DIR point elsewhere (a patched copy, e.g. in tests).
 */
export const kindDir = () => process.env.DEVSTACK_KIND_DIR ?? join(repoRoot, "kind");
export const envsDir = () => process.env.DEVSTACK_ENVS_DIR ?? join(repoRoot, "envs");
