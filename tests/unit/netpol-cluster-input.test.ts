import { describe, expect, it } from "vitest";
import { buildCluster, type ClusterInput, duplicatePortNames } from "../../src/netpol/cluster.ts";
import { formatPath, formatProblem, NetpolInputError } from "../../src/netpol/problems.ts";

// The engine's own input (what programs pass, without YAML): how it is checked, and what the engine
// makes of it. Expectations follow the Pod and Namespace APIs.

/** Every problem buildCluster reports, formatted. */
const problems = (input: ClusterInput): string[] => {
  try {
    buildCluster(input);
  } catch (error) {
    expect(error).toBeInstanceOf(NetpolInputError);
    return (error as NetpolInputError).problems.map(formatProblem);
  }
  throw new Error("expected a NetpolInputError");
};

describe("cluster input", () => {
  it("labels every namespace with its own name, declared, holding a pod or holding a policy", () => {
    const cluster = buildCluster({
      namespaces: [
        { name: "shop", labels: { team: "shop", "kubernetes.io/metadata.name": "spoofed" } },
        { name: "bare" },
      ],
      pods: [{ namespace: "ops", name: "p" }],
      policies: [
        { metadata: { name: "deny", namespace: "audit" }, spec: {} },
        { metadata: { name: "dflt" } },
      ],
    });
    expect(Object.fromEntries(cluster.namespaces)).toEqual({
      shop: { team: "shop", "kubernetes.io/metadata.name": "shop" },
      bare: { "kubernetes.io/metadata.name": "bare" },
      ops: { "kubernetes.io/metadata.name": "ops" },
      audit: { "kubernetes.io/metadata.name": "audit" },
      default: { "kubernetes.io/metadata.name": "default" },
    });
    expect(cluster.pods[0]?.namespaceLabels).toEqual({ "kubernetes.io/metadata.name": "ops" });
    expect(cluster.policies.map((p) => `${p.namespace}/${p.name}`)).toEqual(["audit/deny", "default/dflt"]);
  });

  it("keeps a declared namespace's labels when a policy lives in it", () => {
    const cluster = buildCluster({
      namespaces: [{ name: "shop", labels: { team: "shop" } }],
      pods: [],
      policies: [{ metadata: { name: "deny", namespace: "shop" }, spec: {} }],
    });
    expect(Object.fromEntries(cluster.namespaces)).toEqual({
      shop: { team: "shop", "kubernetes.io/metadata.name": "shop" },
    });
  });

  it("keeps each declared (protocol, port) once, TCP by default, and every name a port goes by", () => {
    const [pod] = buildCluster({
      pods: [
        {
          namespace: "x",
          name: "dns",
          labels: { app: "dns" },
          ports: [
            { containerPort: 53, name: "dns-udp", protocol: "UDP" },
            { containerPort: 53, name: "dns-tcp" },
            { containerPort: 53, protocol: "TCP" },
            { containerPort: 9153 },
            { containerPort: 8080, name: "web", protocol: "SCTP" },
          ],
          podIP: "10.0.0.5",
          podIPs: ["10.0.0.5", "fd00::5"],
        },
      ],
    }).pods;
    expect(pod?.id).toBe("x/dns");
    expect(pod?.name).toBe("dns");
    expect(pod?.labels).toEqual({ app: "dns" });
    expect(pod?.ports).toEqual([
      { protocol: "UDP", port: 53, name: "dns-udp" },
      { protocol: "TCP", port: 53, name: "dns-tcp" },
      { protocol: "TCP", port: 9153 },
      { protocol: "SCTP", port: 8080, name: "web" },
    ]);
    expect(Object.fromEntries(pod?.namedPorts ?? [])).toEqual({
      "dns-udp": [{ protocol: "UDP", port: 53 }],
      "dns-tcp": [{ protocol: "TCP", port: 53 }],
      web: [{ protocol: "SCTP", port: 8080 }],
    });
    // podIP and podIPs together, each address once.
    expect(pod?.ips).toEqual(["10.0.0.5", "fd00::5"]);
  });

  it("gives a pod without IPs, labels or ports none of them", () => {
    const [pod] = buildCluster({ pods: [{ namespace: "x", name: "p", podIPs: ["fd00::1"] }] }).pods;
    expect([pod?.ips, pod?.labels, pod?.ports, pod?.namedPorts.size]).toEqual([["fd00::1"], {}, [], 0]);
    const [bare] = buildCluster({ pods: [{ namespace: "x", name: "q" }] }).pods;
    expect(bare?.ips).toEqual([]);
  });

  it("orders pods by namespace, then name, by code unit", () => {
    const ids = buildCluster({
      pods: ["b/a", "a/b", "a/B", "a/a", "A/z"].map((id) => {
        const [namespace, name] = id.split("/") as [string, string];
        return { namespace, name };
      }),
    }).pods.map((p) => p.id);
    expect(ids).toEqual(["A/z", "a/B", "a/a", "a/b", "b/a"]);
  });

  it("reports every problem at once: missing names, duplicates, bad ports and addresses", () => {
    expect(
      problems({
        namespaces: [
          { name: "x" },
          { name: "x" },
          { name: "" },
          { labels: {} } as never,
          { name: "y", labels: { "bad key!": "v" } },
        ],
        pods: [
          { namespace: "x", name: "a" },
          { namespace: "x", name: "a" },
          { namespace: "", name: "b" },
          { name: "c" } as never,
          {
            namespace: "x",
            name: "d",
            ports: [
              { containerPort: 0 },
              { containerPort: 80, name: "web" },
              { containerPort: 81, name: "web" },
              { containerPort: 82, name: "Web_1" },
            ],
            podIP: "10.0.0.300",
            podIPs: ["fd00::1", "nope"],
          },
        ],
        policies: [
          { metadata: { name: "p", namespace: "x" } },
          { metadata: { name: "p", namespace: "x" } },
          { metadata: { name: "q", namespace: "x" }, spec: { policyTypes: ["Up"] } },
        ],
      }),
    ).toEqual([
      "Namespace x: name: declared twice",
      "Namespace #2: name: required: the namespace's name",
      "Namespace #3: name: required: the namespace's name",
      "Namespace y: labels.bad key!: 'bad key!' is not a valid label key: the name part must be 1-63 characters, alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric",
      "Pod x/a: name: two pods have this namespace/name",
      "Pod /b: namespace: required: the pod's namespace",
      "Pod #3: namespace: required: the pod's namespace",
      "Pod x/d: ports[0].containerPort: 0 is not a valid port number (1-65535)",
      "Pod x/d: ports[3].name: 'Web_1' is not a valid port name: 1-15 lower-case letters, digits and '-', at least one letter, no leading, trailing or double '-'",
      "Pod x/d: podIP: '10.0.0.300' is not an IPv4 or IPv6 address",
      "Pod x/d: podIPs[1]: 'nope' is not an IPv4 or IPv6 address",
      "Pod x/d: ports[2].name: duplicate port name 'web' (names are unique within a pod)",
      "NetworkPolicy x/p: metadata.name: two policies have this namespace/name",
      "NetworkPolicy x/q: spec.policyTypes[0]: 'Up' is not a policy type; expected one of: Ingress, Egress",
    ]);
  });

  it("names an entry by its index when it has no usable name, and says what a wrongly typed field should be", () => {
    // Programs may pass anything: a null entry is a problem to report like any other, not a crash.
    expect(
      problems({
        namespaces: [null, { name: 5 }] as never,
        pods: [
          null,
          { namespace: "x", name: 5 },
          { namespace: "x" },
          {
            namespace: "x",
            name: "p",
            ports: [{ containerPort: "80", name: 8, protocol: 6 }],
            podIP: 5,
          },
        ] as never,
      }),
    ).toEqual([
      "Namespace #0: Invalid input: expected object, received null",
      "Namespace #1: name: required: the namespace's name",
      "Pod #0: Invalid input: expected object, received null",
      "Pod #1: name: required: the pod's name",
      "Pod #2: name: required: the pod's name",
      "Pod x/p: ports[0].containerPort: required: a port number",
      "Pod x/p: ports[0].name: a port name",
      "Pod x/p: ports[0].protocol: a protocol: TCP, UDP or SCTP",
      "Pod x/p: podIP: an IP address",
    ]);
  });

  it("finds duplicate port names, the later ones, ignoring unnamed ports", () => {
    expect(
      duplicatePortNames([
        { name: "a" },
        {},
        { name: null },
        { name: "a" },
        { name: "b" },
        { name: "a" },
        {},
        { name: "b" },
      ]),
    ).toEqual([
      { index: 3, name: "a" },
      { index: 5, name: "a" },
      { index: 7, name: "b" },
    ]);
  });
});

describe("problems", () => {
  it("name where they are the way the API does: dots for fields, brackets for indexes", () => {
    expect(formatPath(["spec", "ingress", 0, "from", 1, "ipBlock"])).toBe("spec.ingress[0].from[1].ipBlock");
    expect(formatPath([0, "a"])).toBe("[0].a");
    expect(formatPath([])).toBe("(top level)");
  });

  it("read file:line, the object, the field and what is wrong, leaving out what is not known", () => {
    const p = { object: "Pod x/a", path: ["spec"], message: "bad" };
    expect(formatProblem({ ...p, file: "a.yaml", line: 3 })).toBe("a.yaml:3: Pod x/a: spec: bad");
    expect(formatProblem({ ...p, file: "a.yaml" })).toBe("a.yaml: Pod x/a: spec: bad");
    expect(formatProblem({ ...p, path: [] })).toBe("Pod x/a: bad");
  });

  it("are counted in the error's first line, then listed one per line", () => {
    const one = new NetpolInputError([{ object: "Pod x/a", path: [], message: "bad" }]);
    expect(one.message).toBe("invalid network policy input (1 problem)\n  Pod x/a: bad");
    expect(one.name).toBe("NetpolInputError");
    const two = new NetpolInputError([
      { object: "Pod x/a", path: [], message: "bad" },
      { object: "Pod x/b", path: ["name"], message: "worse" },
    ]);
    expect(two.message).toBe(
      "invalid network policy input (2 problems)\n  Pod x/a: bad\n  Pod x/b: name: worse",
    );
  });
});
