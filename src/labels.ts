import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { resolve } from "node:path";
import { stateDir } from "./paths.ts";

/**
 * Everything DevStack creates in Docker carries these labels, so that `env:gc` can always find it
 * and decide, from the labels alone plus the state file, whether its creator is gone.
 */
export const LABEL = {
  managed: "dev.azora.devstack",
  env: "dev.azora.devstack.env",
  owner: "dev.azora.devstack.owner",
  expires: "dev.azora.devstack.expires",
  run: "dev.azora.devstack.run",
  /**
   * The test run (vitest's process) whose test made this, when one did (DEVSTACK_TEST_RUN): an
   * environment a killed test run left goes with that run, even though the command that made it
   * has ended as any `dev:up` does.
   */
  testRun: "dev.azora.devstack.test-run",
  purpose: "dev.azora.devstack.purpose",
  /** The recipe key an image was built from (images made by the image resolver). */
  recipe: "dev.azora.devstack.recipe",
  /** The workload (Deployment, StatefulSet, Cluster) a container is a replica of. */
  workload: "dev.azora.devstack.workload",
  /** A container's liveness probe, as JSON, for the supervisor. */
  liveness: "dev.azora.devstack.liveness",
  /** A container's readiness probe, as JSON, for the supervisor (its pod-state series). */
  readiness: "dev.azora.devstack.readiness",
  /** The name of a pod's container in the manifests (kube-state-metrics' `container` label). */
  container: "dev.azora.devstack.container",
  /** Which state folder keeps the environment's record (see recordsId). */
  records: "dev.azora.devstack.records",
  /**
   * An environment's backup repository carries these instead of `managed` (which would make it the
   * environment's, removed with it): the environment, and the env file and components it was
   * brought up with, so a restore can bring the same environment back after it is gone.
   */
  backupsOf: "dev.azora.devstack.backups-of",
  backupsEnvFile: "dev.azora.devstack.backups-env-file",
  backupsWith: "dev.azora.devstack.backups-with",
  /** A Cluster instance's ScheduledBackups, as JSON, for the supervisor (backup-schedule.ts). */
  backupSchedules: "dev.azora.devstack.backup-schedules",
} as const;

/**
 * The state folder this process keeps environment records in, as a short id. `env:gc` judges an
 * environment by its record only when the record is in its own folder: a test run with a private
 * state folder must never take a developer's environment (recorded elsewhere) for orphaned.
 */
export const recordsId = () => createHash("sha256").update(resolve(stateDir())).digest("hex").slice(0, 16);

/** `tool`: a one-shot container of a command (e.g. pgBackRest reading a backup repository). */
export type Purpose = "env" | "test" | "build" | "tool";

/** This process as `host:pid:start`, start being its kernel start time, so a reused pid is not mistaken for it. */
export function currentRun(): string {
  return `${hostname()}:${process.pid}:${processStart(process.pid) ?? 0}`;
}

/** Kernel start time and state of a process, from /proc (undefined where there is no /proc). */
function procStat(pid: number): { start: string; state: string } | undefined {
  try {
    // The command name (field 2) may hold spaces, so split after its closing parenthesis:
    // what follows starts at field 3 (state); field 22 is the start time.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "", start: fields[19] ?? "" };
  } catch {
    return undefined;
  }
}

function processStart(pid: number): string | undefined {
  return procStat(pid)?.start;
}

/**
 * Whether the run that wrote a `run` label is still alive. A run on another host is assumed alive:
 * only its own host can tell, and removing a live run's containers is the worse mistake.
 */
export function runIsAlive(run: string): boolean {
  const [host, pidText, start] = run.split(":");
  if (host !== hostname()) return true;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  const stat = procStat(pid);
  if (stat === undefined) return true; // no /proc (macOS): the signal check is all we have
  // A zombie has exited; it lingers only until its parent (or init) reaps it.
  if (stat.state === "Z" || stat.state === "X") return false;
  return start === "0" || stat.start === start;
}

export function owner(): string {
  return process.env.DEVSTACK_OWNER ?? userInfo().username;
}

/** The labels for a new resource; `run` defaults to this process (a test worker passes its runner's). */
export function devstackLabels(opts: {
  purpose: Purpose;
  env?: string;
  ttlMs: number;
  run?: string;
}): Record<string, string> {
  return {
    [LABEL.managed]: "true",
    [LABEL.purpose]: opts.purpose,
    [LABEL.owner]: owner(),
    [LABEL.run]: opts.run ?? currentRun(),
    [LABEL.expires]: new Date(Date.now() + opts.ttlMs).toISOString(),
    ...(opts.env ? { [LABEL.env]: opts.env, [LABEL.records]: recordsId() } : {}),
    ...(process.env.DEVSTACK_TEST_RUN ? { [LABEL.testRun]: process.env.DEVSTACK_TEST_RUN } : {}),
  };
}

/** Labels as `docker create`-style `--label k=v` arguments. */
export function labelArgs(labels: Record<string, string>): string[] {
  return Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
}
