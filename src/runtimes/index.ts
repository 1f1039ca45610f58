import { oneOf } from "../cli/flags.ts";
import type { EnvFile } from "../config/env-file.ts";
import { readEnvState } from "../env/state.ts";
import { clusterRuntime } from "./cluster/runtime.ts";
import { dockerRuntime } from "./docker/runtime.ts";
import { kindRuntime } from "./kind/runtime.ts";
import { RUNTIME_NAMES, type Runtime, type RuntimeName } from "./runtime.ts";

const RUNTIMES: Record<RuntimeName, Runtime> = {
  docker: dockerRuntime,
  kind: kindRuntime,
  cluster: clusterRuntime,
};

/** Every runtime, for commands that look across them (`env:list`, `env:gc`). */
export const allRuntimes = (): Runtime[] => RUNTIME_NAMES.map((name) => RUNTIMES[name]);

/** The runtimes whose environments run on this machine (what its capacity is counted against). */
export const localRuntimes = (): Runtime[] => allRuntimes().filter((r) => r.name !== "cluster");

/**
 * The runtime for a command: `--runtime` if given, else the env file's, else the one an existing
 * environment of that name runs on, else Docker.
 */
export function chooseRuntime(
  flag: string | undefined,
  { envFile, name }: { envFile?: EnvFile; name?: string } = {},
): Runtime {
  const chosen = flag ?? envFile?.runtime ?? (name ? readEnvState(name)?.runtime : undefined) ?? "docker";
  return RUNTIMES[oneOf("runtime", chosen, RUNTIME_NAMES)];
}

/** The `--runtime` flag every environment command takes. */
export const RUNTIME_FLAG = { runtime: { type: "string" } } as const;
