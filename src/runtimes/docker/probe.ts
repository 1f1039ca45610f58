import { execa } from "execa";
import { Wait, type WaitStrategy } from "testcontainers";
import type { Probe } from "./translate.ts";

const shellQuote = (args: string[]) => args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");

/** A readiness probe as a testcontainers wait strategy: HTTP from the host over loopback, exec inside. */
export function waitFor(probe: Probe | undefined): WaitStrategy {
  if (!probe) return Wait.forListeningPorts();
  if (probe.kind === "http") return Wait.forHttp(probe.path, probe.port).forStatusCode(200);
  if (probe.kind === "exec") return Wait.forSuccessfulCommand(shellQuote(probe.command));
  return Wait.forListeningPorts();
}

/** One readiness check of a running container (for `up` to decide whether to reuse it). */
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
