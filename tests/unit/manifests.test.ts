import { describe, expect, it } from "vitest";
import { planObjects } from "../../src/manifests/plan.ts";
import { type K8sObject, renderOverlay } from "../../src/manifests/render.ts";
import { DOCKER_SUPPORT } from "../../src/runtimes/docker/support.ts";

const byName = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);

describe("kind/ manifests rendered with kustomize", () => {
  it("dev runs one of everything; nightly has 2 replicas per service and 3 Postgres instances", async () => {
    const dev = await renderOverlay("dev");
    const nightly = await renderOverlay("nightly");
    for (const service of ["user-service", "session-service", "course-service", "enrollment-service"]) {
      expect(byName(dev, "Deployment", service)?.spec.replicas).toBe(1);
      expect(byName(nightly, "Deployment", service)?.spec.replicas).toBe(2);
      expect(byName(dev, "Service", service)?.spec.type).toBe("ClusterIP");
      expect(
        byName(dev, "Deployment", service)?.spec.template.spec.containers[0].readinessProbe.httpGet.path,
      ).toBe("/readyz");
    }
    expect(byName(dev, "Cluster", "azora-db")?.spec.instances).toBe(1);
    expect(byName(nightly, "Cluster", "azora-db")?.spec.instances).toBe(3);
    expect(dev.every((o) => o.kind === "Namespace" || o.metadata.namespace === "azora")).toBe(true);
  });

  it("never commits secret values", async () => {
    for (const overlay of ["dev", "pr", "nightly"]) {
      for (const secret of (await renderOverlay(overlay)).filter((o) => o.kind === "Secret")) {
        expect(Object.values({ ...secret.data, ...secret.stringData }).every((v) => v === "")).toBe(true);
        expect(secret.metadata.annotations?.["devstack.azora.dev/generate"]).toBe("true");
      }
    }
  });

  it("plans what runs on Docker and says why the rest is ignored", async () => {
    const plan = planObjects(await renderOverlay("dev"), "dev", DOCKER_SUPPORT);
    expect(plan.run.map((o) => o.kind)).toEqual(
      expect.arrayContaining(["Deployment", "Service", "Cluster", "Secret", "ConfigMap"]),
    );
    expect(plan.ignored.find((i) => i.object.kind === "HorizontalPodAutoscaler")?.reason).toMatch(
      /no autoscaling/,
    );
  });

  it("rejects an unknown kind and a reference to a missing ConfigMap key, naming them, before anything starts", async () => {
    const objects = await renderOverlay("dev");
    const broken = structuredClone(objects);
    const deployment = byName(broken, "Deployment", "user-service");
    deployment?.spec.template.spec.containers[0].env.push({
      name: "X",
      valueFrom: { configMapKeyRef: { name: "azora-config", key: "NOPE" } },
    });
    broken.push({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } });
    expect(() => planObjects(broken, "dev", DOCKER_SUPPORT)).toThrow(
      /Widget\/w: kind example\.com\/v1\/Widget has no meaning/,
    );
    expect(() => planObjects(broken, "dev", DOCKER_SUPPORT)).toThrow(
      /Deployment\/user-service container user-service env X: references key 'NOPE' of ConfigMap 'azora-config'/,
    );
  });
});
