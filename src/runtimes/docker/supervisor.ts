import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { docker, dockerMaybe } from "../../docker/cli.ts";
import { LABEL } from "../../labels.ts";
import type { FirewallConfig } from "./firewall.ts";
import { supervisorName } from "./names.ts";
import { startedOnly } from "./probe.ts";
import { PODS_FILE } from "./supervisor-state.ts";

const FIREWALL_LABEL = "dev.azora.devstack.firewall";

/** The pod records a supervisor container kept (running or not), or undefined if it kept none. */
async function podRecordsOf(container: string): Promise<string | undefined> {
  const dir = await mkdtemp(join(tmpdir(), "devstack-pods-"));
  try {
    const copied = await dockerMaybe(["cp", `${container}:${PODS_FILE}`, join(dir, "pods.json")]);
    return copied === undefined ? undefined : await readFile(join(dir, "pods.json"), "utf8");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The supervisor: restarts containers whose liveness probe fails (the kubelet's job) and re-applies
 * the firewall when a container comes back with another address (Calico's). It runs in the host's
 * network namespace, like a node agent: it needs the host's nftables, and its probes, like the
 * kubelet's, are not pod traffic. It is replaced when the policies it enforces changed or it does
 * not run (its image is only resolved then); resolves to whether it (re)started one.
 */
export async function ensureSupervisor(
  env: string,
  image: () => Promise<string>,
  firewall: FirewallConfig,
  labels: Record<string, string>,
): Promise<boolean> {
  const config = JSON.stringify(firewall);
  const digest = createHash("sha256").update(config).digest("hex").slice(0, 16);
  const container = supervisorName(env);
  const current = await dockerMaybe([
    "inspect",
    "--format",
    `{{.State.Running}} {{index .Config.Labels "${FIREWALL_LABEL}"}}`,
    container,
  ]);
  if (current === `true ${digest}`) return false;
  // Gone, stopped or killed, or enforcing other policies: a new one, which keeps counting restarts
  // where the old one stopped.
  const records = current === undefined ? undefined : await podRecordsOf(container);
  if (current !== undefined) await docker(["rm", "--force", container]);
  const { GenericContainer } = await import("../../docker/testcontainers.ts");
  await new GenericContainer(await image())
    .withName(container)
    .withLabels({ ...labels, [LABEL.workload]: "supervisor", [FIREWALL_LABEL]: digest })
    .withNetworkMode("host")
    .withAddedCapabilities("NET_ADMIN")
    .withEnvironment({
      DEVSTACK_ENV: env,
      DEVSTACK_FIREWALL: config,
      ...(records ? { DEVSTACK_PODS: records } : {}),
    })
    .withBindMounts([{ source: "/var/run/docker.sock", target: "/var/run/docker.sock" }])
    .withWaitStrategy(startedOnly)
    .start();
  return true;
}
