import { randomBytes } from "node:crypto";
import { migrate } from "../db/migrate.ts";
import { docker, ensureEngine } from "../docker/cli.ts";
import { lastLogLines } from "../docker/logs.ts";
import { LoopbackOnly } from "../docker/loopback.ts";
import { listResources, removeResources } from "../docker/resources.ts";
import { GenericContainer, Wait } from "../docker/testcontainers.ts";
import { UserError } from "../errors.ts";
import { resolveImages } from "../images/resolve.ts";
import { currentRun, devstackLabels, LABEL, runIsAlive } from "../labels.ts";
import { type EnvState, readEnvState, removeEnvState, stateFile, writeEnvState } from "./state.ts";

/**
 * The data tier of an environment (PostgreSQL 17 + pgvector and Redis), until the Docker runtime
 * runs the full manifests. Everything is named `azora-ENV-*`, labelled, and published on loopback.
 */

export const DEFAULT_TTL_MS = 24 * 3600_000;
const NAME = /^[a-z][a-z0-9-]{0,39}$/;

export function checkEnvName(name: string): string {
  if (!NAME.test(name)) {
    throw new UserError(
      `--name: '${name}' is not a valid environment name`,
      "expected lower-case letters, digits and '-', starting with a letter, at most 40 characters",
    );
  }
  return name;
}

const prefix = (env: string) => `azora-${env}`;

export interface Endpoints {
  postgresUrl: string;
  redisUrl: string;
}

export function endpoints(state: EnvState): Endpoints {
  return {
    postgresUrl: `postgresql://azora:${state.secrets.postgresPassword}@127.0.0.1:${state.ports.postgres}/azora`,
    redisUrl: `redis://:${state.secrets.redisPassword}@127.0.0.1:${state.ports.redis}`,
  };
}

const envResources = (env: string) => listResources(`${LABEL.env}=${env}`);

async function isHealthy(container: string): Promise<boolean> {
  const status = await docker(
    [
      "inspect",
      "--format",
      "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}",
      container,
    ],
    {
      reject: false,
    },
  );
  return status.trim() === "running healthy";
}

export type Step = (line: string) => void;

/**
 * Brings the data tier of `env` up and returns its state. Idempotent: a ready environment whose
 * containers are healthy is returned as is; an interrupted or broken one is removed and rebuilt
 * (its volume and secrets are kept, so data survives).
 */
export async function upDataTier(
  env: string,
  { ttlMs = DEFAULT_TTL_MS, step = (_: string) => {} } = {},
): Promise<{ state: EnvState; reused: boolean }> {
  await ensureEngine();
  const existing = readEnvState(env);
  if (
    existing?.status === "ready" &&
    (await isHealthy(`${prefix(env)}-postgres`)) &&
    (await isHealthy(`${prefix(env)}-redis`))
  ) {
    return { state: existing, reused: true };
  }
  if (existing?.status === "starting" && existing.run !== currentRun() && runIsAlive(existing.run)) {
    throw new UserError(`environment '${env}' is being brought up by another run (${existing.run})`);
  }
  const leftovers = (await envResources(env)).filter((r) => r.kind !== "volume");
  if (leftovers.length > 0) {
    step(`removing ${leftovers.length} leftover resource(s) of an earlier run`);
    await removeResources(leftovers);
  }

  const now = new Date();
  const state: EnvState = {
    name: env,
    status: "starting",
    run: currentRun(),
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
    ports: {},
    // Generated per environment and kept with its data: a kept volume needs the same password.
    secrets: existing?.secrets ?? {
      postgresPassword: randomBytes(18).toString("base64url"),
      redisPassword: randomBytes(18).toString("base64url"),
    },
  };
  writeEnvState(state);

  const labels = devstackLabels({ purpose: "env", env, ttlMs });
  const images = await resolveImages({ names: ["postgres", "redis"], silent: true });
  const ref = (name: string) => images.get(name)?.ref ?? name;
  const network = prefix(env);
  const volume = `${prefix(env)}-pgdata`;
  step(`network ${network}, volume ${volume}`);
  await docker(["network", "create", ...labelArgs(labels), network]);
  if (!(await envResources(env)).some((r) => r.kind === "volume" && r.name === volume)) {
    await docker(["volume", "create", ...labelArgs(labels), volume]);
  }

  const Container = LoopbackOnly(GenericContainer);
  const postgres = new Container(ref("postgres"))
    .withName(`${prefix(env)}-postgres`)
    .withLabels(labels)
    .withNetworkMode(network)
    .withNetworkAliases("postgres")
    .withEnvironment({
      POSTGRES_USER: "azora",
      POSTGRES_PASSWORD: state.secrets.postgresPassword ?? "",
      POSTGRES_DB: "azora",
    })
    .withBindMounts([{ source: volume, target: "/var/lib/postgresql/data" }])
    .withExposedPorts(5432)
    .withHealthCheck({
      test: ["CMD-SHELL", "pg_isready --host 127.0.0.1 --username azora --dbname azora"],
      interval: 500,
      timeout: 3000,
      retries: 240,
    })
    .withWaitStrategy(Wait.forHealthCheck())
    .withStartupTimeout(120_000);
  const redis = new Container(ref("redis"))
    .withName(`${prefix(env)}-redis`)
    .withLabels(labels)
    .withNetworkMode(network)
    .withNetworkAliases("redis")
    .withCommand(["redis-server", "--requirepass", state.secrets.redisPassword ?? ""])
    .withExposedPorts(6379)
    .withHealthCheck({
      test: ["CMD-SHELL", 'redis-cli --no-auth-warning -a "$REDIS_PASSWORD" ping | grep -q PONG'],
      interval: 500,
      timeout: 3000,
      retries: 120,
    })
    .withEnvironment({ REDIS_PASSWORD: state.secrets.redisPassword ?? "" })
    .withWaitStrategy(Wait.forHealthCheck())
    .withStartupTimeout(60_000);

  const start = async (workload: string, container: InstanceType<typeof Container>) => {
    const began = performance.now();
    step(`${workload}: starting`);
    try {
      const started = await container.start();
      step(`${workload}: ready in ${((performance.now() - began) / 1000).toFixed(1)}s`);
      return started.getMappedPort(workload === "postgres" ? 5432 : 6379);
    } catch (error) {
      const logs = await lastLogLines(`${prefix(env)}-${workload}`);
      throw new UserError(
        `workload '${workload}' of environment '${env}' did not become ready: ${(error as Error).message}`,
        `last log lines of ${prefix(env)}-${workload}:\n${logs.replace(/^/gm, "  | ")}\nInspect with \`docker logs ${prefix(env)}-${workload}\`; remove with \`pnpm dev:down --name ${env}\`.`,
      );
    }
  };
  const [pgPort, redisPort] = await Promise.all([start("postgres", postgres), start("redis", redis)]);
  const ready: EnvState = { ...state, status: "ready", ports: { postgres: pgPort, redis: redisPort } };

  // The schema is part of "up": pending migrations are applied (none on a kept volume that is current).
  const began = performance.now();
  const applied = await migrate(endpoints(ready).postgresUrl);
  step(
    `migrations: ${applied.length === 0 ? "schema up to date" : `applied ${applied.join(", ")}`} (${((performance.now() - began) / 1000).toFixed(1)}s)`,
  );

  writeEnvState(ready);
  return { state: ready, reused: false };
}

/** Removes everything of `env`; with keepData its volume and secrets stay for the next `up`. */
export async function downEnv(env: string, { keepData = false } = {}): Promise<number> {
  await ensureEngine();
  const resources = (await envResources(env)).filter((r) => !(keepData && r.kind === "volume"));
  await removeResources(resources);
  if (!keepData) removeEnvState(env);
  return resources.length;
}

/**
 * After Ctrl-C: removes what an interrupted `up` created, again until a listing comes back empty,
 * since a container create already sent to the engine can land after the first removal.
 */
export async function removeInterrupted(env: string): Promise<void> {
  for (let round = 0; round < 10; round++) {
    if ((await downEnv(env, { keepData: true })) === 0 && round > 0) return;
    await new Promise((r) => setTimeout(r, 300));
  }
}

export { stateFile };

function labelArgs(labels: Record<string, string>): string[] {
  return Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
}
