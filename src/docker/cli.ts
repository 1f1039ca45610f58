import { execa, type Options } from "execa";
import { UserError } from "../errors.ts";

/** Runs the docker CLI (the real interface for image builds and inspection) and returns stdout. */
export async function docker(args: string[], options: Options = {}): Promise<string> {
  const result = await execa("docker", args, { ...options, stripFinalNewline: true });
  return String(result.stdout ?? "");
}

/** Like docker(), but resolves to undefined instead of throwing when the command fails. */
export async function dockerMaybe(args: string[], options: Options = {}): Promise<string | undefined> {
  const result = await execa("docker", args, { ...options, reject: false, stripFinalNewline: true });
  return result.exitCode === 0 ? String(result.stdout ?? "") : undefined;
}

let engineChecked: Promise<string> | undefined;

/**
 * Fails early, with one message saying what to do, when no Docker engine answers. Resolves to the
 * engine's version. Checked once per process.
 */
export function ensureEngine(): Promise<string> {
  engineChecked ??= (async () => {
    const result = await execa("docker", ["version", "--format", "{{.Server.Version}}"], {
      reject: false,
      timeout: 15_000,
    });
    if (result.exitCode === 0 && result.stdout) return String(result.stdout).trim();
    const where = process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
    const cause =
      result.failed && result.code === "ENOENT"
        ? "the docker CLI is not installed"
        : `nothing answers at ${where}`;
    throw new UserError(
      `no Docker engine is reachable (${cause}).`,
      "Start Docker (Docker Desktop, `systemctl start docker`, or `dockerd &` as root), or run `./devstack up`, which installs and starts Debian's engine on a root Debian machine.",
    );
  })();
  return engineChecked;
}

/**
 * `docker inspect` of objects that may be going away: those removed since their ids were listed are
 * left out. (docker still prints the others then, and fails only for the missing ones.)
 */
export async function inspectExisting<T>(ids: string[]): Promise<T[]> {
  if (ids.length === 0) return [];
  const result = await execa("docker", ["inspect", ...ids], { reject: false });
  const complaints = String(result.stderr)
    .split("\n")
    .filter((line) => line.trim() !== "");
  if (result.exitCode !== 0 && !complaints.every((line) => /No such object/i.test(line)))
    throw new Error(`docker inspect failed: ${result.stderr}`);
  return JSON.parse(String(result.stdout).trim() || "[]") as T[];
}
