import { z } from "zod";
import { ipFamily } from "./ipblock.ts";
import { type MatchPod, portNameProblem, portNumberProblem } from "./match.ts";
import {
  type Labels,
  NAMESPACE_NAME_LABEL,
  type NamespaceInput,
  type PodInput,
  type PortQuery,
  PROTOCOLS,
  type Protocol,
  podId,
} from "./model.ts";
import { type CompiledPolicy, compilePolicy } from "./policy.ts";
import { NetpolInputError, type Problem, zodProblems } from "./problems.ts";
import { labelsSchema } from "./selector.ts";

/**
 * The validated, compiled input of the engine: namespaces with their automatic label, pods in a
 * stable order (by namespace, then name), and compiled policies.
 */

const custom = (ctx: z.RefinementCtx, path: (string | number)[], message: string) =>
  ctx.addIssue({ code: "custom", path, message });

/** A container port as the Pod API has it (`containerPort`, optional `name`, `protocol` defaulting to TCP). */
export const containerPortSchema = z.looseObject({
  containerPort: z.int({ error: "required: a port number" }).superRefine((port, ctx) => {
    const problem = portNumberProblem(port);
    if (problem) custom(ctx, [], problem);
  }),
  name: z
    .string({ error: "a port name" })
    .superRefine((name, ctx) => {
      const problem = portNameProblem(name);
      if (problem) custom(ctx, [], problem);
    })
    .nullish(),
  protocol: z
    .string({ error: "a protocol: TCP, UDP or SCTP" })
    .superRefine((protocol, ctx) => {
      if (!(PROTOCOLS as readonly string[]).includes(protocol))
        custom(
          ctx,
          [],
          `'${protocol}' is not a supported protocol; expected one of: ${PROTOCOLS.join(", ")}`,
        );
    })
    .nullish(),
});

export const ipAddressSchema = z.string({ error: "an IP address" }).superRefine((ip, ctx) => {
  if (!ipFamily(ip)) custom(ctx, [], `'${ip}' is not an IPv4 or IPv6 address`);
});

/** Port names must be unique within a pod (across its containers), as the Pod API requires. */
export function duplicatePortNames(
  ports: readonly { name?: string | null }[],
): { index: number; name: string }[] {
  const seen = new Set<string>();
  const duplicates: { index: number; name: string }[] = [];
  ports.forEach((port, index) => {
    if (!port.name) return;
    if (seen.has(port.name)) duplicates.push({ index, name: port.name });
    seen.add(port.name);
  });
  return duplicates;
}

const namespaceInputSchema = z.strictObject({
  name: z.string({ error: "required: the namespace's name" }).min(1, "required: the namespace's name"),
  labels: labelsSchema.nullish(),
});

const podInputSchema = z
  .strictObject({
    namespace: z.string({ error: "required: the pod's namespace" }).min(1, "required: the pod's namespace"),
    name: z.string({ error: "required: the pod's name" }).min(1, "required: the pod's name"),
    labels: labelsSchema.nullish(),
    ports: z.array(containerPortSchema).nullish(),
    podIP: ipAddressSchema.nullish(),
    podIPs: z.array(ipAddressSchema).nullish(),
  })
  .superRefine((pod, ctx) => {
    for (const { index, name } of duplicatePortNames(pod.ports ?? []))
      custom(ctx, ["ports", index, "name"], `duplicate port name '${name}' (names are unique within a pod)`);
  });

export interface DeclaredPort extends PortQuery {
  name?: string;
}

export interface ClusterPod extends MatchPod {
  /** `namespace/name`. */
  id: string;
  name: string;
  /** Every (protocol, port) the pod's containers declare, once each, in declaration order. */
  ports: readonly DeclaredPort[];
}

export interface Cluster {
  /** Every namespace (declared, or holding a pod, or holding a policy) with its labels. */
  namespaces: ReadonlyMap<string, Labels>;
  pods: readonly ClusterPod[];
  policies: readonly CompiledPolicy[];
}

export interface ClusterInput {
  namespaces?: readonly NamespaceInput[];
  pods: readonly PodInput[];
  /** NetworkPolicy objects (networking.k8s.io/v1), validated here. */
  policies?: readonly unknown[];
}

/** Validates everything (every problem reported at once as a NetpolInputError) and compiles it. */
export function buildCluster(input: ClusterInput): Cluster {
  const problems: Problem[] = [];
  const namespaces = new Map<string, Labels>();
  const withNameLabel = (name: string, labels: Labels = {}): Labels => ({
    ...labels,
    // The API server sets this label on every namespace, to the namespace's name, and keeps it so.
    [NAMESPACE_NAME_LABEL]: name,
  });

  for (const [i, ns] of (input.namespaces ?? []).entries()) {
    const what = `Namespace ${typeof ns?.name === "string" && ns.name ? ns.name : `#${i}`}`;
    const parsed = namespaceInputSchema.safeParse(ns);
    if (!parsed.success) {
      problems.push(...zodProblems(parsed.error, what));
      continue;
    }
    if (namespaces.has(parsed.data.name))
      problems.push({ object: what, path: ["name"], message: "declared twice" });
    namespaces.set(parsed.data.name, withNameLabel(parsed.data.name, parsed.data.labels ?? {}));
  }

  const pods: ClusterPod[] = [];
  const ids = new Set<string>();
  for (const [i, pod] of input.pods.entries()) {
    const what =
      typeof pod?.namespace === "string" && typeof pod?.name === "string" ? `Pod ${podId(pod)}` : `Pod #${i}`;
    const parsed = podInputSchema.safeParse(pod);
    if (!parsed.success) {
      problems.push(...zodProblems(parsed.error, what));
      continue;
    }
    const p = parsed.data;
    const id = podId(p);
    if (ids.has(id))
      problems.push({ object: what, path: ["name"], message: "two pods have this namespace/name" });
    ids.add(id);
    if (!namespaces.has(p.namespace)) namespaces.set(p.namespace, withNameLabel(p.namespace));
    const declared: DeclaredPort[] = [];
    const namedPorts = new Map<string, PortQuery[]>();
    for (const port of p.ports ?? []) {
      const protocol = (port.protocol ?? "TCP") as Protocol;
      if (!declared.some((d) => d.protocol === protocol && d.port === port.containerPort))
        declared.push(
          port.name
            ? { protocol, port: port.containerPort, name: port.name }
            : { protocol, port: port.containerPort },
        );
      if (port.name)
        namedPorts.set(port.name, [
          ...(namedPorts.get(port.name) ?? []),
          { protocol, port: port.containerPort },
        ]);
    }
    const ips = [...new Set([...(p.podIP ? [p.podIP] : []), ...(p.podIPs ?? [])])];
    pods.push({
      id,
      name: p.name,
      namespace: p.namespace,
      labels: { ...(p.labels ?? {}) },
      namespaceLabels: {},
      ips,
      namedPorts,
      ports: declared,
    });
  }

  const policies: CompiledPolicy[] = [];
  const policyIds = new Set<string>();
  for (const object of input.policies ?? []) {
    const result = compilePolicy(object);
    if (!result.ok) {
      problems.push(...result.problems);
      continue;
    }
    const id = `${result.policy.namespace}/${result.policy.name}`;
    if (policyIds.has(id))
      problems.push({
        object: `NetworkPolicy ${id}`,
        path: ["metadata", "name"],
        message: "two policies have this namespace/name",
      });
    policyIds.add(id);
    policies.push(result.policy);
    if (!namespaces.has(result.policy.namespace))
      namespaces.set(result.policy.namespace, withNameLabel(result.policy.namespace));
  }

  if (problems.length > 0) throw new NetpolInputError(problems);

  for (const pod of pods) pod.namespaceLabels = namespaces.get(pod.namespace) as Labels;
  pods.sort((a, b) =>
    a.namespace === b.namespace ? compare(a.name, b.name) : compare(a.namespace, b.namespace),
  );
  return { namespaces, pods, policies };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
