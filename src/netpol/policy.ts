import { z } from "zod";
import { type Cidr, exceptProblem, IpBlock, parseCidr } from "./ipblock.ts";
import { type CompiledPeer, type CompiledPort, portNameProblem, portNumberProblem } from "./match.ts";
import { DEFAULT_NAMESPACE, PROTOCOLS, type Protocol } from "./model.ts";
import { type PathSegment, type Problem, zodProblems } from "./problems.ts";
import { type CompiledSelector, compileSelector, labelSelectorSchema } from "./selector.ts";

/**
 * NetworkPolicy objects (networking.k8s.io/v1): validation as the API server does it, defaulting as
 * the API server does it, and compilation into predicates for the engine.
 *
 * A field given as YAML `null` (e.g. `from:` with nothing after it) is the same as an absent field,
 * exactly as for the API server (a JSON null decodes to a nil slice/pointer in Go).
 */

export const NETWORK_POLICY_API_VERSION = "networking.k8s.io/v1";
export const POLICY_TYPES = ["Ingress", "Egress"] as const;

const custom = (ctx: z.RefinementCtx, path: PathSegment[], message: string) =>
  ctx.addIssue({ code: "custom", path, message });

const portSchema = z
  .strictObject({
    protocol: z.string({ error: "a protocol: TCP, UDP or SCTP" }).nullish(),
    port: z.union([z.int(), z.string()], { error: "a port number or a port name" }).nullish(),
    endPort: z.int({ error: "a port number" }).nullish(),
  })
  .superRefine((p, ctx) => {
    if (p.protocol != null && !(PROTOCOLS as readonly string[]).includes(p.protocol))
      custom(
        ctx,
        ["protocol"],
        `'${p.protocol}' is not a supported protocol; expected one of: ${PROTOCOLS.join(", ")}`,
      );
    if (typeof p.port === "number") {
      const problem = portNumberProblem(p.port);
      if (problem) custom(ctx, ["port"], problem);
    } else if (typeof p.port === "string") {
      const problem = portNameProblem(p.port);
      if (problem) custom(ctx, ["port"], problem);
    }
    if (p.endPort != null) {
      if (p.port == null) custom(ctx, ["endPort"], "may not be specified when `port` is not specified");
      else if (typeof p.port === "string")
        custom(ctx, ["endPort"], `may not be specified when \`port\` is non-numeric ('${p.port}')`);
      else if (p.endPort < p.port)
        custom(ctx, ["endPort"], `${p.endPort} must be greater than or equal to \`port\` (${p.port})`);
      const problem = portNumberProblem(p.endPort);
      if (problem) custom(ctx, ["endPort"], problem);
    }
  });

const ipBlockSchema = z
  .strictObject({
    cidr: z.string({ error: "required: a CIDR such as 10.0.0.0/16" }),
    except: z.array(z.string({ error: "a CIDR" })).nullish(),
  })
  .superRefine((block, ctx) => {
    const cidr = parseCidr(block.cidr);
    if (typeof cidr === "string") custom(ctx, ["cidr"], cidr);
    (block.except ?? []).forEach((text, i) => {
      const except = parseCidr(text);
      if (typeof except === "string") custom(ctx, ["except", i], except);
      else if (typeof cidr !== "string") {
        const problem = exceptProblem(cidr, except);
        if (problem) custom(ctx, ["except", i], problem);
      }
    });
  });

const peerSchema = z
  .strictObject({
    podSelector: labelSelectorSchema.nullish(),
    namespaceSelector: labelSelectorSchema.nullish(),
    ipBlock: ipBlockSchema.nullish(),
  })
  .superRefine((peer, ctx) => {
    const given = [peer.podSelector, peer.namespaceSelector, peer.ipBlock].filter((f) => f != null).length;
    if (given === 0) custom(ctx, [], "must specify a peer: podSelector and/or namespaceSelector, or ipBlock");
    else if (given > 1 && peer.ipBlock != null)
      custom(ctx, [], "may not specify both ipBlock and another peer (podSelector/namespaceSelector)");
  });

const ingressRuleSchema = z.strictObject({
  from: z.array(peerSchema).nullish(),
  ports: z.array(portSchema).nullish(),
});
const egressRuleSchema = z.strictObject({
  to: z.array(peerSchema).nullish(),
  ports: z.array(portSchema).nullish(),
});

const specSchema = z
  .strictObject({
    podSelector: labelSelectorSchema.nullish(),
    policyTypes: z.array(z.string({ error: "Ingress or Egress" })).nullish(),
    ingress: z.array(ingressRuleSchema).nullish(),
    egress: z.array(egressRuleSchema).nullish(),
  })
  .superRefine((spec, ctx) => {
    const types = spec.policyTypes ?? [];
    if (types.length > 2) custom(ctx, ["policyTypes"], "may not specify more than two policyTypes");
    types.forEach((type, i) => {
      if (!(POLICY_TYPES as readonly string[]).includes(type))
        custom(
          ctx,
          ["policyTypes", i],
          `'${type}' is not a policy type; expected one of: ${POLICY_TYPES.join(", ")}`,
        );
    });
  });

export const networkPolicySchema = z.looseObject({
  apiVersion: z.string().nullish(),
  kind: z.string().nullish(),
  metadata: z.looseObject({
    name: z.string({ error: "required: the policy's name" }).min(1, "required: the policy's name"),
    namespace: z.string({ error: "a namespace name" }).min(1).nullish(),
  }),
  spec: specSchema.nullish(),
});

export type NetworkPolicyObject = z.input<typeof networkPolicySchema>;
type ParsedPolicy = z.output<typeof networkPolicySchema>;

export interface CompiledRule {
  /** Every peer (from/to absent or empty), or any of these. */
  peers: "all" | readonly CompiledPeer[];
  /** Every port (ports absent or empty), or any of these. */
  ports: "all" | readonly CompiledPort[];
}

export interface CompiledPolicy {
  namespace: string;
  name: string;
  podSelector: CompiledSelector;
  /** Undefined when the policy is not an Ingress policy (after defaulting); `[]` denies all ingress. */
  ingress?: readonly CompiledRule[];
  /** Undefined when the policy is not an Egress policy (after defaulting); `[]` denies all egress. */
  egress?: readonly CompiledRule[];
}

/** `NetworkPolicy ns/name`, as well as can be told from an object that may be invalid. */
export function describePolicy(object: unknown): string {
  const metadata = (object as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata;
  const name = typeof metadata?.name === "string" && metadata.name ? metadata.name : "(unnamed)";
  const namespace =
    typeof metadata?.namespace === "string" && metadata.namespace ? metadata.namespace : DEFAULT_NAMESPACE;
  return `NetworkPolicy ${namespace}/${name}`;
}

/**
 * The policy types in force. When `policyTypes` is absent or empty the API server defaults it
 * (pkg/apis/networking/v1/defaults.go, SetDefaults_NetworkPolicy): `["Ingress"]`, plus `"Egress"`
 * iff `len(spec.egress) != 0`. The documentation says the same ("Egress will be set if the
 * NetworkPolicy has any egress rules"). So:
 * - a policy with only `egress: [...]` rules and no policyTypes is Ingress AND Egress (it also
 *   isolates its pods for ingress, allowing none);
 * - `egress: []` (or `egress:` with no value) is no egress rule at all: such a policy is Ingress only
 *   and does not isolate for egress. To deny all egress, list `Egress` in policyTypes.
 * When `policyTypes` is given it is taken as is: rules of a direction it does not list are ignored.
 */
export function effectivePolicyTypes(spec: {
  policyTypes?: readonly string[] | null;
  egress?: readonly unknown[] | null;
}): { ingress: boolean; egress: boolean } {
  const given = spec.policyTypes ?? [];
  if (given.length === 0) return { ingress: true, egress: (spec.egress ?? []).length !== 0 };
  return { ingress: given.includes("Ingress"), egress: given.includes("Egress") };
}

export type PolicyResult = { ok: true; policy: CompiledPolicy } | { ok: false; problems: Problem[] };

/** Validates one NetworkPolicy object (every problem, with its field path) and compiles it. */
export function compilePolicy(object: unknown): PolicyResult {
  const what = describePolicy(object);
  const problems: Problem[] = [];
  if (typeof object !== "object" || object === null || Array.isArray(object))
    return { ok: false, problems: [{ object: what, path: [], message: "expected a NetworkPolicy object" }] };
  const result = networkPolicySchema.safeParse(object);
  if (!result.success) problems.push(...zodProblems(result.error, what));
  const raw = object as { apiVersion?: unknown; kind?: unknown };
  if (raw.apiVersion != null && raw.apiVersion !== NETWORK_POLICY_API_VERSION)
    problems.push({
      object: what,
      path: ["apiVersion"],
      message: `'${String(raw.apiVersion)}' is not supported; expected ${NETWORK_POLICY_API_VERSION}`,
    });
  if (raw.kind != null && raw.kind !== "NetworkPolicy")
    problems.push({ object: what, path: ["kind"], message: `'${String(raw.kind)}' is not NetworkPolicy` });
  if (problems.length > 0 || !result.success) return { ok: false, problems };
  return { ok: true, policy: compileParsed(result.data) };
}

function compileParsed(parsed: ParsedPolicy): CompiledPolicy {
  const spec = parsed.spec ?? {};
  const types = effectivePolicyTypes(spec);
  const policy: CompiledPolicy = {
    namespace: parsed.metadata.namespace ?? DEFAULT_NAMESPACE,
    name: parsed.metadata.name,
    // An absent podSelector is the zero LabelSelector, which selects every pod of the namespace.
    podSelector: compileSelector(spec.podSelector ?? {}),
  };
  if (types.ingress) policy.ingress = (spec.ingress ?? []).map((r) => compileRule(r.from, r.ports));
  if (types.egress) policy.egress = (spec.egress ?? []).map((r) => compileRule(r.to, r.ports));
  return policy;
}

type ParsedSpec = NonNullable<ParsedPolicy["spec"]>;
type ParsedPeer = NonNullable<NonNullable<ParsedSpec["ingress"]>[number]["from"]>[number];
type ParsedPort = NonNullable<NonNullable<ParsedSpec["ingress"]>[number]["ports"]>[number];

function compileRule(
  peers: readonly ParsedPeer[] | null | undefined,
  ports: readonly ParsedPort[] | null | undefined,
): CompiledRule {
  return {
    // Absent and empty are the same: "from"/"to" every source/destination, "ports" every port.
    peers: peers && peers.length > 0 ? peers.map(compilePeer) : "all",
    ports: ports && ports.length > 0 ? ports.map(compilePort) : "all",
  };
}

function compilePeer(peer: ParsedPeer): CompiledPeer {
  if (peer.ipBlock) {
    const cidr = parseCidr(peer.ipBlock.cidr) as Cidr;
    const except = (peer.ipBlock.except ?? []).map((e) => parseCidr(e) as Cidr);
    return { kind: "ipBlock", block: new IpBlock(cidr, except) };
  }
  const compiled: CompiledPeer = { kind: "pods" };
  if (peer.podSelector) compiled.podSelector = compileSelector(peer.podSelector);
  if (peer.namespaceSelector) compiled.namespaceSelector = compileSelector(peer.namespaceSelector);
  return compiled;
}

function compilePort(port: ParsedPort): CompiledPort {
  // The API server defaults an absent protocol to TCP (SetDefaults_NetworkPolicyPort).
  const protocol = (port.protocol ?? "TCP") as Protocol;
  if (port.port == null) return { kind: "any", protocol };
  if (typeof port.port === "string") return { kind: "named", protocol, name: port.port };
  return { kind: "range", protocol, from: port.port, to: port.endPort ?? port.port };
}
