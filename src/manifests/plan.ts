import { UserError } from "../errors.ts";
import type { K8sObject } from "./render.ts";

/**
 * What a runtime does with each kind of object: the kinds it runs, and those it ignores with the
 * reason. A kind in neither is an error, so nothing is silently dropped. Each runtime passes its own.
 */
export interface RuntimeSupport {
  runtime: string;
  run: readonly string[];
  ignored: Readonly<Record<string, string>>;
}

/** The secret the CloudNativePG operator creates for a Cluster's application user. */
export const CNPG_APP_SECRET_KEYS = ["username", "password", "host", "port", "dbname", "uri"];
export const cnpgAppSecret = (cluster: string) => `${cluster}-app`;

export interface Plan {
  run: K8sObject[];
  ignored: { object: K8sObject; reason: string }[];
}

const id = (o: K8sObject) => `${o.kind}/${o.metadata?.name ?? "(unnamed)"}`;

/**
 * Sorts the rendered objects into what runs and what is ignored, and checks every reference a
 * workload makes (ConfigMaps, Secrets and their keys) before anything starts. All problems are
 * reported together.
 */
export function planObjects(objects: K8sObject[], source: string, support: RuntimeSupport): Plan {
  const problems: string[] = [];
  const plan: Plan = { run: [], ignored: [] };
  for (const object of objects) {
    const ignored = support.ignored[object.kind];
    if (support.run.includes(object.kind)) plan.run.push(object);
    else if (ignored) plan.ignored.push({ object, reason: ignored });
    else
      problems.push(
        `${id(object)}: kind ${object.apiVersion}/${object.kind} has no meaning on the ${support.runtime} runtime (supported: ${support.run.join(", ")}; ignored: ${Object.keys(support.ignored).join(", ")})`,
      );
  }

  const keysOf = new Map<string, Set<string>>();
  for (const o of plan.run) {
    if (o.kind === "ConfigMap" || o.kind === "Secret")
      keysOf.set(`${o.kind}/${o.metadata.name}`, new Set(Object.keys({ ...o.data, ...o.stringData })));
    if (o.kind === "Cluster")
      keysOf.set(`Secret/${cnpgAppSecret(o.metadata.name)}`, new Set(CNPG_APP_SECRET_KEYS));
  }
  const check = (owner: string, kind: "ConfigMap" | "Secret", name: string | undefined, key?: string) => {
    const keys = keysOf.get(`${kind}/${name}`);
    if (!keys) problems.push(`${owner}: references ${kind} '${name}', which the manifests do not define`);
    else if (key !== undefined && !keys.has(key))
      problems.push(
        `${owner}: references key '${key}' of ${kind} '${name}', which has only: ${[...keys].join(", ") || "(no keys)"}`,
      );
  };
  for (const o of plan.run.filter((w) => w.kind === "Deployment" || w.kind === "StatefulSet")) {
    const containers = (o.spec?.template?.spec?.containers ?? []) as {
      name: string;
      env?: {
        name: string;
        valueFrom?: {
          configMapKeyRef?: { name: string; key: string };
          secretKeyRef?: { name: string; key: string };
        };
      }[];
      envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
    }[];
    for (const c of containers) {
      const owner = `${id(o)} container ${c.name}`;
      for (const e of c.env ?? []) {
        const cm = e.valueFrom?.configMapKeyRef;
        const sec = e.valueFrom?.secretKeyRef;
        if (cm) check(`${owner} env ${e.name}`, "ConfigMap", cm.name, cm.key);
        if (sec) check(`${owner} env ${e.name}`, "Secret", sec.name, sec.key);
      }
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef) check(`${owner} envFrom`, "ConfigMap", from.configMapRef.name);
        if (from.secretRef) check(`${owner} envFrom`, "Secret", from.secretRef.name);
      }
    }
  }
  if (problems.length > 0)
    throw new UserError(`${source}: the manifests cannot run\n  ${problems.join("\n  ")}`);
  return plan;
}
