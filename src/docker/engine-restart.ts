import { spawn } from "node:child_process";
import { existsSync, openSync, readFileSync } from "node:fs";
import { execa } from "execa";
import { UserError } from "../errors.ts";

/** Where a dockerd DevStack starts logs (the same file bootstrap.sh starts it with). */
const DOCKERD_LOG = "/var/log/devstack-dockerd.log";
const PID_FILE = "/var/run/docker.pid";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const answers = async () =>
  (await execa("docker", ["version", "--format", "{{.Server.Version}}"], { reject: false, timeout: 5_000 }))
    .exitCode === 0;

async function until(what: string, test: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline)
      throw new UserError(`the Docker engine restart: ${what} within ${ms / 1000} s`);
    await sleep(250);
  }
}

/**
 * Restarts the local Docker engine as an operator (or an upgrade) would: through systemd where it
 * manages the engine; otherwise the running dockerd is stopped (SIGTERM: it stops every
 * container) and started again with the same command line, detached, logging to DOCKERD_LOG.
 * Resolves once the new engine answers. Containers without a restart policy (all of DevStack's:
 * the supervisor is its kubelet) stay stopped, as after a host reboot.
 */
export async function restartEngine(): Promise<void> {
  const systemd = await execa("systemctl", ["is-active", "--quiet", "docker"], { reject: false });
  if (systemd.exitCode === 0) {
    await execa("systemctl", ["restart", "docker"]);
  } else {
    if (!existsSync(PID_FILE))
      throw new UserError(
        `cannot restart the Docker engine: neither systemd nor ${PID_FILE} knows a dockerd`,
      );
    const pid = Number(readFileSync(PID_FILE, "utf8").trim());
    const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    if (!command[0]?.endsWith("dockerd"))
      throw new UserError(
        `cannot restart the Docker engine: pid ${pid} (${PID_FILE}) runs '${command.join(" ")}'`,
      );
    process.kill(pid, "SIGTERM");
    // dockerd stops its containers first (10 s grace each, in parallel).
    await until("the old dockerd did not exit", () => !existsSync(`/proc/${pid}`), 90_000);
    const log = openSync(DOCKERD_LOG, "a");
    spawn(command[0], command.slice(1), { detached: true, stdio: ["ignore", log, log] }).unref();
  }
  await until("the engine did not answer again", answers, 60_000);
}
