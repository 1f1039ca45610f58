import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadManifests, parseManifests } from "../../src/netpol/manifests.ts";
import { formatProblem, NetpolInputError } from "../../src/netpol/problems.ts";
import { userErrorFrom } from "../support/thrown.ts";

// How plain YAML becomes the engine's input, on the edges netpol-validation.test.ts leaves out:
// documents that are not objects, lists of objects, names, API versions, notes and file order.

const parse = (...texts: string[]) => parseManifests(texts.map((text, i) => ({ file: `f${i}.yaml`, text })));
const problemsOf = (...texts: string[]) => {
  try {
    parse(...texts);
  } catch (error) {
    expect(error).toBeInstanceOf(NetpolInputError);
    return (error as NetpolInputError).problems.map(formatProblem);
  }
  throw new Error("expected a NetpolInputError");
};
const POD = (name: string, extra = "") =>
  `apiVersion: v1\nkind: Pod\nmetadata: { name: ${name}, namespace: x }\nspec: { containers: [] }\n${extra}`;

describe("YAML manifests", () => {
  it("refuse a document that is not an object, and take empty documents and streams as nothing", () => {
    expect(problemsOf("- a\n- b\n", "just text\n")).toEqual([
      "f0.yaml:1: document: expected a Kubernetes object (with kind and metadata)",
      "f1.yaml:1: document: expected a Kubernetes object (with kind and metadata)",
    ]);
    expect(parse("", "---\n---\n", "# only a comment\n").input).toEqual({
      namespaces: [],
      pods: [],
      policies: [],
    });
  });

  it("read the items of a List or any *List, each where it stands", () => {
    const { input, notes } = parse(`apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: { name: a, namespace: x }
    spec: { containers: [] }
  - apiVersion: v1
    kind: PodList
    items:
      - apiVersion: v1
        kind: Pod
        metadata: { name: b, namespace: x }
        spec: { containers: [] }
  - apiVersion: v1
    kind: Service
    metadata: { name: svc }
`);
    expect(input.pods.map((p) => `${p.namespace}/${p.name}`)).toEqual(["x/a", "x/b"]);
    expect(notes).toEqual([
      "f0.yaml:15: ignoring Service default/svc (only Namespace, Pod, Deployment and NetworkPolicy are used)",
    ]);
    expect(problemsOf("kind: List\nitems:\n  - 7\n")).toEqual([
      "f0.yaml:3: document: items[0]: expected a Kubernetes object (with kind and metadata)",
    ]);
  });

  it("note what they ignore by kind, namespace and name as well as can be told", () => {
    const { notes } = parse(
      "kind: ConfigMap\nmetadata: { name: cfg, namespace: shop }\n---\nkind: Secret\nmetadata: { name: '' }\n---\nkind: Service\n---\nkind: List\nitems: not-a-list\n",
    );
    expect(notes).toEqual([
      "f0.yaml:1: ignoring ConfigMap shop/cfg (only Namespace, Pod, Deployment and NetworkPolicy are used)",
      "f0.yaml:4: ignoring Secret default/(unnamed) (only Namespace, Pod, Deployment and NetworkPolicy are used)",
      "f0.yaml:7: ignoring Service default/(unnamed) (only Namespace, Pod, Deployment and NetworkPolicy are used)",
      "f0.yaml:9: ignoring List default/(unnamed) (only Namespace, Pod, Deployment and NetworkPolicy are used)",
    ]);
  });

  it("need each kind's own API version, except NetworkPolicy whose version the policy check names", () => {
    expect(
      problemsOf(
        "apiVersion: v2\nkind: Pod\nmetadata: { name: a, namespace: x }\nspec: { containers: [] }\n---\napiVersion: apps/v1\nkind: Namespace\nmetadata: { name: shop }\n---\nkind: Namespace\nmetadata: { name: ok }\n",
      ),
    ).toEqual([
      "f0.yaml:1: Pod x/a: apiVersion: 'v2' is not v1",
      "f0.yaml:6: Namespace shop: apiVersion: 'apps/v1' is not v1",
    ]);
  });

  it("refuse two namespaces of one name, and a bad namespace", () => {
    expect(
      problemsOf(
        "kind: Namespace\nmetadata: { name: shop }\n---\nkind: Namespace\nmetadata: { name: shop }\n---\nkind: Namespace\nmetadata: {}\n",
      ),
    ).toEqual([
      "f0.yaml:5: Namespace shop: metadata.name: Namespace shop is also defined at f0.yaml:1",
      "f0.yaml:8: Namespace (unnamed): metadata.name: required: a name",
    ]);
  });

  it("give a Deployment every address of its annotation, trimmed, or none", () => {
    const deployment = (annotations: string) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d, namespace: x${annotations} }\nspec: { template: { spec: { containers: [] } } }\n`;
    expect(
      parse(deployment(', annotations: { dev.azora.devstack/pod-ip: "10.0.0.1 , fd00::1" }')).input.pods[0]
        ?.podIPs,
    ).toEqual(["10.0.0.1", "fd00::1"]);
    expect(parse(deployment(", annotations: { other: x }")).input.pods[0]).not.toHaveProperty("podIPs");
  });

  it("name the object as well as can be told and say what each wrongly typed field should be", () => {
    // A name or namespace that is not a string does not name the object: it is (unnamed), in default.
    expect(
      problemsOf(`kind: Pod
metadata: { name: 7, namespace: 5 }
spec: { containers: [] }
---
kind: Pod
metadata: { name: b, annotations: { owner: 7 } }
spec: { containers: {} }
---
kind: Pod
metadata: { name: c }
---
kind: Deployment
metadata: { name: d }
---
kind: Deployment
metadata: { name: e }
spec: { replicas: 1 }
---
kind: Deployment
metadata: { name: f }
spec: { template: { metadata: { labels: { app: f } } } }
`),
    ).toEqual([
      "f0.yaml:2: Pod default/(unnamed): metadata.name: required: a name",
      "f0.yaml:2: Pod default/(unnamed): metadata.namespace: a namespace name",
      "f0.yaml:6: Pod default/b: metadata.annotations.owner: an annotation value (a string)",
      "f0.yaml:7: Pod default/b: spec.containers: required: a list of containers",
      // A missing field is reported at its parent's line.
      "f0.yaml:9: Pod default/c: spec: required: the pod's spec",
      "f0.yaml:12: Deployment default/d: spec: required: the Deployment's spec",
      "f0.yaml:17: Deployment default/e: spec.template: required: the pod template",
      "f0.yaml:21: Deployment default/f: spec.template.spec: required: the pod template's spec",
    ]);
  });

  it("refuse a port name used twice across a Deployment's containers, at the later one", () => {
    expect(
      problemsOf(`apiVersion: apps/v1
kind: Deployment
metadata: { name: d, namespace: x }
spec:
  template:
    spec:
      containers:
        - { name: a, ports: [{ containerPort: 80, name: http }] }
        - { name: b, ports: [{ containerPort: 81, name: http }] }
`),
    ).toEqual([
      "f0.yaml:9: Deployment x/d: spec.template.spec.containers[1].ports[0].name: duplicate port name 'http' (names are unique within a pod)",
    ]);
  });

  it("read items only of a *List: another kind's items field is not a list of objects", () => {
    const { input, notes } = parse(`kind: ConfigMap
metadata: { name: cfg }
items:
  - { apiVersion: v1, kind: Pod, metadata: { name: a }, spec: { containers: [] } }
`);
    expect(input.pods).toEqual([]);
    expect(notes).toEqual([
      "f0.yaml:1: ignoring ConfigMap default/cfg (only Namespace, Pod, Deployment and NetworkPolicy are used)",
    ]);
  });

  it("report invalid YAML in the parser's words, once: file:line says where, so no line, column or excerpt", () => {
    expect(problemsOf("kind: Pod\nmetadata: [unclosed\n")).toEqual([
      "f0.yaml:3: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ]);
  });

  it("report problems in file order, then line order", () => {
    expect(problemsOf(POD("a"), `${POD("b")}---\n${POD("c", "status: { podIP: bad }\n")}`, POD("a"))).toEqual(
      [
        "f1.yaml:10: Pod x/c: status.podIP: 'bad' is not an IPv4 or IPv6 address",
        "f2.yaml:3: Pod x/a: metadata.name: pod x/a is also defined at f0.yaml:1",
      ],
    );
    // Within a file, by line even where the fields are checked in another order (metadata before
    // status here); the file need not be the first one.
    const statusFirst =
      "kind: Pod\nstatus: { podIP: bad }\nmetadata: { name: b, namespace: '' }\nspec: { containers: [] }\n";
    expect(problemsOf(POD("a"), statusFirst)).toEqual([
      "f1.yaml:2: Pod default/b: status.podIP: 'bad' is not an IPv4 or IPv6 address",
      "f1.yaml:3: Pod default/b: metadata.namespace: a namespace name",
    ]);
    const reversed = parseManifests.bind(null, [
      { file: "z.yaml", text: POD("a", "status: { podIP: bad }\n") },
      { file: "a.yaml", text: POD("b", "status: { podIP: worse }\n") },
    ]);
    expect(userErrorFrom(reversed).message.split("\n").slice(1)).toEqual([
      "  z.yaml:5: Pod x/a: status.podIP: 'bad' is not an IPv4 or IPv6 address",
      "  a.yaml:5: Pod x/b: status.podIP: 'worse' is not an IPv4 or IPv6 address",
    ]);
  });
});

describe("manifest files", () => {
  it("are named relative to the working directory when inside it, else in full", () => {
    expect(userErrorFrom(() => loadManifests(["tests/fixtures/netpol/none.yaml"])).message).toMatch(
      /^tests\/fixtures\/netpol\/none\.yaml: cannot read: ENOENT/,
    );
    // An absolute path inside the working directory is shown relative to it too.
    expect(
      userErrorFrom(() => loadManifests([join(process.cwd(), "tests/fixtures/netpol/none.yaml")])).message,
    ).toMatch(/^tests\/fixtures\/netpol\/none\.yaml: cannot read: ENOENT/);
    const outside = join(mkdtempSync(join(tmpdir(), "devstack-netpol-")), "bad.yaml");
    writeFileSync(outside, POD("a", "status: { podIP: bad }\n"));
    expect(userErrorFrom(() => loadManifests([outside])).message).toContain(`\n  ${outside}:5: Pod x/a:`);
  });

  it("of a directory are its *.yaml and *.yml files in name order; a directory without any is refused", () => {
    const dir = mkdtempSync(join(tmpdir(), "devstack-netpol-"));
    writeFileSync(join(dir, "b.yml"), POD("from-b"));
    writeFileSync(join(dir, "a.yaml"), POD("from-a"));
    writeFileSync(join(dir, "c.json"), "{}");
    writeFileSync(join(dir, "yaml"), "not: [");
    expect(loadManifests([dir]).input.pods.map((p) => p.name)).toEqual(["from-a", "from-b"]);
    const empty = join(dir, "empty");
    mkdirSync(empty);
    expect(userErrorFrom(() => loadManifests([empty])).message).toBe(
      `${empty}: no *.yaml or *.yml file in this directory`,
    );
  });
});
