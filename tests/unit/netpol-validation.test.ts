import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.ts";
import { buildCluster } from "../../src/netpol/cluster.ts";
import { computeReachability } from "../../src/netpol/engine.ts";
import { loadManifests, parseManifests } from "../../src/netpol/manifests.ts";
import { portNameProblem, portNumberProblem } from "../../src/netpol/match.ts";
import { formatProblem, NetpolInputError } from "../../src/netpol/problems.ts";
import { repoRoot } from "../../src/paths.ts";

const failure = (body: () => unknown): NetpolInputError => {
  try {
    body();
  } catch (error) {
    expect(error).toBeInstanceOf(NetpolInputError);
    expect(error).toBeInstanceOf(UserError);
    return error as NetpolInputError;
  }
  throw new Error("expected a NetpolInputError");
};
const lines = (error: NetpolInputError) => error.problems.map(formatProblem);
const parse = (text: string, file = "in.yaml") => parseManifests([{ file, text }]);

const policyYaml = (spec: string) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: p
  namespace: x
spec:
${spec}`;

describe("NetworkPolicy validation", () => {
  it("reports every problem of a file, with file:line, the policy and the field path", () => {
    const file = join("tests", "fixtures", "netpol", "invalid-policy.yaml");
    const error = failure(() => parseManifests([{ file, text: readFileSync(join(repoRoot, file), "utf8") }]));
    const at = "tests/fixtures/netpol/invalid-policy.yaml";
    expect(lines(error)).toEqual([
      `${at}:11: NetworkPolicy shop/broken: spec.podSelector.matchExpressions[0].operator: 'Equals' is not a valid operator; expected one of: In, NotIn, Exists, DoesNotExist`,
      `${at}:13: NetworkPolicy shop/broken: spec.policyTypes[1]: 'Sideways' is not a policy type; expected one of: Ingress, Egress`,
      `${at}:17: NetworkPolicy shop/broken: spec.ingress[0].from[0].ipBlock.cidr: '10.0.0.0/33' is not a CIDR: the prefix length must be an integer from 0 to 32`,
      `${at}:18: NetworkPolicy shop/broken: spec.ingress[0].from[1]: may not specify both ipBlock and another peer (podSelector/namespaceSelector)`,
      `${at}:21: NetworkPolicy shop/broken: spec.ingress[0].from[1].ipBlock.except[0]: '10.1.0.0/24' is not inside cidr '10.0.0.0/16'; except must be a strict subset of cidr`,
      `${at}:22: NetworkPolicy shop/broken: spec.ingress[0].from[1].ipBlock.except[1]: 'fd00::/64' is IPv6 but cidr '10.0.0.0/16' is IPv4; except must be a strict subset of cidr`,
      `${at}:25: NetworkPolicy shop/broken: spec.ingress[0].ports[0].protocol: 'HTTP' is not a supported protocol; expected one of: TCP, UDP, SCTP`,
      `${at}:27: NetworkPolicy shop/broken: spec.ingress[0].ports[1].endPort: may not be specified when \`port\` is not specified`,
      `${at}:29: NetworkPolicy shop/broken: spec.ingress[0].ports[2].endPort: 80 must be greater than or equal to \`port\` (90)`,
    ]);
    expect(error.message).toMatch(/^invalid network policy input \(9 problems\)\n {2}tests\/fixtures/);
  });

  it("checks CIDRs: syntax, prefix length, except a strict subset of the same family", () => {
    const error = failure(() =>
      parse(
        policyYaml(`  egress:
    - to:
        - ipBlock: { cidr: 10.0.0.0 }
        - ipBlock: { cidr: 300.0.0.0/8 }
        - ipBlock: { cidr: "fd00::/129" }
        - ipBlock: { cidr: 10.0.0.0/16, except: [10.0.0.0/16] }
        - ipBlock: { cidr: 10.0.0.0/16, except: [10.0.0.0/8] }
        - ipBlock: { cidr: "fd00::/64", except: ["fd00::/96", "fd01::/96", "10.0.0.0/24"] }
        - ipBlock: { except: [10.0.0.0/24] }`),
      ),
    );
    const text = lines(error).join("\n");
    expect(text).toMatch(/to\[0\]\.ipBlock\.cidr: '10\.0\.0\.0' is not a CIDR \(expected ADDRESS\/PREFIX/);
    expect(text).toMatch(
      /to\[1\]\.ipBlock\.cidr: '300\.0\.0\.0\/8' is not a CIDR: '300\.0\.0\.0' is not an IPv4 or IPv6 address/,
    );
    expect(text).toMatch(
      /to\[2\]\.ipBlock\.cidr: 'fd00::\/129' is not a CIDR: the prefix length must be an integer from 0 to 128/,
    );
    expect(text).toMatch(/to\[3\]\.ipBlock\.except\[0\]: '10\.0\.0\.0\/16' is not inside cidr/);
    expect(text).toMatch(/to\[4\]\.ipBlock\.except\[0\]: '10\.0\.0\.0\/8' is not inside cidr/);
    expect(text).not.toMatch(/to\[5\]\.ipBlock\.except\[0\]/);
    expect(text).toMatch(/to\[5\]\.ipBlock\.except\[1\]: 'fd01::\/96' is not inside cidr 'fd00::\/64'/);
    expect(text).toMatch(
      /to\[5\]\.ipBlock\.except\[2\]: '10\.0\.0\.0\/24' is IPv4 but cidr 'fd00::\/64' is IPv6/,
    );
    expect(text).toMatch(/to\[6\]\.ipBlock\.cidr: required/);
    expect(error.problems).toHaveLength(8);
  });

  it("checks ports: numbers, names, endPort, protocols", () => {
    const error = failure(() =>
      parse(
        policyYaml(`  ingress:
    - ports:
        - port: 0
        - port: 70000
        - port: "80"
        - port: Http_Port
        - port: http
          endPort: 90
        - port: 80
          endPort: 70000
        - protocol: tcp
        - port: 1.5`),
      ),
    );
    const text = lines(error).join("\n");
    expect(text).toMatch(/ports\[0\]\.port: 0 is not a valid port number \(1-65535\)/);
    expect(text).toMatch(/ports\[1\]\.port: 70000 is not a valid port number/);
    expect(text).toMatch(/ports\[2\]\.port: '80' is not a valid port name/);
    expect(text).toMatch(/ports\[3\]\.port: 'Http_Port' is not a valid port name/);
    expect(text).toMatch(/ports\[4\]\.endPort: may not be specified when `port` is non-numeric \('http'\)/);
    expect(text).toMatch(/ports\[5\]\.endPort: 70000 is not a valid port number/);
    expect(text).toMatch(
      /ports\[6\]\.protocol: 'tcp' is not a supported protocol; expected one of: TCP, UDP, SCTP/,
    );
    expect(text).toMatch(/ports\[7\]\.port: a port number or a port name/);
    expect(error.problems).toHaveLength(8);
  });

  it("checks peers, policyTypes, unknown fields and the object itself", () => {
    const error = failure(() =>
      parse(`apiVersion: networking.k8s.io/v1beta1
kind: NetworkPolicy
metadata:
  namespace: x
spec:
  podSelecter: {}
  policyTypes: [Ingress, Egress, Ingress]
  ingress:
    - from:
        - {}
        - podSelector: {}
          namespaceSelector: {}
`),
    );
    const text = lines(error).join("\n");
    // A missing field is reported at its parent's line (here metadata's map, which starts on line 4).
    expect(text).toMatch(
      /in\.yaml:4: NetworkPolicy x\/\(unnamed\): metadata\.name: required: the policy's name/,
    );
    expect(text).toMatch(/in\.yaml:6: NetworkPolicy x\/\(unnamed\): spec\.podSelecter: unknown field/);
    expect(text).toMatch(/spec\.policyTypes: may not specify more than two policyTypes/);
    expect(text).toMatch(/in\.yaml:10: .*spec\.ingress\[0\]\.from\[0\]: must specify a peer/);
    expect(text).not.toMatch(/from\[1\]/); // both selectors in one peer is fine
    expect(text).toMatch(
      /in\.yaml:1: .*apiVersion: 'networking\.k8s\.io\/v1beta1' is not supported; expected networking\.k8s\.io\/v1/,
    );
  });

  it("names a misspelt field where it stands, and every one of a rule's misspelt fields in one problem", () => {
    const error = failure(() =>
      parse(policyYaml("  podSelector: {}\n  egres: []\n  ingress:\n    - fromm: []\n      portz: []\n")),
    );
    expect(lines(error)).toEqual([
      "in.yaml:8: NetworkPolicy x/p: spec.egres: unknown field (a misspelt field would silently change what the policy means)",
      "in.yaml:10: NetworkPolicy x/p: spec.ingress[0].fromm: unknown fields fromm, portz (a misspelt field would silently change what the policy means)",
    ]);
  });

  it("says what a wrongly typed field should be, and an except that is not a CIDR where it stands", () => {
    const error = failure(() =>
      parse(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: '', namespace: 5 }
spec:
  policyTypes: [1]
  ingress:
    - from:
        - ipBlock: { cidr: 10.0.0.0/8, except: [5, nope] }
      ports:
        - { protocol: 6, port: 80, endPort: "90" }
`),
    );
    expect(lines(error)).toEqual([
      "in.yaml:3: NetworkPolicy default/(unnamed): metadata.name: required: the policy's name",
      "in.yaml:3: NetworkPolicy default/(unnamed): metadata.namespace: a namespace name",
      "in.yaml:5: NetworkPolicy default/(unnamed): spec.policyTypes[0]: Ingress or Egress",
      "in.yaml:8: NetworkPolicy default/(unnamed): spec.ingress[0].from[0].ipBlock.except[0]: a CIDR",
      "in.yaml:10: NetworkPolicy default/(unnamed): spec.ingress[0].ports[0].protocol: a protocol: TCP, UDP or SCTP",
      "in.yaml:10: NetworkPolicy default/(unnamed): spec.ingress[0].ports[0].endPort: a port number",
    ]);
    // The except list's own check runs once every entry is a string.
    expect(
      lines(
        failure(() =>
          parse(policyYaml("  ingress: [{ from: [{ ipBlock: { cidr: 10.0.0.0/8, except: [nope] } }] }]")),
        ),
      ),
    ).toEqual([
      "in.yaml:7: NetworkPolicy x/p: spec.ingress[0].from[0].ipBlock.except[0]: 'nope' is not a CIDR (expected ADDRESS/PREFIX, e.g. 10.0.0.0/16 or fd00::/64)",
    ]);
  });

  it("the pure function validates too, naming the policy and the field", () => {
    const error = failure(() =>
      computeReachability({
        pods: [{ namespace: "x", name: "a", ports: [{ containerPort: 80, protocol: "HTTP" as "TCP" }] }],
        policies: [
          {
            metadata: { name: "p", namespace: "x" },
            spec: {
              podSelector: {},
              egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8" }, podSelector: {} }] }],
            },
          },
        ],
      }),
    );
    expect(lines(error)).toEqual([
      "Pod x/a: ports[0].protocol: 'HTTP' is not a supported protocol; expected one of: TCP, UDP, SCTP",
      "NetworkPolicy x/p: spec.egress[0].to[0]: may not specify both ipBlock and another peer (podSelector/namespaceSelector)",
    ]);
  });
});

describe("port names and numbers (as the API server checks them)", () => {
  const nameProblem = (name: string) =>
    `'${name}' is not a valid port name: 1-15 lower-case letters, digits and '-', at least one letter, no leading, trailing or double '-'`;

  it("a port name is 1 to 15 characters", () => {
    expect(portNameProblem("h")).toBeUndefined();
    expect(portNameProblem("metrics-exporte")).toBeUndefined(); // 15
    expect(portNameProblem("metrics-exporter")).toBe(nameProblem("metrics-exporter")); // 16
    expect(portNameProblem("")).toBe(nameProblem(""));
  });

  it("a port name is lower-case letters, digits and inner single dashes, with a letter", () => {
    expect(portNameProblem("grpc-web2")).toBeUndefined();
    for (const bad of ["http_alt", "httP", "-http", "http-", "grpc--web", "8080"])
      expect(portNameProblem(bad), bad).toBe(nameProblem(bad));
  });

  it("a port number is an integer from 1 to 65535", () => {
    expect([1, 80, 65535].map(portNumberProblem)).toEqual([undefined, undefined, undefined]);
    expect([0, 65536, 80.5].map(portNumberProblem)).toEqual([
      "0 is not a valid port number (1-65535)",
      "65536 is not a valid port number (1-65535)",
      "80.5 is not a valid port number (1-65535)",
    ]);
  });
});

describe("policies given to the pure function", () => {
  it("must be objects: anything else is refused as a whole, named as well as can be told", () => {
    const error = failure(() => buildCluster({ pods: [], policies: [null, "deny-all", [], 7] }));
    expect(lines(error)).toEqual([
      "NetworkPolicy default/(unnamed): expected a NetworkPolicy object",
      "NetworkPolicy default/(unnamed): expected a NetworkPolicy object",
      "NetworkPolicy default/(unnamed): expected a NetworkPolicy object",
      "NetworkPolicy default/(unnamed): expected a NetworkPolicy object",
    ]);
  });

  it("must be of kind NetworkPolicy when they give a kind, even when every field is valid", () => {
    const error = failure(() =>
      buildCluster({ pods: [], policies: [{ kind: "Pod", metadata: { name: "p", namespace: "x" } }] }),
    );
    expect(lines(error)).toEqual(["NetworkPolicy x/p: kind: 'Pod' is not NetworkPolicy"]);
  });
});

describe("manifests", () => {
  it("reads Namespaces, Pods, Deployments (one pod each) and policies; notes what it ignores", () => {
    const { input, notes } = loadManifests([
      join(repoRoot, "tests/fixtures/netpol/cluster.yaml"),
      join(repoRoot, "tests/fixtures/netpol/policies.yaml"),
    ]);
    expect(input.namespaces).toEqual([
      { name: "shop", labels: { team: "shop" } },
      { name: "ops", labels: { team: "ops" } },
    ]);
    expect(input.pods).toEqual([
      {
        namespace: "shop",
        name: "web",
        labels: { app: "web" },
        ports: [
          { containerPort: 8080, name: "http", protocol: "TCP" },
          { containerPort: 9090, name: "metrics", protocol: "TCP" },
        ],
        podIP: "10.1.0.10",
      },
      // The Deployment: named after itself, template labels and ports, IP from the annotation.
      {
        namespace: "shop",
        name: "db",
        labels: { app: "db" },
        ports: [{ containerPort: 5432, name: "pg", protocol: "TCP" }],
        podIPs: ["10.1.0.20"],
      },
      {
        namespace: "ops",
        name: "monitor",
        labels: { app: "monitor" },
        ports: [{ containerPort: 9090, protocol: "TCP" }],
        podIP: "10.2.0.5",
      },
    ]);
    expect(input.policies).toHaveLength(3);
    expect(notes).toEqual([
      expect.stringMatching(
        /cluster\.yaml:76: ignoring Service shop\/web \(only Namespace, Pod, Deployment and NetworkPolicy are used\)/,
      ),
    ]);
  });

  it("puts objects without a namespace in default, and gives Deployments no IP without the annotation", () => {
    const { input } = parse(`apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  template:
    metadata: { labels: { app: api } }
    spec: { containers: [{ name: api, ports: [{ containerPort: 80, protocol: UDP }] }] }
---
---
apiVersion: v1
kind: Pod
metadata: { name: p, namespace: default }
spec: { containers: [] }
status: { podIPs: [{ ip: 10.0.0.1 }, { ip: "fd00::1" }] }
`);
    expect(input.pods).toEqual([
      {
        namespace: "default",
        name: "api",
        labels: { app: "api" },
        ports: [{ containerPort: 80, protocol: "UDP" }],
      },
      { namespace: "default", name: "p", labels: {}, ports: [], podIPs: ["10.0.0.1", "fd00::1"] },
    ]);
  });

  it("reports bad workloads, duplicates, objects without kind and invalid YAML, each with file:line", () => {
    const error = failure(() =>
      parseManifests([
        {
          file: "a.yaml",
          text: `apiVersion: v1
kind: Pod
metadata: { name: web, namespace: x, labels: { app: "no spaces allowed" } }
spec:
  containers:
    - name: a
      ports: [{ containerPort: 80, name: http }, { containerPort: 99999, protocol: ICMP }]
    - name: b
      ports: [{ containerPort: 81, name: http }]
status: { podIP: 10.0.0.300 }
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: x
  annotations: { dev.azora.devstack/pod-ip: "10.0.0.1, nope" }
spec:
  template:
    spec: { containers: [] }
---
metadata: { name: nokind }
---
apiVersion: v1
kind: Pod
metadata: { name: ok, namespace: x }
spec: { containers: [] }
`,
        },
        {
          file: "b.yaml",
          text: "apiVersion: v1\nkind: Pod\nmetadata: { name: ok, namespace: x }\nspec: { containers: [] }\n",
        },
        { file: "c.yaml", text: "kind: Pod\nmetadata: [unclosed\n" },
      ]),
    );
    const text = lines(error).join("\n");
    expect(text).toMatch(
      /a\.yaml:3: Pod x\/web: metadata\.labels\.app: 'no spaces allowed' is not a valid label value/,
    );
    expect(text).toMatch(
      /a\.yaml:7: Pod x\/web: spec\.containers\[0\]\.ports\[1\]\.containerPort: 99999 is not a valid port number/,
    );
    expect(text).toMatch(
      /a\.yaml:7: Pod x\/web: spec\.containers\[0\]\.ports\[1\]\.protocol: 'ICMP' is not a supported protocol/,
    );
    expect(text).toMatch(
      /a\.yaml:9: Pod x\/web: spec\.containers\[1\]\.ports\[0\]\.name: duplicate port name 'http'/,
    );
    expect(text).toMatch(
      /a\.yaml:10: Pod x\/web: status\.podIP: '10\.0\.0\.300' is not an IPv4 or IPv6 address/,
    );
    expect(text).toMatch(
      /a\.yaml:\d+: Deployment x\/web: metadata\.annotations\.dev\.azora\.devstack\/pod-ip: 'nope' is not an IPv4 or IPv6 address/,
    );
    expect(text).toMatch(/a\.yaml:\d+: object: kind: required/);
    expect(text).toMatch(/b\.yaml:3: Pod x\/ok: metadata\.name: pod x\/ok is also defined at a\.yaml:24/);
    expect(text).toMatch(/c\.yaml:\d: invalid YAML: Flow sequence/);
  });

  it("a Pod and a Deployment of the same namespace/name, or two policies of one name, are ambiguous", () => {
    const pod = "apiVersion: v1\nkind: Pod\nmetadata: { name: web }\nspec: { containers: [] }\n";
    const deployment =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web, namespace: default }\nspec: { template: { spec: { containers: [] } } }\n";
    const netpol = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: p }\nspec: {}\n";
    const error = failure(() => parse([pod, deployment, netpol, netpol].join("---\n")));
    expect(lines(error)).toEqual([
      "in.yaml:8: Deployment default/web: metadata.name: pod default/web is also defined at in.yaml:1",
      "in.yaml:18: NetworkPolicy default/p: metadata.name: NetworkPolicy default/p is also defined at in.yaml:11",
    ]);
  });

  it("reads a directory's *.yaml/*.yml files and names a file it cannot read", () => {
    const dir = mkdtempSync(join(tmpdir(), "devstack-netpol-"));
    copyFileSync(join(repoRoot, "tests/fixtures/netpol/peers-cluster.yaml"), join(dir, "a.yaml"));
    copyFileSync(join(repoRoot, "tests/fixtures/netpol/peer-and.yaml"), join(dir, "b.yml"));
    writeFileSync(join(dir, "notes.txt"), "not YAML: [");
    const { input } = loadManifests([dir]);
    expect(input.pods).toHaveLength(5);
    expect(input.policies).toHaveLength(1);
    expect(() => loadManifests(["tests/fixtures/netpol/no-such.yaml"])).toThrow(
      /tests\/fixtures\/netpol\/no-such\.yaml: cannot read: ENOENT/,
    );
  });
});
