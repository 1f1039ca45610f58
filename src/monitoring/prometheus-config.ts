import { parse, stringify } from "yaml";
import { z } from "zod";
import { UserError } from "../errors.ts";
import type { K8sObject } from "../manifests/render.ts";
import { labelSelectorSchema, selectorMatches, serviceSelects } from "../netpol/selector.ts";

/**
 * The ConfigMap annotation naming the key that holds Prometheus' own configuration. DevStack
 * completes that ConfigMap as the Prometheus operator completes production's: a scrape job per
 * PodMonitor/ServiceMonitor endpoint, a rule file per PrometheusRule (key rules-NAMESPACE-NAME.yml).
 */
export const PROMETHEUS_CONFIG_ANNOTATION = "devstack.azora.dev/prometheus-config";

/** The kinds this module turns into configuration. */
export const MONITORING_KINDS = ["PodMonitor", "ServiceMonitor", "PrometheusRule"] as const;

/** A pod as a monitor selects it; `address` is how Prometheus reaches one of its ports. */
export interface ScrapePod {
  namespace: string;
  pod: string;
  labels: Record<string, string>;
  ports: { name?: string; containerPort: number }[];
}

const DURATION = "a Prometheus duration such as 15s or 1m";
const duration = z.string(DURATION).regex(/^\d+(ms|s|m|h)$/, DURATION);
const endpointSchema = z.strictObject({
  port: z.string("the name of a container port (for a ServiceMonitor, of a Service port)"),
  path: z.string().startsWith("/").default("/metrics"),
  interval: duration.optional(),
  scrapeTimeout: duration.optional(),
  scheme: z.literal("http", "http (TLS scraping is not set up in DevStack)").optional(),
});
type Endpoint = z.infer<typeof endpointSchema>;

const namespaceSelectorSchema = z.strictObject({
  any: z.boolean().optional(),
  matchNames: z.array(z.string()).optional(),
});
const monitorSpec = {
  jobLabel: z.string().optional(),
  selector: labelSelectorSchema,
  namespaceSelector: namespaceSelectorSchema.optional(),
};
const podMonitorSpec = z.strictObject({
  ...monitorSpec,
  podMetricsEndpoints: z.array(endpointSchema).min(1),
});
const serviceMonitorSpec = z.strictObject({ ...monitorSpec, endpoints: z.array(endpointSchema).min(1) });
const ruleSpec = z.strictObject({
  groups: z.array(z.looseObject({ name: z.string(), rules: z.array(z.unknown()) })),
});

interface ScrapeJob {
  job_name: string;
  metrics_path: string;
  scrape_interval?: string;
  scrape_timeout?: string;
  static_configs: { targets: string[]; labels: Record<string, string> }[];
}

const id = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? "default"}/${o.metadata.name}`;

function parsed<T>(schema: z.ZodType<T>, o: K8sObject, problems: string[]): T | undefined {
  const result = schema.safeParse(o.spec);
  if (result.success) return result.data;
  for (const issue of result.error.issues)
    problems.push(`${id(o)}: spec.${issue.path.join(".")}: ${issue.message}`);
  return undefined;
}

function inNamespaces(o: K8sObject, selector: z.infer<typeof namespaceSelectorSchema> | undefined) {
  const own = o.metadata.namespace ?? "default";
  return (namespace: string) => selector?.any === true || (selector?.matchNames ?? [own]).includes(namespace);
}

function job(
  o: K8sObject,
  index: number,
  endpoint: Endpoint,
  targets: ScrapeJob["static_configs"],
): ScrapeJob {
  return {
    // The operator's job names: which monitor, which of its endpoints.
    job_name: `${o.kind === "PodMonitor" ? "podMonitor" : "serviceMonitor"}/${o.metadata.namespace ?? "default"}/${o.metadata.name}/${index}`,
    metrics_path: endpoint.path,
    ...(endpoint.interval ? { scrape_interval: endpoint.interval } : {}),
    ...(endpoint.scrapeTimeout ? { scrape_timeout: endpoint.scrapeTimeout } : {}),
    static_configs: targets,
  };
}

/**
 * A PodMonitor's endpoints as scrape jobs over the pods it selects: each target labelled with its
 * namespace, pod, endpoint (the port's name) and job (the pod's `jobLabel` label, else
 * NAMESPACE/NAME), the labels the Prometheus operator gives them.
 */
function podMonitorJobs(o: K8sObject, pods: ScrapePod[], address: Address, problems: string[]): ScrapeJob[] {
  const spec = parsed(podMonitorSpec, o, problems);
  if (!spec) return [];
  const inScope = inNamespaces(o, spec.namespaceSelector);
  const selected = pods.filter((p) => inScope(p.namespace) && selectorMatches(spec.selector, p.labels));
  return spec.podMetricsEndpoints.map((endpoint, index) => {
    const targets = selected.flatMap((pod) => {
      const port = pod.ports.find((p) => p.name === endpoint.port);
      if (!port) return [];
      const jobName =
        (spec.jobLabel && pod.labels[spec.jobLabel]) || `${o.metadata.namespace}/${o.metadata.name}`;
      return [
        {
          targets: [address(pod, port.containerPort)],
          labels: { namespace: pod.namespace, pod: pod.pod, endpoint: endpoint.port, job: jobName },
        },
      ];
    });
    if (selected.length > 0 && targets.length === 0)
      problems.push(
        `${id(o)}: spec.podMetricsEndpoints.${index}.port: no container port '${endpoint.port}' on the ${selected.length} pod(s) it selects (${selected.map((p) => p.pod).join(", ")})`,
      );
    return job(o, index, endpoint, targets);
  });
}

/**
 * A ServiceMonitor's endpoints as scrape jobs over the pods behind the Services it selects (as
 * Prometheus follows a Service's Endpoints), labelled as for a PodMonitor plus `service`; the job
 * is the Service's `jobLabel` label, else its name.
 */
function serviceMonitorJobs(
  o: K8sObject,
  services: K8sObject[],
  pods: ScrapePod[],
  address: Address,
  problems: string[],
): ScrapeJob[] {
  const spec = parsed(serviceMonitorSpec, o, problems);
  if (!spec) return [];
  const inScope = inNamespaces(o, spec.namespaceSelector);
  const selected = services.filter(
    (s) =>
      inScope(s.metadata.namespace ?? "default") && selectorMatches(spec.selector, s.metadata.labels ?? {}),
  );
  return spec.endpoints.map((endpoint, index) => {
    const targets = selected.flatMap((service) => {
      const servicePort = (service.spec?.ports ?? []).find(
        (p: { name?: string }) => p.name === endpoint.port,
      );
      if (!servicePort) {
        problems.push(
          `${id(o)}: spec.endpoints.${index}.port: Service ${service.metadata.name} has no port named '${endpoint.port}'`,
        );
        return [];
      }
      const namespace = service.metadata.namespace ?? "default";
      const target = servicePort.targetPort ?? servicePort.port;
      const jobName = (spec.jobLabel && service.metadata.labels?.[spec.jobLabel]) || service.metadata.name;
      return pods
        .filter((p) => p.namespace === namespace && serviceSelects(service.spec?.selector, p.labels))
        .flatMap((pod) => {
          const port = pod.ports.find((p) =>
            typeof target === "number" ? p.containerPort === target : p.name === target,
          );
          if (!port) return [];
          return [
            {
              targets: [address(pod, port.containerPort)],
              labels: {
                namespace,
                pod: pod.pod,
                service: service.metadata.name,
                endpoint: endpoint.port,
                job: jobName,
              },
            },
          ];
        });
    });
    return job(o, index, endpoint, targets);
  });
}

type Address = (pod: ScrapePod, port: number) => string;

/**
 * The objects with every ConfigMap annotated PROMETHEUS_CONFIG_ANNOTATION completed: its
 * configuration gets a scrape job per monitor endpoint (targets from `pods`, reached at
 * `address`), and a rule file per PrometheusRule; `runtimeJobs` are the runtime's own (the
 * pod-state series on Docker). Every problem with a monitor or rule is reported together; the
 * objects given are not changed.
 */
export function completePrometheusConfig(
  objects: K8sObject[],
  pods: ScrapePod[],
  address: Address,
  runtimeJobs: readonly object[] = [],
): K8sObject[] {
  const problems: string[] = [];
  const services = objects.filter((o) => o.kind === "Service");
  const jobs = objects.flatMap((o) =>
    o.kind === "PodMonitor"
      ? podMonitorJobs(o, pods, address, problems)
      : o.kind === "ServiceMonitor"
        ? serviceMonitorJobs(o, services, pods, address, problems)
        : [],
  );
  const ruleFiles: Record<string, string> = {};
  for (const o of objects.filter((x) => x.kind === "PrometheusRule")) {
    const spec = parsed(ruleSpec, o, problems);
    if (spec)
      ruleFiles[`rules-${o.metadata.namespace ?? "default"}-${o.metadata.name}.yml`] = stringify(spec);
  }

  const completed = objects.map((o) => {
    const key = o.kind === "ConfigMap" ? o.metadata.annotations?.[PROMETHEUS_CONFIG_ANNOTATION] : undefined;
    if (key === undefined) return o;
    const text = o.data?.[key];
    if (text === undefined) {
      problems.push(
        `${id(o)}: annotation ${PROMETHEUS_CONFIG_ANNOTATION} names key '${key}', which it does not have`,
      );
      return o;
    }
    const config = (parse(text) ?? {}) as { scrape_configs?: unknown[] };
    const own = config.scrape_configs ?? [];
    return {
      ...o,
      data: {
        ...o.data,
        ...ruleFiles,
        [key]: stringify({ ...config, scrape_configs: [...own, ...runtimeJobs, ...jobs] }),
      },
    };
  });
  if (problems.length > 0)
    throw new UserError(
      `the monitoring objects cannot be turned into Prometheus' configuration\n  ${problems.join("\n  ")}`,
    );
  return completed;
}
