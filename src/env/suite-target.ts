import { loadEnvFile, withComponents } from "../config/env-file.ts";
import { chooseRuntime } from "../runtimes/index.ts";
import type { EnvironmentHandle, Runtime } from "../runtimes/runtime.ts";
import { checkEnvName } from "./names.ts";
import { readEnvState } from "./state.ts";

/**
 * The environment a suite runs against: `--name` (default `dev`), or with `--start` one of env
 * `--env` brought up first unless it is already ready (named `PREFIX-PID` by default). Runs `body`
 * with it, then removes what `--start` brought up, whatever happened.
 */
export async function withSuiteEnvironment<T>(
  flags: { name?: string; start?: boolean; env?: string; runtime?: string },
  {
    prefix,
    defaultEnv,
    components,
  }: {
    prefix: string;
    defaultEnv: string;
    /** Components the started environment needs besides its env file's (e.g. backups). */
    components?: string[];
  },
  body: (target: { name: string; runtime: Runtime; env: EnvironmentHandle }) => Promise<T>,
): Promise<T> {
  const name = checkEnvName(flags.name ?? (flags.start ? `${prefix}-${process.pid}` : "dev"));
  const envFile = flags.start
    ? withComponents(loadEnvFile(flags.env ?? defaultEnv), components?.join(","))
    : undefined;
  const runtime = chooseRuntime(flags.runtime, { envFile, name });
  let started = false;
  try {
    if (envFile && readEnvState(name)?.status !== "ready") {
      console.log(`starting environment '${name}' (env ${envFile.name}) on ${runtime.name}`);
      await runtime.up({ name, envFile, progress: (line) => console.log(`  ${line}`) });
      started = true;
    }
    return await body({ name, runtime, env: await runtime.open(name) });
  } finally {
    if (started) await runtime.down(name);
  }
}
