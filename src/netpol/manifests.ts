import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { type Document, isNode, LineCounter, parseAllDocuments } from "yaml";
import { z } from "zod";
import { UserError } from "../errors.ts";
import { type ClusterInput, containerPortSchema, duplicatePortNames, ipAddressSchema } from "./cluster.ts";
import {
  type ContainerPortInput,
  DEFAULT_NAMESPACE,
  type NamespaceInput,
  type PodInput,
  type Protocol,
} from "./model.ts";
import { compilePolicy, describePolicy } from "./policy.ts";
import { NetpolInputError, type PathSegment, type Problem, zodProblems } from "./problems.ts";
import { labelsSchema } from "./selector.ts";

/**
 * Plain Kubernetes YAML (multi-document, and `kind: List`/`*List` with `items`) → engine input.
 *
 * - Namespace: its name and labels.
 * - Pod: namespace (default "default"), name, labels, every container's ports, `status.podIP` and
 *   `status.podIPs`.
 * - Deployment: one pod named after the Deployment, in its namespace (default "default"), with the
 *   pod template's labels and container ports; `replicas` does not matter (every replica has the same
 *   labels and ports). A Deployment has no pod IP, so ipBlock peers never match it, unless it carries
 *   the annotation `dev.azora.devstack/pod-ip` (one address, or several separated by commas for dual
 *   stack) standing for its pods' `status.podIP`.
 * - NetworkPolicy (networking.k8s.io/v1): passed on as is, after validation.
 * - Anything else is ignored with a note.
 * Namespaces that pods use without declaring them exist with only their automatic label.
 */

export const POD_IP_ANNOTATION = "dev.azora.devstack/pod-ip";

export interface LoadedManifests {
  input: Required<ClusterInput>;
  /** What was ignored, one line each (`file:line: ignoring ...`). */
  notes: string[];
}

export interface ManifestSource {
  /** Shown in messages. */
  file: string;
  text: string;
}

const metadataSchema = z.looseObject({
  name: z.string({ error: "required: a name" }).min(1, "required: a name"),
  namespace: z.string({ error: "a namespace name" }).min(1).nullish(),
  labels: labelsSchema.nullish(),
  annotations: z.record(z.string(), z.string({ error: "an annotation value (a string)" })).nullish(),
});

const containersSchema = z.array(z.looseObject({ ports: z.array(containerPortSchema).nullish() }), {
  error: "required: a list of containers",
});

/** Port names are unique across all the containers of a pod. */
const checkPortNames = (
  containers: z.infer<typeof containersSchema>,
  ctx: z.RefinementCtx,
  at: PathSegment[],
) => {
  const flat = containers.flatMap((c, ci) => (c.ports ?? []).map((p, pi) => ({ name: p.name, ci, pi })));
  for (const { index, name } of duplicatePortNames(flat)) {
    const { ci, pi } = flat[index] as { ci: number; pi: number };
    ctx.addIssue({
      code: "custom",
      path: [...at, ci, "ports", pi, "name"],
      message: `duplicate port name '${name}' (names are unique within a pod)`,
    });
  }
};

const namespaceSchema = z.looseObject({ metadata: metadataSchema });

const podSchema = z
  .looseObject({
    metadata: metadataSchema,
    spec: z.looseObject({ containers: containersSchema }, { error: "required: the pod's spec" }),
    status: z
      .looseObject({
        podIP: ipAddressSchema.nullish(),
        podIPs: z.array(z.looseObject({ ip: ipAddressSchema })).nullish(),
      })
      .nullish(),
  })
  .superRefine((pod, ctx) => checkPortNames(pod.spec.containers, ctx, ["spec", "containers"]));

const deploymentSchema = z
  .looseObject({
    metadata: metadataSchema,
    spec: z.looseObject(
      {
        template: z.looseObject(
          {
            metadata: z.looseObject({ labels: labelsSchema.nullish() }).nullish(),
            spec: z.looseObject(
              { containers: containersSchema },
              { error: "required: the pod template's spec" },
            ),
          },
          { error: "required: the pod template" },
        ),
      },
      { error: "required: the Deployment's spec" },
    ),
  })
  .superRefine((deployment, ctx) => {
    checkPortNames(deployment.spec.template.spec.containers, ctx, ["spec", "template", "spec", "containers"]);
    const ips = deployment.metadata.annotations?.[POD_IP_ANNOTATION];
    if (ips === undefined) return;
    for (const ip of ips.split(",").map((s) => s.trim())) {
      if (!ipAddressSchema.safeParse(ip).success)
        ctx.addIssue({
          code: "custom",
          path: ["metadata", "annotations", POD_IP_ANNOTATION],
          message: `'${ip}' is not an IPv4 or IPv6 address`,
        });
    }
  });

const API_VERSIONS: Record<string, string> = {
  Namespace: "v1",
  Pod: "v1",
  Deployment: "apps/v1",
  NetworkPolicy: "networking.k8s.io/v1",
};

const toPorts = (containers: z.infer<typeof containersSchema>): ContainerPortInput[] =>
  containers.flatMap((c) =>
    (c.ports ?? []).map((p) => ({
      containerPort: p.containerPort,
      ...(p.name ? { name: p.name } : {}),
      protocol: (p.protocol ?? "TCP") as Protocol,
    })),
  );

/** Parses manifests given as text (the CLI reads files; tests may pass text). */
export function parseManifests(sources: readonly ManifestSource[]): LoadedManifests {
  const namespaces: NamespaceInput[] = [];
  const pods: PodInput[] = [];
  const policies: unknown[] = [];
  const notes: string[] = [];
  const problems: Problem[] = [];
  const origins = new Map<string, string>();

  for (const { file, text } of sources) {
    const lines = new LineCounter();
    const documents = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
    if (!Array.isArray(documents)) continue; // an empty stream
    for (const doc of documents) {
      if (doc.errors.length > 0) {
        for (const e of doc.errors)
          problems.push({
            file,
            line: lines.linePos(e.pos[0]).line,
            object: "invalid YAML",
            path: [],
            message: e.message.split("\n")[0] ?? e.message,
          });
        continue;
      }
      const lineOf = (path: readonly PathSegment[]) => lineIn(doc, lines, path);
      visit(doc.toJS(), [], lineOf, file);
    }
  }

  function visit(
    value: unknown,
    at: PathSegment[],
    lineOf: (path: readonly PathSegment[]) => number,
    file: string,
  ): void {
    if (value === null || value === undefined) return; // an empty document
    const here = (list: Problem[]): void => {
      for (const p of list)
        problems.push({ ...p, path: [...at, ...p.path], file, line: lineOf([...at, ...p.path]) });
    };
    if (typeof value !== "object" || Array.isArray(value)) {
      here([
        { object: "document", path: [], message: "expected a Kubernetes object (with kind and metadata)" },
      ]);
      return;
    }
    const object = value as { kind?: unknown; apiVersion?: unknown; items?: unknown; metadata?: unknown };
    const kind = typeof object.kind === "string" ? object.kind : undefined;
    if (kind === undefined) {
      here([{ object: "object", path: ["kind"], message: "required: the object's kind" }]);
      return;
    }
    if (kind.endsWith("List") && Array.isArray(object.items)) {
      object.items.forEach((item, i) => {
        visit(item, [...at, "items", i], lineOf, file);
      });
      return;
    }
    const meta = (object.metadata ?? {}) as { name?: unknown; namespace?: unknown };
    const name = typeof meta.name === "string" && meta.name ? meta.name : "(unnamed)";
    const namespace =
      typeof meta.namespace === "string" && meta.namespace ? meta.namespace : DEFAULT_NAMESPACE;
    const what = kind === "Namespace" ? `Namespace ${name}` : `${kind} ${namespace}/${name}`;
    const report = here;

    const expected = API_VERSIONS[kind];
    if (expected === undefined) {
      notes.push(
        `${file}:${lineOf(at)}: ignoring ${what} (only Namespace, Pod, Deployment and NetworkPolicy are used)`,
      );
      return;
    }
    if (object.apiVersion != null && object.apiVersion !== expected && kind !== "NetworkPolicy") {
      report([
        { object: what, path: ["apiVersion"], message: `'${String(object.apiVersion)}' is not ${expected}` },
      ]);
      return;
    }
    // One pod per namespace/name (a Pod and a Deployment of the same name would be ambiguous).
    const unique = (key: string) => {
      const where = `${file}:${lineOf(at)}`;
      const first = origins.get(key);
      if (first !== undefined) {
        report([{ object: what, path: ["metadata", "name"], message: `${key} is also defined at ${first}` }]);
        return false;
      }
      origins.set(key, where);
      return true;
    };

    switch (kind) {
      case "Namespace": {
        const parsed = namespaceSchema.safeParse(value);
        if (!parsed.success) {
          report(zodProblems(parsed.error, what));
          return;
        }
        if (!unique(`Namespace ${parsed.data.metadata.name}`)) return;
        namespaces.push({ name: parsed.data.metadata.name, labels: parsed.data.metadata.labels ?? {} });
        return;
      }
      case "Pod": {
        const parsed = podSchema.safeParse(value);
        if (!parsed.success) {
          report(zodProblems(parsed.error, what));
          return;
        }
        const { metadata, spec, status } = parsed.data;
        const ns = metadata.namespace ?? DEFAULT_NAMESPACE;
        if (!unique(`pod ${ns}/${metadata.name}`)) return;
        const podIPs = (status?.podIPs ?? []).map((p) => p.ip);
        pods.push({
          namespace: ns,
          name: metadata.name,
          labels: metadata.labels ?? {},
          ports: toPorts(spec.containers),
          ...(status?.podIP ? { podIP: status.podIP } : {}),
          ...(podIPs.length > 0 ? { podIPs } : {}),
        });
        return;
      }
      case "Deployment": {
        const parsed = deploymentSchema.safeParse(value);
        if (!parsed.success) {
          report(zodProblems(parsed.error, what));
          return;
        }
        const { metadata, spec } = parsed.data;
        const ns = metadata.namespace ?? DEFAULT_NAMESPACE;
        if (!unique(`pod ${ns}/${metadata.name}`)) return;
        const ips = metadata.annotations?.[POD_IP_ANNOTATION]?.split(",").map((s) => s.trim());
        pods.push({
          namespace: ns,
          name: metadata.name,
          labels: spec.template.metadata?.labels ?? {},
          ports: toPorts(spec.template.spec.containers),
          ...(ips && ips.length > 0 ? { podIPs: ips } : {}),
        });
        return;
      }
      case "NetworkPolicy": {
        const result = compilePolicy(value);
        if (!result.ok) {
          report(result.problems);
          return;
        }
        if (!unique(describePolicy(value))) return;
        policies.push(value);
        return;
      }
    }
  }

  if (problems.length > 0) {
    // In file order, then line order (a stable sort keeps each object's problems in field order).
    const order = new Map(sources.map((s, i) => [s.file, i]));
    problems.sort(
      (a, b) =>
        (order.get(a.file ?? "") ?? 0) - (order.get(b.file ?? "") ?? 0) || (a.line ?? 0) - (b.line ?? 0),
    );
    throw new NetpolInputError(problems);
  }
  return { input: { namespaces, pods, policies }, notes };
}

/** The line of the deepest node of `path` that exists (a missing field is reported at its parent). */
function lineIn(doc: Document, lines: LineCounter, path: readonly PathSegment[]): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return 1;
}

/** Reads manifest files (a directory stands for its *.yaml and *.yml files, sorted). */
export function loadManifests(paths: readonly string[]): LoadedManifests {
  const sources: ManifestSource[] = [];
  for (const path of paths) {
    for (const file of expand(path)) {
      const rel = relative(process.cwd(), file);
      const shown = rel && !rel.startsWith("..") ? rel : file;
      try {
        sources.push({ file: shown, text: readFileSync(file, "utf8") });
      } catch (error) {
        throw new UserError(`${shown}: cannot read: ${(error as Error).message}`);
      }
    }
  }
  return parseManifests(sources);
}

function expand(path: string): string[] {
  let isDirectory = false;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    return [path]; // reading it reports the problem
  }
  if (!isDirectory) return [path];
  const files = readdirSync(path)
    .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
    .sort()
    .map((f) => join(path, f));
  if (files.length === 0) throw new UserError(`${path}: no *.yaml or *.yml file in this directory`);
  return files;
}
