import { execa } from "execa";
import type { WaitStrategy } from "testcontainers";
import type { Probe } from "./translate.ts";

/**
 * testcontainers' own wait strategies remove a container whose start times out; the runtime keeps
 * it (its logs are what the user needs), so testcontainers only waits for "started" and the
 * readiness probe is run here.
 */
export const startedOnly: WaitStrategy = {
  waitUntilReady: async () => {},
  withStartupTimeout() {
    return this;
  },
  isStartupTimeoutSet: () => false,
  getStartupTimeout: () => 0,
};

const describe = (probe: Probe | undefined) =>
  !probe
    ? "running"
    : probe.kind === "http"
      ? `GET :${probe.port}${probe.path} = 200`
      : probe.kind === "exec"
        ? `exec ${probe.command.join(" ")}`
        : `tcp :${probe.port}`;

/** One readiness check of a running container. */
export async function probeOnce(
  container: string,
  probe: Probe | undefined,
  hostPort: (port: number) => number | undefined,
): Promise<boolean> {
  const running = await execa("docker", ["inspect", "--format", "{{.State.Running}}", container], {
    reject: false,
  });
  if (String(running.stdout).trim() !== "true") return false;
  if (!probe || probe.kind === "tcp") return true;
  if (probe.kind === "exec")
    return (await execa("docker", ["exec", container, ...probe.command], { reject: false })).exitCode === 0;
  const port = hostPort(probe.port);
  if (!port) return false;
  try {
    const response = await fetch(`http://127.0.0.1:${port}${probe.path}`, {
      signal: AbortSignal.timeout(2_000),
    });
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * Probes until the readiness probe passes, the container exits, or the timeout passes. Start-up
 * probes every 250 ms rather than every periodSeconds, so that `up` is not slower than it must be.
 */
export async function waitUntilReady(
  container: string,
  probe: Probe | undefined,
  hostPort: (port: number) => number | undefined,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probeOnce(container, probe, hostPort)) return;
    const state = await execa(
      "docker",
      ["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", container],
      { reject: false },
    );
    const [status, code] = String(state.stdout).trim().split(" ");
    if (status === "exited" || status === "dead")
      throw new Error(
        `the container exited (code ${code}) before its readiness probe (${describe(probe)}) passed`,
      );
    if (Date.now() > deadline)
      throw new Error(`its readiness probe (${describe(probe)}) did not pass within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
