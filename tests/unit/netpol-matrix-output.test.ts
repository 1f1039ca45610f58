import { describe, expect, it } from "vitest";
import { computeReachability } from "../../src/netpol/engine.ts";
import type { PodInput } from "../../src/netpol/model.ts";
import { renderText, toJson } from "../../src/netpol/render.ts";

// The matrix as people and programs read it (`pnpm netpol:matrix`, with and without --json and
// --port), and the lookups the matrix answers, on one small case worked out by hand:
// x/b admits only x/a (any port); everything else is open.

const pods: PodInput[] = [
  { namespace: "x", name: "a", labels: { app: "a" }, ports: [{ containerPort: 80, name: "http" }] },
  {
    namespace: "x",
    name: "b",
    labels: { app: "b" },
    ports: [{ containerPort: 80 }, { containerPort: 53, name: "dns", protocol: "UDP" }],
  },
  { namespace: "y", name: "c" },
];
const policies = [
  {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { namespace: "x", name: "b-from-a" },
    spec: {
      podSelector: { matchLabels: { app: "b" } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: "a" } } }] }],
    },
  },
];
const tcp80 = { protocol: "TCP", port: 80 } as const;

describe("the matrix as text", () => {
  it("lists, per pair, the declared ports that are allowed, then the ports asked and who is isolated", () => {
    expect(renderText(computeReachability({ pods, policies })).split("\n")).toEqual([
      "3 pod(s), 1 policy; 5 of 9 (from, to, port) allowed. Rows: from, columns: to.",
      "",
      'allowed ports ("-": none of the destination\'s ports is allowed, or it declares none)',
      "     x/a     x/b            y/c",
      "x/a  80/TCP  80/TCP,53/UDP  -",
      "x/b  80/TCP  -              -",
      "y/c  80/TCP  -              -",
      "",
      "ports asked per destination:",
      "  x/a: 80/TCP (http)",
      "  x/b: 80/TCP, 53/UDP (dns)",
      "  y/c: (none)",
      "",
      "isolated for ingress: x/b",
      "isolated for egress: (none)",
    ]);
  });

  it("with explicit ports, draws one grid per port, '.' allowed and 'X' denied", () => {
    const matrix = computeReachability({ pods, policies }, { ports: [tcp80] });
    expect(renderText(matrix, [tcp80]).split("\n")).toEqual([
      "3 pod(s), 1 policy; 7 of 9 (from, to, port) allowed. Rows: from, columns: to.",
      "",
      '80/TCP: "." allowed, "X" denied',
      "     x/a  x/b  y/c",
      "x/a  .    .    .",
      "x/b  .    X    .",
      "y/c  .    X    .",
      "",
      "isolated for ingress: x/b",
      "isolated for egress: (none)",
    ]);
    // No explicit ports given: the per-pair grid, even though the same port was asked everywhere.
    expect(renderText(matrix, []).split("\n")[2]).toMatch(/^allowed ports/);
  });

  it("says little about an empty cluster, and counts policies in the plural", () => {
    expect(renderText(computeReachability({ pods: [] }))).toBe(
      "0 pod(s), 0 policies; 0 of 0 (from, to, port) allowed. Rows: from, columns: to.",
    );
    const two = [
      policies[0],
      { ...policies[0], metadata: { namespace: "y", name: "deny" }, spec: { policyTypes: ["Egress"] } },
    ];
    const text = renderText(computeReachability({ pods, policies: two }));
    expect(text.split("\n")[0]).toBe(
      "3 pod(s), 2 policies; 4 of 9 (from, to, port) allowed. Rows: from, columns: to.",
    );
    expect(text.split("\n").slice(-2)).toEqual(["isolated for ingress: x/b", "isolated for egress: y/c"]);
    const denyAll = { ...policies[0], metadata: { namespace: "x", name: "deny" }, spec: { podSelector: {} } };
    const isolated = renderText(computeReachability({ pods, policies: [denyAll] })).split("\n");
    expect(isolated.at(-2)).toBe("isolated for ingress: x/a, x/b");
  });
});

describe("the matrix as JSON", () => {
  it("lists the pods, then every ordered pair for every port asked of the destination", () => {
    const json = toJson(computeReachability({ pods, policies }));
    expect(json.pods).toEqual(["x/a", "x/b", "y/c"]);
    const entry = (from: string, to: string, protocol: string, port: number, allowed: boolean) => ({
      from,
      to,
      protocol,
      port,
      allowed,
    });
    expect(json.entries).toEqual([
      entry("x/a", "x/a", "TCP", 80, true),
      entry("x/a", "x/b", "TCP", 80, true),
      entry("x/a", "x/b", "UDP", 53, true),
      entry("x/b", "x/a", "TCP", 80, true),
      entry("x/b", "x/b", "TCP", 80, false),
      entry("x/b", "x/b", "UDP", 53, false),
      entry("y/c", "x/a", "TCP", 80, true),
      entry("y/c", "x/b", "TCP", 80, false),
      entry("y/c", "x/b", "UDP", 53, false),
    ]);
  });
});

describe("looking things up in the matrix", () => {
  const matrix = computeReachability({ pods, policies });

  it("finds pods by id or index, and names the pods when one is not there", () => {
    expect([matrix.index("x/a"), matrix.index("y/c"), matrix.index(1)]).toEqual([0, 2, 1]);
    expect(() => matrix.index("x/z")).toThrow("no pod x/z; pods: x/a, x/b, y/c");
    expect(() => matrix.index(3)).toThrow("no pod 3; pods: x/a, x/b, y/c");
    expect(() => matrix.index(-1)).toThrow("no pod -1; pods: x/a, x/b, y/c");
  });

  it("answers only for ports that were asked about", () => {
    expect(matrix.allowed("x/a", "x/b", { protocol: "UDP", port: 53 })).toBe(true);
    expect(matrix.allowed(2, 1, { protocol: "UDP", port: 53 })).toBe(false);
    expect(() => matrix.allowed("x/a", "x/b", { protocol: "TCP", port: 53 })).toThrow(
      "53/TCP was not asked about for x/b",
    );
    expect(() => matrix.allowed("x/a", "y/c", tcp80)).toThrow("80/TCP was not asked about for y/c");
  });

  it("lists the allowed ports of a pair, as ports and as indexes of the asked ones", () => {
    expect(matrix.allowedPorts("x/a", "x/b")).toEqual([tcp80, { protocol: "UDP", port: 53 }]);
    expect(matrix.allowedPorts("y/c", "x/b")).toEqual([]);
    expect(matrix.allowedPorts(1, 0)).toEqual([tcp80]);
    expect(matrix.allowedIndexes(0, 1)).toEqual([0, 1]);
    expect(matrix.allowedIndexes(2, 1)).toEqual([]);
    expect(matrix.allowedIndexes(2, 0)).toEqual([0]);
    expect(matrix.size).toBe(9);
    expect(matrix.policyCount).toBe(1);
    expect(matrix.queries).toEqual([[tcp80], [tcp80, { protocol: "UDP", port: 53 }], []]);
  });

  it("asks about the declared ports of one protocol only, when told", () => {
    const udp = computeReachability({ pods, policies }, { protocols: ["UDP"] });
    expect(udp.queries).toEqual([[], [{ protocol: "UDP", port: 53 }], []]);
    expect([...udp.entries()].map((e) => `${e.from}>${e.to}:${e.allowed}`)).toEqual([
      "x/a>x/b:true",
      "x/b>x/b:false",
      "y/c>x/b:false",
    ]);
  });
});
