import { describe, expect, it } from "vitest";
import { docker } from "../../src/docker/cli.ts";
import { runScript } from "../support/cli.ts";
import { testEnvironment } from "../support/environment.ts";

// The monitoring component live on Docker: Prometheus scrapes every service pod the PodMonitor
// selects and the database's exporter, across the namespaces' NetworkPolicies, with the
// operator's labels; the supervisor's pod-state series; the platform's alert rules loaded.

const { name, env } = testEnvironment("mon");

interface Target {
  labels: Record<string, string>;
  health: string;
  lastError: string;
}

async function api<T>(prometheus: string, path: string): Promise<T> {
  const response = await fetch(`${prometheus}/api/v1/${path}`);
  return ((await response.json()) as { data: T }).data;
}

describe("dev:up --with monitoring", () => {
  it("runs Prometheus scraping each service pod as its PodMonitor says, with the alert rules loaded", async () => {
    const up = await runScript("dev-up", ["--env", "pr", "--with", "monitoring", "--name", name], { env });
    expect(up.exitCode, up.all).toBe(0);
    expect(up.stdout).toContain("(env pr with monitoring) is up");
    const url = (workload: string) =>
      new RegExp(`${workload}\\s+(http://127\\.0\\.0\\.1:\\d+)`).exec(up.stdout)?.[1] ?? "";
    const prometheus = url("prometheus");
    expect(prometheus).not.toBe("");

    // Every service pod, reached by its name through the policies, labelled as the operator would.
    const serviceTargets = async () =>
      (await api<{ activeTargets: Target[] }>(prometheus, "targets")).activeTargets
        .filter((t) => t.labels.namespace === "azora")
        .map((t) => `${t.labels.job} ${t.labels.pod} ${t.labels.instance} ${t.labels.endpoint} ${t.health}`)
        .sort();
    await expect.poll(serviceTargets, { timeout: 30_000, interval: 1_000 }).toEqual([
      // The database's, from the PodMonitor CloudNativePG makes for enablePodMonitor.
      "azora/azora-db azora-db-1 azora-db-1:9187 metrics up",
      "course-service course-service-1 course-service-1:8080 http up",
      "enrollment-service enrollment-service-1 enrollment-service-1:8080 http up",
      "session-service session-service-1 session-service-1:8080 http up",
      "user-service user-service-1 user-service-1:8080 http up",
    ]);

    // A request to a service shows up in its series within a scrape or two.
    expect((await fetch(`${url("course-service")}/courses?limit=1`)).status).toBe(200);
    const requests = async () => {
      const query = encodeURIComponent(
        'sum(http_request_duration_seconds_count{job="course-service",route="/courses"})',
      );
      const result = await api<{ result: { value: [number, string] }[] }>(prometheus, `query?query=${query}`);
      return Number(result.result[0]?.value[1] ?? 0);
    };
    await expect.poll(requests, { timeout: 30_000, interval: 1_000 }).toBeGreaterThanOrEqual(1);

    // The PrometheusRule, as a rule file Prometheus evaluates.
    const rules = await api<{ groups: { name: string; rules: { name: string; health: string }[] }[] }>(
      prometheus,
      "rules",
    );
    expect(
      rules.groups.map((g) => `${g.name}: ${g.rules.map((r) => `${r.name} ${r.health}`).join(", ")}`).sort(),
    ).toEqual([
      "azora-pods: PodRestarting ok",
      "azora-postgres: PostgresReplicationLagHigh ok, PostgresNoPrimary ok",
      "azora-services: ServiceErrorRatioHigh ok, ServiceLatencyP95High ok",
    ]);

    // The pod-state series the supervisor serves as kube-state-metrics would: readiness from
    // HTTP probes (the services) and exec probes (Redis), then a killed container's restart and
    // why it ended.
    const series = async (query: string) => {
      const result = await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
        prometheus,
        `query?query=${encodeURIComponent(query)}`,
      );
      return result.result
        .map((r) => [r.metric.pod, r.metric.reason, r.value[1]].filter(Boolean).join(" "))
        .sort();
    };
    await expect
      .poll(
        () => series('kube_pod_container_status_ready{namespace="azora",pod=~"user-service-1|redis-0"}'),
        {
          timeout: 30_000,
          interval: 1_000,
        },
      )
      .toEqual(["redis-0 1", "user-service-1 1"]);
    // The database's replication state under CloudNativePG's names: one instance, the primary.
    expect(await series('cnpg_pg_replication_in_recovery{namespace="azora"}')).toEqual(["azora-db-1 0"]);
    expect(await series('cnpg_pg_replication_lag{namespace="azora"}')).toEqual(["azora-db-1 0"]);

    await docker(["kill", `azora-${name}-user-service-1`]);
    await expect
      .poll(
        () => series('kube_pod_container_status_restarts_total{namespace="azora",pod="user-service-1"}'),
        {
          timeout: 30_000,
          interval: 1_000,
        },
      )
      .toEqual(["user-service-1 1"]);
    expect(
      await series(
        'kube_pod_container_status_last_terminated_reason{namespace="azora",pod="user-service-1"}',
      ),
    ).toEqual(["user-service-1 Error 1"]);

    // Both namespaces' policies hold with Prometheus among the pods: it reaches the metrics ports
    // and nothing else, and nothing reaches it but on its web port.
    const policy = await runScript("test-policy", ["--name", name], { env });
    expect(policy.exitCode, policy.all).toBe(0);
    expect(policy.stdout).toMatch(/10 pods, \d+ probes .* all as the policies say/);
  });
});
