import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { type EnvFile, loadEnvFile } from "../config/env-file.ts";
import { currentRun } from "../labels.ts";
import { stateDir } from "../paths.ts";
import { RUNTIME_NAMES } from "../runtimes/runtime.ts";

/** What DevStack remembers of one environment between commands (ports, generated secrets, status). */
export const envStateSchema = z.object({
  name: z.string(),
  /** The runtime that runs it (states written before runtimes existed are Docker's). */
  runtime: z.enum(RUNTIME_NAMES).default("docker"),
  /** The env file (envs/ENV.yaml) it was brought up from. */
  env: z.string().default("dev"),
  /** The components switched on (the env file's `with:` and `dev:up --with`), kept for every later command. */
  with: z.array(z.string()).default([]),
  /** `starting` until `up` finishes; a `starting` env whose run is gone was interrupted. */
  status: z.enum(["starting", "ready"]),
  run: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  /** Host ports on 127.0.0.1, by workload (first replica) — nothing uses fixed host ports. */
  ports: z.record(z.string(), z.number()),
  /** Kind and cluster: the namespace the overlay runs in (a record written before it was kept has none). */
  namespace: z.string().optional(),
  /** Cluster: the kubeconfig context and the registry its images were pushed to. */
  context: z.string().optional(),
  registry: z.string().optional(),
  /** Host-side URLs by workload: `postgres`, `redis` and each HTTP service. */
  endpoints: z.record(z.string(), z.string()).default({}),
  /** A digest of each pod's configuration (its files and init containers), by container name. */
  config: z.record(z.string(), z.string()).default({}),
  /** The image of each workload's containers and where it came from, by logical image name. */
  images: z.record(z.string(), z.object({ ref: z.string(), source: z.string() })).default({}),
  /**
   * Seconds from the start of the last `up` that created its pods until it first saw each pass its
   * readiness probe (recorded by the Docker runtime). The services are first asked once the seed is
   * in, so theirs are upper bounds.
   */
  readySeconds: z.record(z.string(), z.number()).default({}),
  /** Generated Secret values, by Secret name then key (reused by the next `up`). */
  secrets: z.record(z.string(), z.record(z.string(), z.string())),
});
export type EnvState = z.infer<typeof envStateSchema>;

/** The record of an environment whose `up` starts now: expiring after the env file's TTL. */
export function startingState(
  name: string,
  runtime: EnvState["runtime"],
  envFile: EnvFile,
  secrets: EnvState["secrets"],
): EnvState {
  const now = new Date();
  return {
    name,
    runtime,
    env: envFile.name,
    with: envFile.with,
    status: "starting",
    run: currentRun(),
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + envFile.ttl).toISOString(),
    ports: {},
    endpoints: {},
    config: {},
    images: {},
    readySeconds: {},
    secrets,
  };
}

/** The env file an environment was brought up from, with the components it was brought up with. */
export function envFileOf(state: EnvState): EnvFile {
  return { ...loadEnvFile(state.env), with: state.with };
}

const envsDir = () => join(stateDir(), "envs");
export const stateFile = (name: string) => join(envsDir(), `${name}.json`);

export function readEnvState(name: string): EnvState | undefined {
  try {
    return envStateSchema.parse(JSON.parse(readFileSync(stateFile(name), "utf8")));
  } catch {
    return undefined;
  }
}

/** Writes atomically (temp file + rename) and readable by the owner only: it holds secrets. */
export function writeEnvState(state: EnvState): void {
  mkdirSync(envsDir(), { recursive: true, mode: 0o700 });
  const file = stateFile(state.name);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}

export function removeEnvState(name: string): void {
  rmSync(stateFile(name), { force: true });
}

export function listEnvStates(): EnvState[] {
  let files: string[];
  try {
    files = readdirSync(envsDir()).filter((f) => f.endsWith(".json"));
  } catch {
    return [];
  }
  return files.map((f) => readEnvState(f.slice(0, -5))).filter((s): s is EnvState => s !== undefined);
}
