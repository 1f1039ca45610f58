import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { kubeconfigFile } from "../../src/runtimes/kind/names.ts";
import {
  keeperRunning,
  sliceReader,
  startKeeper,
  stopKeeper,
} from "../../src/runtimes/kind/port-forwards.ts";

// The Kind runtime's port-forward keeper, as a real detached process. `kubectl` is a stand-in
// script: its EndpointSlice watch prints the slices a cluster would (azora-db-rw's pod changes
// from azora-db-1 to azora-db-2 after a while, as at a failover), and its port-forwards record how
// they were called and end at once, as a forward does when its pod goes (or, for the other
// stand-in, hold until killed). The keeper must start each forward again, follow the Service's
// pod, and stop when told or when the cluster's kubeconfig is gone.

const dir = mkdtempSync(join(tmpdir(), "devstack-forwards-"));
process.env.DEVSTACK_STATE_DIR = dir;
const calls = join(dir, "calls.log");
const slice = (name: string, service: string, port: number, pods: string[]) =>
  JSON.stringify(
    {
      metadata: { name, labels: { "kubernetes.io/service-name": service } },
      ports: [{ name: port === 5432 ? "postgres" : "http", port }],
      endpoints: pods.map((pod) => ({ conditions: { ready: true }, targetRef: { kind: "Pod", name: pod } })),
    },
    null,
    4,
  );
const stub = (file: string, forward: string) => {
  writeFileSync(
    file,
    [
      "#!/bin/sh",
      'case "$*" in',
      "*endpointslices*)",
      `  cat <<'EOF'\n${slice("user-service-x1", "user-service", 8081, ["user-service-abc"])}\n${slice("azora-db-rw-x1", "azora-db-rw", 5432, ["azora-db-1"])}\nEOF`,
      "  sleep 3",
      `  cat <<'EOF'\n${slice("azora-db-rw-x1", "azora-db-rw", 5432, ["azora-db-2"])}\nEOF`,
      "  sleep 30 ;;",
      `*) echo "$*" >> ${calls}; ${forward} ;;`,
      "esac",
      "",
    ].join("\n"),
  );
  chmodSync(file, 0o755);
};
const kubectl = join(dir, "kubectl");
stub(kubectl, "sleep 0.2; exit 1");
const holding = join(dir, "kubectl-holding");
stub(holding, "exec sleep 30");
const forwards = [
  { service: "user-service", port: 8080, portName: "http", hostPort: 41001 },
  { service: "azora-db-rw", port: 5432, portName: "postgres", hostPort: 41002 },
];
const forwardTo = (pod: string, ports: string) =>
  `--kubeconfig ${kubeconfigFile("fw")} -n azora port-forward --address 127.0.0.1 pod/${pod} ${ports}`;
const callsOf = () => (existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n") : []);
const until = async (what: () => boolean, ms: number) => {
  const deadline = Date.now() + ms;
  while (!what() && Date.now() < deadline) await sleep(100);
  return what();
};

afterEach(() => {
  stopKeeper("fw");
  rmSync(calls, { force: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the port-forward keeper", () => {
  it("holds each forward, starting it again after it ends, until stopped", async () => {
    mkdirSync(dirname(kubeconfigFile("fw")), { recursive: true });
    writeFileSync(kubeconfigFile("fw"), "");
    startKeeper("fw", kubectl, "azora", forwards);
    expect(keeperRunning("fw")).toBe(true);
    // Each forward ended after 0.2 s and was started again a second later: at least twice each.
    expect(await until(() => callsOf().filter((c) => c.includes("user-service")).length >= 2, 15_000)).toBe(
      true,
    );
    // Each to the ready pod behind its Service, at the port the Service sends to (8081, not 8080).
    expect(new Set(callsOf().slice(0, 2))).toEqual(
      new Set([forwardTo("user-service-abc", "41001:8081"), forwardTo("azora-db-1", "41002:5432")]),
    );
    expect(stopKeeper("fw")).toBe(true);
    expect(await until(() => !keeperRunning("fw"), 5_000)).toBe(true);
    expect(stopKeeper("fw")).toBe(false);
  }, 30_000);

  it("moves a forward that still runs to the pod that backs its Service now", async () => {
    mkdirSync(dirname(kubeconfigFile("fw")), { recursive: true });
    writeFileSync(kubeconfigFile("fw"), "");
    startKeeper("fw", holding, "azora", forwards);
    expect(await until(() => callsOf().includes(forwardTo("azora-db-2", "41002:5432")), 15_000)).toBe(true);
    // The forward to azora-db-1 was started once, and user-service's, still backed, was left alone.
    expect(callsOf().filter((c) => c.includes("user-service"))).toEqual([
      forwardTo("user-service-abc", "41001:8081"),
    ]);
    expect(callsOf().filter((c) => c.includes("azora-db-1"))).toHaveLength(1);
  }, 30_000);

  it("ends by itself once the cluster's kubeconfig is gone", async () => {
    mkdirSync(dirname(kubeconfigFile("fw")), { recursive: true });
    writeFileSync(kubeconfigFile("fw"), "");
    const pid = startKeeper("fw", kubectl, "azora", forwards);
    expect(await until(() => callsOf().length >= 1, 10_000)).toBe(true);
    rmSync(kubeconfigFile("fw"));
    const gone = () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    };
    expect(await until(gone, 10_000)).toBe(true);
  }, 30_000);
});

describe("the keeper's reading of the EndpointSlice watch", () => {
  it("skips an object cut off mid-way and reads the next one", () => {
    const views: string[] = [];
    const read = sliceReader((v) =>
      views.push(`${v.service} ${v.ready.join(",")} ${[...v.ports].join(";")}`),
    );
    for (const line of ["{", '    "metadata": {', "}"]) read(line);
    const whole = slice("azora-db-rw-x1", "azora-db-rw", 5432, ["azora-db-2"]);
    for (const line of whole.split("\n")) read(line);
    expect(views).toEqual(["azora-db-rw azora-db-2 postgres,5432"]);
  });
});
