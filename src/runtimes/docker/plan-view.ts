import type { Plan } from "../../manifests/plan.ts";
import type { K8sObject } from "../../manifests/render.ts";
import { GENERATE_ANNOTATION } from "../../manifests/secrets.ts";
import { PROMETHEUS_CONFIG_ANNOTATION } from "../../monitoring/prometheus-config.ts";
import { effectivePolicyTypes } from "../../netpol/policy.ts";
import { selectorMatches } from "../../netpol/selector.ts";
import { nextBackup } from "./backup-schedule.ts";
import { isHa, STAND_IN_LABEL } from "./cluster.ts";
import type { ContainerPlan } from "./translate.ts";

export interface PlanLine {
  verb: "run" | "ignore";
  object: string;
  detail: string;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

const into = (prometheus: string | undefined, what: string) =>
  prometheus
    ? `${what} in ${prometheus}, as the Prometheus operator would write them`
    : `nothing: no ConfigMap annotated ${PROMETHEUS_CONFIG_ANNOTATION} (a Prometheus) in the manifests`;

/**
 * What the Docker runtime makes of each object of the plan, read from the containers it will
 * actually start (so a 3-instance Cluster that runs as one container says so) and from the
 * policies it will enforce. Pure: the text `manifests:plan` prints.
 */
export function describeDockerPlan(plan: Plan, containers: readonly ContainerPlan[]): PlanLine[] {
  // Names are namespaced once there is more than one namespace (monitoring's beside azora).
  const namespaces = new Set(
    [...plan.run, ...plan.ignored.map((i) => i.object)].flatMap((o) => o.metadata.namespace ?? []),
  );
  const name = (o: K8sObject) =>
    namespaces.size > 1 && o.metadata.namespace
      ? `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`
      : `${o.kind}/${o.metadata.name}`;
  const prometheus = plan.run.find((o) => o.metadata.annotations?.[PROMETHEUS_CONFIG_ANNOTATION]);
  const lines: PlanLine[] = plan.run.map((o) => ({
    verb: "run",
    object: name(o),
    detail: describe(o, containers, prometheus ? name(prometheus) : undefined),
  }));
  for (const { object, reason } of plan.ignored)
    lines.push({ verb: "ignore", object: name(object), detail: reason });
  return lines;
}

function describe(
  o: K8sObject,
  containers: readonly ContainerPlan[],
  prometheus: string | undefined,
): string {
  const spec = o.spec ?? {};
  const runs = containers.filter((c) => c.workload === o.metadata.name && c.kind === o.kind);
  const image = runs[0]?.image ?? "?";
  switch (o.kind) {
    case "Deployment":
    case "StatefulSet":
      return `replicas ${spec.replicas ?? 1} -> ${plural(runs.length, "container")} of image ${image}`;
    case "Cluster": {
      const instances = spec.instances ?? 1;
      // The operator's PodMonitor (enablePodMonitor), over each instance's exporter.
      const metrics = spec.monitoring?.enablePodMonitor
        ? "; metrics on :9187 and the operator's PodMonitor"
        : "";
      const backups = spec.backup
        ? `; WAL archived and base backups by pgBackRest${isHa(o) ? " (from the primary)" : ""} into volume azora-backups-ENV (kept after dev:down)`
        : "";
      if (isHa(o)) {
        const standIns = containers.filter((c) => c.labels[STAND_IN_LABEL] === o.metadata.name);
        const count = (image: string) => standIns.filter((c) => c.image === image).length;
        return `instances ${instances} -> ${plural(count("patroni"), "PostgreSQL container")} under Patroni, ${count("etcd")} etcd members, HAProxy for -rw/-ro/-r (${count("haproxy")} containers)${metrics}${backups}`;
      }
      return `instances ${instances} -> ${plural(runs.length, "PostgreSQL container")} of image ${image}${metrics}${backups}`;
    }
    case "Service": {
      const ports = (spec.ports ?? []).map((p: { port: number }) => p.port).join(",");
      const pods = containers.filter((c) => c.aliases.includes(o.metadata.name)).length;
      const entry = spec.type === "LoadBalancer" ? "; published on 127.0.0.1 as the entry point" : "";
      return `${spec.type ?? "ClusterIP"} ${ports} -> DNS alias on ${plural(pods, "pod")}${entry}`;
    }
    case "NetworkPolicy": {
      const selected = containers.filter(
        (c) => c.namespace === o.metadata.namespace && selectorMatches(spec.podSelector ?? {}, c.labels),
      ).length;
      const types = effectivePolicyTypes(spec);
      const directions = [
        types.ingress ? `ingress ${plural((spec.ingress ?? []).length, "rule")}` : "",
        types.egress ? `egress ${plural((spec.egress ?? []).length, "rule")}` : "",
      ].filter(Boolean);
      return `selects ${plural(selected, "pod")}; ${directions.join(", ")} -> nftables rules on the env's bridge`;
    }
    case "Secret": {
      const keys = Object.keys({ ...o.data, ...o.stringData }).length;
      const generated = o.metadata.annotations?.[GENERATE_ANNOTATION] === "true";
      return `${plural(keys, "key")}${generated ? ", values generated per environment" : ""}`;
    }
    case "PodMonitor": {
      const selected = containers.filter(
        (c) => c.namespace === o.metadata.namespace && selectorMatches(spec.selector ?? {}, c.labels),
      ).length;
      return `selects ${plural(selected, "pod")} -> ${into(prometheus, "scrape jobs")}`;
    }
    case "ServiceMonitor":
      return `-> ${into(prometheus, "scrape jobs over the pods of the Services it selects")}`;
    case "PrometheusRule": {
      const groups: { rules?: unknown[] }[] = spec.groups ?? [];
      const rules = groups.reduce((n, g) => n + (g.rules ?? []).length, 0);
      return `${plural(groups.length, "group")}, ${plural(rules, "rule")} -> ${into(prometheus, "a rule file")}`;
    }
    case "ScheduledBackup": {
      const next = nextBackup(String(spec.schedule), new Date())?.toISOString() ?? "never";
      return `schedule "${spec.schedule}" (next ${next})${spec.immediate ? " and one at once if there is none" : ""} -> pgBackRest backups of Cluster/${spec.cluster?.name} taken by the supervisor`;
    }
    case "ConfigMap":
      return `${plural(Object.keys(o.data ?? {}).length, "key")}`;
    default:
      return "";
  }
}
