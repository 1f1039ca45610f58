import type { WaitStrategy } from "testcontainers";
import { execExitCode, inspectContainer } from "../../docker/api.ts";
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

export const describeProbe = (probe: Probe | undefined) =>
  !probe
    ? "running"
    : probe.kind === "http"
      ? `GET :${probe.port}${probe.path} = 200`
      : probe.kind === "exec"
        ? `exec ${probe.command.join(" ")}`
        : `tcp :${probe.port}`;

/** One readiness check of a running container, through the Docker API (no process spawned). */
export async function probeOnce(
  container: string,
  probe: Probe | undefined,
  hostPort: (port: number) => number | undefined,
): Promise<boolean> {
  const inspection = await inspectContainer(container);
  return inspection?.State.Running === true && (await passes(container, probe, hostPort));
}

/** Whether the probe passes, the container known to run. */
async function passes(
  container: string,
  probe: Probe | undefined,
  hostPort: (port: number) => number | undefined,
): Promise<boolean> {
  if (!probe || probe.kind === "tcp") return true;
  if (probe.kind === "exec") return (await execExitCode(container, probe.command).catch(() => 1)) === 0;
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

/** How often start-up probes run: far more often than periodSeconds, so `up` waits no longer than it must. */
const STARTUP_PROBE_MS = 100;

/** Probes until the readiness probe passes, the container exits, or the timeout passes. */
export async function waitUntilReady(
  container: string,
  probe: Probe | undefined,
  hostPort: (port: number) => number | undefined,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // One inspection a round, for both questions: every round of every starting container is a
    // call the engine serves while it starts the others.
    const state = (await inspectContainer(container))?.State;
    if (state?.Running && (await passes(container, probe, hostPort))) return;
    if (!state || state.Status === "exited" || state.Status === "dead")
      throw new Error(
        `the container ${state ? `exited (code ${state.ExitCode})` : "is gone"} before its readiness probe (${describeProbe(probe)}) passed`,
      );
    if (Date.now() > deadline)
      throw new Error(
        `its readiness probe (${describeProbe(probe)}) did not pass within ${timeoutMs / 1000}s`,
      );
    await new Promise((r) => setTimeout(r, STARTUP_PROBE_MS));
  }
}
