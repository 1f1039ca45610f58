import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../src/docker/cli.ts";
import { bridgeOf } from "../../src/docker/network.ts";
import { applyScript, removeTable } from "../../src/firewall/nft.ts";
import { firewallRunner } from "../../src/firewall/runner.ts";
import { labelArgs } from "../../src/labels.ts";
import { type Observation, probePairs } from "../../src/netpol/live-probe.ts";
import { compileFirewall } from "../../src/netpol/nftables.ts";
import { nsenterProbe, type ProbePod } from "../../src/runtimes/docker/policy-probe.ts";
import { image, testLabels } from "../support/labels.ts";
import { ALL_PODS, type Policy, podIP, type TestCase, type Topology } from "../support/netpol-topology.ts";
import { upstreamScenarios } from "../support/netpol-upstream-scenarios.ts";

// Conformance on Docker: the upstream Kubernetes network-policy e2e scenarios, enforced by the
// Docker runtime's firewall and probed live. Nine containers stand for pods x/a ... z/c, each
// serving TCP and UDP on ports 80 and 81 (an echo for UDP); they get the very addresses the
// scenarios' ipBlock cases are written against (10.0.<namespace>.<pod>). For every expectation of
// a scenario, the policies are compiled and applied to the test network's bridge, then every
// ordered pair of the scenario's pods is probed on the expected (port, protocol) with fresh
// connections from inside the source's network namespace. What is expected comes from the
// scenario's upstream truth table, never from the engine.

const run = `conformance-${process.pid}`;
const network = `devstack-${run}`;
const containerOf = (pod: string) => `${network}-${pod.replace("/", "-")}`;
const SERVER = `
const net = require("node:net"), dgram = require("node:dgram");
for (const port of [80, 81]) {
  net.createServer((s) => { s.on("error", () => {}); s.end(); }).listen(port);
  const udp = dgram.createSocket("udp4");
  udp.on("message", (m, r) => udp.send(m, r.port, r.address));
  udp.bind(port);
}`;

let bridge = "";
const pids = new Map<string, number>();

beforeAll(async () => {
  // 10.0.0.0/16 holds every scenario address; the gateway sits at the other end.
  await docker([
    "network",
    "create",
    ...labelArgs(testLabels()),
    "--subnet",
    "10.0.0.0/16",
    "--gateway",
    "10.0.255.254",
    network,
  ]);
  bridge = await bridgeOf(network);
  await Promise.all(
    ALL_PODS.map((pod) =>
      docker([
        "run",
        "--detach",
        "--name",
        containerOf(pod),
        ...labelArgs(testLabels()),
        "--network",
        network,
        "--ip",
        podIP(pod),
        "--user",
        "0",
        image("node"),
        "node",
        "-e",
        SERVER,
      ]),
    ),
  );
  for (const pod of ALL_PODS)
    pids.set(pod, Number(await docker(["inspect", "--format", "{{.State.Pid}}", containerOf(pod)])));
}, 120_000);

afterAll(async () => {
  await removeTable(compileFirewall(run, { bridge }, { pods: [] }).table, await firewallRunner());
  await docker(["rm", "--force", ...ALL_PODS.map(containerOf)], { reject: false });
  await docker(["network", "rm", network], { reject: false });
});

interface Step {
  k8s: Topology;
  policies: readonly Policy[];
  protocol: TestCase["protocol"];
  toPort: number;
  /** The truth table as it was when the scenario stated it (scenarios mutate and reuse objects). */
  expected: ReadonlyMap<string, boolean>;
}

/** A scenario's expectation, copied at the moment it is stated. */
function snapshot(k8s: Topology, policies: readonly Policy[], testCase: TestCase): Step {
  const pods = testCase.reachability.pods;
  const expected = new Map(
    pods.flatMap((from) => pods.map((to) => [`${from}>${to}`, testCase.reachability.get(from, to)] as const)),
  );
  return {
    k8s: structuredClone(k8s),
    policies: structuredClone(policies),
    protocol: testCase.protocol,
    toPort: testCase.toPort,
    expected,
  };
}

/** Enforces the step's policies over the step's pods, probes, and fails with both truth tables. */
async function enforceAndProbe({ k8s, policies, protocol, toPort, expected }: Step) {
  const firewall = compileFirewall(
    run,
    { bridge: bridge },
    { namespaces: k8s.namespaces, pods: k8s.pods, policies },
  );
  await applyScript(firewall.script, `conformance run ${run}`, await firewallRunner());
  const pods: ProbePod[] = k8s.pods.map((p) => ({
    ...p,
    podIP: p.podIP as string,
    pid: pids.get(`${p.namespace}/${p.name}`) as number,
  }));
  const observed = await probePairs(
    pods,
    (from, to) => expected.get(`${from}>${to}`) === true,
    nsenterProbe,
    {
      only: { protocol, port: toPort },
    },
  );
  expect(observed.length).toBe(pods.length * (pods.length - 1));
  const wrong = observed.filter((o) => o.expected !== o.reached);
  expect(wrong.map(describeObservation), `${toPort}/${protocol}`).toEqual([]);
}

const describeObservation = (o: Observation) =>
  `${o.from} -> ${o.to} ${o.port}/${o.protocol}: expected ${o.expected ? "allow" : "deny"}, observed ${o.outcome}`;

let recorder: ((k8s: Topology, policies: readonly Policy[], testCase: TestCase) => void) | undefined;

describe("NetworkPolicy conformance on Docker (upstream e2e scenarios, probed live)", () => {
  upstreamScenarios({
    describe,
    it: (name, body) => {
      const pending: Step[] = [];
      recorder = (k8s, policies, testCase) => pending.push(snapshot(k8s, policies, testCase));
      registerLive(name, body, pending);
      recorder = undefined;
    },
    validateOrFail: (k8s, policies, testCase) => recorder?.(k8s, policies, testCase),
  });
});

/**
 * Scenarios that state no reachability, so there is nothing to probe: each named, with why. A
 * scenario outside this list that states none fails, and so does a name here that no scenario has.
 */
const NOTHING_TO_PROBE: Record<string, string> = {
  "should support creating NetworkPolicy API with endport field":
    "checks the API's validation, not reachability",
};
const seen = new Set<string>();

/**
 * Registers a scenario as a live test. A scenario whose body throws while its expectations are
 * recorded fails with that error; SCTP and IPv6 steps are skipped, saying why, because the probe
 * servers speak TCP and UDP over IPv4 only.
 */
function registerLive(name: string, body: () => void, steps: Step[]) {
  seen.add(name);
  let thrown: unknown;
  try {
    body();
  } catch (error) {
    thrown = error;
  }
  if (thrown !== undefined) {
    it(name, () => {
      throw thrown;
    });
    return;
  }
  const why =
    steps.length === 0
      ? NOTHING_TO_PROBE[name]
      : steps.some((s) => s.protocol === "SCTP")
        ? "SCTP: the probe servers speak TCP and UDP"
        : steps.some((s) => s.k8s.family === "ipv6")
          ? "IPv6: the test network is IPv4"
          : undefined;
  if (why) it.skip(`${name} [${why}]`, () => {});
  else
    it(name, async () => {
      expect(
        steps.length,
        "the scenario states no reachability and is not in NOTHING_TO_PROBE",
      ).toBeGreaterThan(0);
      for (const step of steps) await enforceAndProbe(step);
    }, 120_000);
}

it("every scenario listed as having nothing to probe exists", () => {
  expect(Object.keys(NOTHING_TO_PROBE).filter((name) => !seen.has(name))).toEqual([]);
});
