import { execa } from "execa";
import { type EnvFile, loadEnvFile } from "../../config/env-file.ts";
import { docker, dockerMaybe } from "../../docker/cli.ts";
import { envFileOf, readEnvState, startingState, writeEnvState } from "../../env/state.ts";
import { UserError } from "../../errors.ts";
import { resolveImages } from "../../images/resolve.ts";
import { devstackLabels, LABEL, labelArgs } from "../../labels.ts";
import type { BackupInfo, BackupRepository, Backups, RestoreResult, Runtime } from "../runtime.ts";
import { LOCKED } from "./backup-schedule.ts";
import { isStandIn } from "./cluster.ts";
import { backsUp, REPOSITORY_PATH } from "./cluster-backup.ts";
import { dockerDatabase } from "./database.ts";
import { containerOf } from "./faults.ts";
import { backupRepositoryName, envResources, isData, volumeName } from "./names.ts";
import { dockerPlanOf } from "./support.ts";

/**
 * Backups on Docker (cluster-backup.ts says how a Cluster's `spec.backup` is run): base backups
 * taken by pgBackRest in the primary's container, listed by pgBackRest from each environment's
 * repository volume, and point-in-time restores into an environment brought up on the restored
 * data. pgBackRest runs inside the postgres image only; the host needs nothing but Docker.
 */

/** pgBackRest's `info --output=json`, the parts read here. */
interface PgBackRestInfo {
  name: string;
  archive: { min?: string; max?: string }[];
  backup: {
    label: string;
    type: string;
    timestamp: { start: number; stop: number };
    info: { size: number; repository: { delta: number } };
  }[];
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
/** A time as pgBackRest's --target and PostgreSQL's recovery_target_time both read it. */
const targetTime = (at: Date) => `${at.toISOString().replace("T", " ").replace("Z", "")}+00`;

function backupsOf(info: PgBackRestInfo | undefined): BackupInfo[] {
  return (info?.backup ?? []).map((b) => ({
    label: b.label,
    type: b.type,
    startedAt: iso(b.timestamp.start),
    stoppedAt: iso(b.timestamp.stop),
    bytes: b.info.repository.delta,
    databaseBytes: b.info.size,
  }));
}

async function postgresImage(): Promise<string> {
  return (await resolveImages({ names: ["postgres"], silent: true })).get("postgres")?.ref ?? "postgres";
}

/** A one-shot container of the postgres image, as postgres, on no network; resolves to its output. */
async function runOneShot(
  args: string[],
  labels: Record<string, string>,
): Promise<{ ok: boolean; output: string }> {
  const result = await execa(
    "docker",
    ["run", "--rm", "--network", "none", "--user", "postgres", ...labelArgs(labels), ...args],
    { reject: false, all: true },
  );
  return { ok: result.exitCode === 0, output: String(result.all ?? "").trim() };
}

const toolLabels = () => devstackLabels({ purpose: "tool", ttlMs: 60 * 60_000 });

/** One repository's backups and WAL range, read with pgBackRest from `image` (the postgres image). */
async function readRepository(
  volume: string,
  labels: Record<string, string>,
  image: string,
): Promise<BackupRepository> {
  const env = labels[LABEL.backupsOf] ?? volume;
  const run = await runOneShot(
    [
      "-v",
      `${volume}:${REPOSITORY_PATH}:ro`,
      "--entrypoint",
      "pgbackrest",
      image,
      `--repo1-path=${REPOSITORY_PATH}`,
      "--output=json",
      "info",
    ],
    toolLabels(),
  );
  if (!run.ok) throw new UserError(`the backups of environment '${env}' cannot be read: ${run.output}`);
  // One stanza per repository: the Cluster's.
  const [info] = JSON.parse(run.output || "[]") as PgBackRestInfo[];
  const archive = info?.archive.find((a) => a.min && a.max);
  return {
    env,
    envFile: labels[LABEL.backupsEnvFile] ?? "dev",
    with: (labels[LABEL.backupsWith] ?? "").split(",").filter(Boolean),
    backups: backupsOf(info),
    ...(archive?.min && archive.max ? { wal: { first: archive.min, last: archive.max } } : {}),
  };
}

/** Runs a shell script as postgres in the environment's primary instance; fails saying what to do when its Cluster has no backups. */
async function inPrimary(env: string, script: string): Promise<string> {
  const state = readEnvState(env);
  if (state?.status !== "ready")
    throw new UserError(
      `environment '${env}' is not up`,
      `Start it with \`pnpm dev:up --name ${env} --with backups\`.`,
    );
  const primary = (await dockerDatabase(env).members()).find((m) => m.role === "primary");
  if (!primary) throw new UserError(`environment '${env}': its database has no primary`);
  const result = await execa(
    "docker",
    [
      "exec",
      "--user",
      "postgres",
      containerOf(env, primary.pod),
      "sh",
      "-c",
      `[ -n "$PGBACKREST_STANZA" ] || exit 64; ${script}`,
    ],
    { reject: false, all: true },
  );
  if (result.exitCode === 64)
    throw new UserError(
      `environment '${env}': its Cluster has no spec.backup, so nothing is archived or backed up`,
      `Bring it up with backups: \`pnpm dev:up --name ${env} --with backups\` (or an env file with \`with: [backups]\`).`,
    );
  if (result.exitCode !== 0)
    throw new UserError(
      `environment '${env}': pgBackRest failed in ${primary.pod}: ${String(result.all).trim()}`,
    );
  return String(result.stdout ?? "");
}

/** The labels of a backup repository volume, or undefined when there is no such volume. */
async function repositoryLabels(volume: string): Promise<Record<string, string> | undefined> {
  const inspected = await dockerMaybe(["volume", "inspect", volume]);
  if (inspected === undefined) return undefined;
  return (JSON.parse(inspected) as { Labels: Record<string, string> | null }[])[0]?.Labels ?? {};
}

async function backupsKept(env: string): Promise<boolean> {
  return (await repositoryLabels(backupRepositoryName(env))) !== undefined;
}

/** Every environment's backups (one pgBackRest run per repository, the image resolved once). */
async function repositories(): Promise<BackupRepository[]> {
  const names = (
    await docker(["volume", "ls", "--filter", `label=${LABEL.backupsOf}`, "--format", "{{.Name}}"])
  )
    .split("\n")
    .filter(Boolean);
  const image = names.length > 0 ? await postgresImage() : "";
  const found: BackupRepository[] = [];
  for (const volume of names) {
    const labels = await repositoryLabels(volume);
    if (labels) found.push(await readRepository(volume, labels, image));
  }
  return found.sort((a, b) => a.env.localeCompare(b.env));
}

export function dockerBackups(runtime: Pick<Runtime, "up" | "down">): Backups {
  return {
    async take(env) {
      // A backup the supervisor is taking holds pgBackRest's lock, which stanza-create needs too:
      // each waits for it. Their errors are printed (stdout, at the console's level).
      const out = await inPrimary(
        env,
        [
          LOCKED,
          "locked pgbackrest stanza-create",
          "locked pgbackrest backup --type=full",
          "pgbackrest info --output=json",
        ].join("\n"),
      );
      // The JSON is the last line: the lines before it are what pgBackRest said while it waited.
      const [info] = JSON.parse(out.trim().split("\n").at(-1) ?? "[]") as PgBackRestInfo[];
      const newest = backupsOf(info).at(-1);
      if (!newest) throw new Error(`pgBackRest reported no backup after taking one: ${out}`);
      return newest;
    },

    list: repositories,

    kept: backupsKept,

    async orphaned(env) {
      return (await backupsKept(env)) && !(await envResources(env)).some(isData);
    },

    async remove(env) {
      const volume = backupRepositoryName(env);
      if (!(await repositoryLabels(volume)))
        throw new UserError(`environment '${env}' has no backups`, "`pnpm db:backups` lists them.");
      const result = await execa("docker", ["volume", "rm", volume], { reject: false, all: true });
      if (result.exitCode !== 0)
        throw new UserError(
          `the backups of environment '${env}' are in use (${String(result.all).trim()})`,
          `Remove the environment first: \`pnpm dev:down --name ${env}\`.`,
        );
    },

    async restore(options): Promise<RestoreResult> {
      const { from, into, to, force, progress } = options;
      const began = performance.now();
      // Only the source's repository is read: the others may be many, and are none of its business.
      const sourceVolume = backupRepositoryName(from);
      const sourceLabels = await repositoryLabels(sourceVolume);
      const image = await postgresImage();
      const repository = sourceLabels && (await readRepository(sourceVolume, sourceLabels, image));
      if (!repository)
        throw new UserError(
          `environment '${from}' has no backups`,
          "`pnpm db:backups` lists the environments that have.",
        );
      const oldest = repository.backups[0];
      if (!oldest)
        throw new UserError(
          `environment '${from}' has no base backup yet (only archived WAL)`,
          `Take one with \`pnpm db:backup --name ${from}\`.`,
        );
      if (to && to.getTime() > Date.now()) throw new UserError(`--to: ${to.toISOString()} is in the future`);
      if (to && to.getTime() < Date.parse(oldest.stoppedAt))
        throw new UserError(
          `--to: ${to.toISOString()} is before the oldest backup ended (${oldest.stoppedAt}); nothing can be restored to it`,
        );

      const exists = readEnvState(into) !== undefined || (await envResources(into)).length > 0;
      if (exists && !force)
        throw new UserError(
          `environment '${into}' exists; a restore never replaces one unasked`,
          `Pass --into ANOTHER-NAME, or --force to replace '${into}' (its data is lost).`,
        );
      // Another database's backups under the new name: the restored one could not archive beside
      // them (pgBackRest refuses another system's WAL), and --force does not delete backups.
      if (into !== from && (await repositoryLabels(backupRepositoryName(into))))
        throw new UserError(
          `environment '${into}' has backups of an earlier database; the restored one could not archive beside them`,
          `Restore into another name (--into), or remove them first: \`pnpm db:backups --delete ${into}\`.`,
        );

      // The source's WAL up to now into the archive (a switch, and a wait until it is there), so
      // every write acknowledged before the target can be replayed; before anything is removed,
      // since the environment replaced may be the source itself.
      const source = readEnvState(from);
      if (source?.status === "ready") {
        await inPrimary(from, "pgbackrest check");
        progress(`${from}: current WAL archived`);
      }
      if (exists) {
        await runtime.down(into);
        progress(`${into}: removed (--force)`);
      }

      const envFile: EnvFile = source
        ? envFileOf(source)
        : { ...loadEnvFile(repository.envFile), with: repository.with };
      const { prepared, containers } = await dockerPlanOf(envFile);
      // Instance 1: under Patroni the others clone it (cluster.ts).
      const instance = containers.find((c) => c.kind === "Cluster" && c.replica === 1 && backsUp(c));
      const data = instance?.volumes.find((v) => v.persistent && !v.repository);
      if (!instance || !data)
        throw new UserError(
          `env '${envFile.name}' (with: ${envFile.with.join(", ") || "none"}) has no Cluster with spec.backup to restore into`,
        );
      // The restored roles get the new environment's passwords: the application's, and where
      // Patroni manages the instances its superuser's and replication user's (cluster.ts).
      const secret = (kind: string) => prepared.secrets[`${instance.workload}-${kind}`] ?? {};
      const patroni = isStandIn(instance);
      const passwords = [secret("app"), ...(patroni ? [secret("superuser"), secret("replication")] : [])]
        .filter((s) => s.username)
        .map((s) => `${s.username} ${s.password ?? ""}`);
      // The record first, with the secrets the restored roles are given: `up` keeps them.
      writeEnvState(startingState(into, "docker", envFile, prepared.secrets));
      const volume = volumeName(into, instance, data);
      await docker([
        "volume",
        "create",
        ...labelArgs(devstackLabels({ purpose: "env", env: into, ttlMs: envFile.ttl })),
        volume,
      ]);

      const pgbackrest = Object.entries(instance.env).filter(([k]) => k.startsWith("PGBACKREST_"));
      progress(
        `restoring ${from}'s backup ${to ? `to ${to.toISOString()}` : "to the end of its archived WAL"}`,
      );
      const job = await runOneShot(
        [
          ...pgbackrest.flatMap(([k, v]) => ["-e", `${k}=${v}`]),
          "-e",
          `PGUSER=${instance.env.PGBACKREST_PG1_USER}`,
          "-e",
          `PGDATA=${instance.env.PGBACKREST_PG1_PATH}`,
          "-e",
          `RESTORE_TARGET=${to ? targetTime(to) : ""}`,
          "-e",
          `RESTORE_PASSWORDS=${passwords.join("\n")}`,
          "-v",
          `${volume}:${data.path}`,
          "-v",
          `${sourceVolume}:${REPOSITORY_PATH}:ro`,
          "--entrypoint",
          "restore.sh",
          image,
        ],
        devstackLabels({ purpose: "env", env: into, ttlMs: envFile.ttl }),
      );
      if (!job.ok) {
        await runtime.down(into);
        throw new UserError(
          `the restore of '${from}' into '${into}' failed; nothing was kept\n${job.output}`,
        );
      }
      for (const line of job.output.split("\n")) progress(line);
      const recovered = performance.now();
      const { state } = await runtime.up({ name: into, envFile, progress, seed: false });
      const done = performance.now();
      return { state, recoverySeconds: (recovered - began) / 1000, upSeconds: (done - recovered) / 1000 };
    },
  };
}
