import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { K8sObject } from "../../src/manifests/render.ts";
import { completePrometheusConfig, type ScrapePod } from "../../src/monitoring/prometheus-config.ts";
import { userErrorFrom } from "../support/thrown.ts";

// PodMonitors, ServiceMonitors and PrometheusRules made into Prometheus' configuration, as the
// Prometheus operator makes them in production; expectations written out by hand.

const prometheusConfigMap = (config = "global: { scrape_interval: 5s }\n"): K8sObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: {
    name: "prometheus",
    namespace: "monitoring",
    annotations: { "devstack.azora.dev/prometheus-config": "prometheus.yml" },
  },
  data: { "prometheus.yml": config },
});

const pod = (namespace: string, name: string, labels: Record<string, string>, port = 8080): ScrapePod => ({
  namespace,
  pod: name,
  labels,
  ports: [{ name: "http", containerPort: port }],
});

const PODS = [
  pod("azora", "user-service-1", { "app.kubernetes.io/name": "user-service", tier: "backend" }),
  pod("azora", "user-service-2", { "app.kubernetes.io/name": "user-service", tier: "backend" }),
  pod("azora", "tyk-gateway-1", { "app.kubernetes.io/name": "tyk-gateway", tier: "edge" }),
  pod("other", "user-service-1", { "app.kubernetes.io/name": "user-service", tier: "backend" }),
];

const podMonitor = (spec: object, namespace = "azora"): K8sObject => ({
  apiVersion: "monitoring.coreos.com/v1",
  kind: "PodMonitor",
  metadata: { name: "services", namespace },
  spec,
});

const address = (p: ScrapePod, port: number) => `${p.pod}.${p.namespace}:${port}`;

/** The completed configuration and rule files of the Prometheus ConfigMap. */
function completed(objects: K8sObject[], pods = PODS) {
  const configMap = completePrometheusConfig([prometheusConfigMap(), ...objects], pods, address).find(
    (o) => o.kind === "ConfigMap",
  );
  const { "prometheus.yml": config, ...rest } = configMap?.data ?? {};
  return { config: parse(config ?? ""), files: rest };
}

describe("Prometheus' configuration from the monitors", () => {
  it("scrapes each pod a PodMonitor selects in its namespace, labelled as the operator labels it", () => {
    const { config } = completed([
      podMonitor({
        jobLabel: "app.kubernetes.io/name",
        selector: { matchLabels: { tier: "backend" } },
        podMetricsEndpoints: [{ port: "http", path: "/metrics", interval: "10s" }],
      }),
    ]);
    expect(config).toEqual({
      global: { scrape_interval: "5s" },
      scrape_configs: [
        {
          job_name: "podMonitor/azora/services/0",
          metrics_path: "/metrics",
          scrape_interval: "10s",
          static_configs: [
            {
              targets: ["user-service-1.azora:8080"],
              labels: { namespace: "azora", pod: "user-service-1", endpoint: "http", job: "user-service" },
            },
            {
              targets: ["user-service-2.azora:8080"],
              labels: { namespace: "azora", pod: "user-service-2", endpoint: "http", job: "user-service" },
            },
          ],
        },
      ],
    });
  });

  it("names the job NAMESPACE/NAME without a jobLabel, and reaches other namespaces when told", () => {
    const { config } = completed([
      podMonitor({
        selector: { matchExpressions: [{ key: "tier", operator: "In", values: ["edge"] }] },
        namespaceSelector: { any: true },
        podMetricsEndpoints: [{ port: "http" }],
      }),
      {
        ...podMonitor({
          selector: { matchLabels: { "app.kubernetes.io/name": "user-service" } },
          namespaceSelector: { matchNames: ["other"] },
          podMetricsEndpoints: [{ port: "http" }],
        }),
        metadata: { name: "elsewhere", namespace: "azora" },
      },
    ]);
    expect(config.scrape_configs).toEqual([
      {
        job_name: "podMonitor/azora/services/0",
        metrics_path: "/metrics",
        static_configs: [
          {
            targets: ["tyk-gateway-1.azora:8080"],
            labels: { namespace: "azora", pod: "tyk-gateway-1", endpoint: "http", job: "azora/services" },
          },
        ],
      },
      {
        job_name: "podMonitor/azora/elsewhere/0",
        metrics_path: "/metrics",
        static_configs: [
          {
            targets: ["user-service-1.other:8080"],
            labels: { namespace: "other", pod: "user-service-1", endpoint: "http", job: "azora/elsewhere" },
          },
        ],
      },
    ]);
  });

  it("follows a ServiceMonitor through the Services it selects to their pods and target ports", () => {
    const service: K8sObject = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "users", namespace: "azora", labels: { monitored: "yes", team: "identity" } },
      spec: {
        selector: { "app.kubernetes.io/name": "user-service" },
        ports: [{ name: "web", port: 80, targetPort: "http" }],
      },
    };
    const headless: K8sObject = {
      ...service,
      metadata: { name: "no-selector", namespace: "azora", labels: { monitored: "yes" } },
      spec: { ports: [{ name: "web", port: 80 }] },
    };
    const { config } = completed([
      service,
      headless,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: { name: "users", namespace: "azora" },
        spec: {
          jobLabel: "team",
          selector: { matchLabels: { monitored: "yes" } },
          endpoints: [{ port: "web" }],
        },
      },
    ]);
    const labels = (p: string) => ({
      namespace: "azora",
      pod: p,
      service: "users",
      endpoint: "web",
      job: "identity",
    });
    expect(config.scrape_configs).toEqual([
      {
        job_name: "serviceMonitor/azora/users/0",
        metrics_path: "/metrics",
        static_configs: [
          { targets: ["user-service-1.azora:8080"], labels: labels("user-service-1") },
          { targets: ["user-service-2.azora:8080"], labels: labels("user-service-2") },
        ],
      },
    ]);
  });

  it("keeps the ConfigMap's own scrape jobs first, then the runtime's, and writes one rule file per PrometheusRule", () => {
    const groups = [{ name: "azora-pods", rules: [{ alert: "PodRestarting", expr: "up == 0" }] }];
    const objects = completePrometheusConfig(
      [
        prometheusConfigMap("scrape_configs:\n  - job_name: prometheus\n"),
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PrometheusRule",
          metadata: { name: "azora-alerts", namespace: "azora" },
          spec: { groups },
        },
        podMonitor({ selector: { matchLabels: { tier: "edge" } }, podMetricsEndpoints: [{ port: "http" }] }),
      ],
      PODS,
      address,
      [{ job_name: "kube-state-metrics" }],
    );
    const data = objects[0]?.data ?? {};
    expect(Object.keys(data).sort()).toEqual(["prometheus.yml", "rules-azora-azora-alerts.yml"]);
    expect(
      parse(data["prometheus.yml"] ?? "").scrape_configs.map((j: { job_name: string }) => j.job_name),
    ).toEqual(["prometheus", "kube-state-metrics", "podMonitor/azora/services/0"]);
    expect(parse(data["rules-azora-azora-alerts.yml"] ?? "")).toEqual({ groups });
  });

  it("leaves every other object as it was, and the objects given unchanged", () => {
    const given = [
      prometheusConfigMap(),
      podMonitor({ selector: {}, podMetricsEndpoints: [{ port: "http" }] }),
    ];
    const before = structuredClone(given);
    const after = completePrometheusConfig(given, PODS, address);
    expect(given).toEqual(before);
    expect(after[1]).toBe(given[1]);
  });
});

describe("monitors Prometheus cannot use", () => {
  const problems = (objects: K8sObject[], configMap = prometheusConfigMap()) =>
    userErrorFrom(() => completePrometheusConfig([configMap, ...objects], PODS, address)).message.split("\n");

  it("are refused together, each naming the object and field", () => {
    expect(
      problems([
        podMonitor({ selector: {}, podMetricsEndpoints: [{ port: "http", relabelings: [] }] }),
        podMonitor({ selector: {}, podMetricsEndpoints: [{ port: "http", scheme: "https" }] }, "b"),
        podMonitor({ selector: {}, podMetricsEndpoints: [{ port: "http", interval: "often" }] }, "c"),
        podMonitor(
          { selector: { matchLabels: { tier: "backend" } }, podMetricsEndpoints: [{ port: "metrics" }] },
          "azora",
        ),
      ]),
    ).toEqual([
      "the monitoring objects cannot be turned into Prometheus' configuration",
      '  PodMonitor/azora/services: spec.podMetricsEndpoints.0: Unrecognized key: "relabelings"',
      "  PodMonitor/b/services: spec.podMetricsEndpoints.0.scheme: http (TLS scraping is not set up in DevStack)",
      "  PodMonitor/c/services: spec.podMetricsEndpoints.0.interval: a Prometheus duration such as 15s or 1m",
      "  PodMonitor/azora/services: spec.podMetricsEndpoints.0.port: no container port 'metrics' on the 2 pod(s) it selects (user-service-1, user-service-2)",
    ]);
  });

  it("include a ServiceMonitor port its Service lacks, and a config key the annotation names but the ConfigMap lacks", () => {
    const service: K8sObject = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "users", namespace: "azora", labels: { monitored: "yes" } },
      spec: { selector: { tier: "backend" }, ports: [{ name: "http", port: 8080 }] },
    };
    const broken = prometheusConfigMap();
    broken.data = { "config.yml": "" };
    expect(
      problems(
        [
          service,
          {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "ServiceMonitor",
            metadata: { name: "users", namespace: "azora" },
            spec: { selector: { matchLabels: { monitored: "yes" } }, endpoints: [{ port: "metrics" }] },
          },
        ],
        broken,
      ).slice(1),
    ).toEqual([
      "  ServiceMonitor/azora/users: spec.endpoints.0.port: Service users has no port named 'metrics'",
      "  ConfigMap/monitoring/prometheus: annotation devstack.azora.dev/prometheus-config names key 'prometheus.yml', which it does not have",
    ]);
  });
});
