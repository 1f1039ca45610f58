import { stringify } from "yaml";
import type { K8sObject } from "../../../manifests/render.ts";
import { explainNotReady } from "../not-ready.ts";
import { dbInitJob } from "../objects.ts";
import { type Command, kubectl } from "../tools.ts";
import type { KubeUpContext } from "./context.ts";
import { refOf } from "./images.ts";
import { commandAction, timeout } from "./run-commands.ts";

const yamlOf = (objects: K8sObject[]) => objects.map((o) => stringify(o)).join("---\n");

/** `kubectl apply` of objects through stdin; the plan names them, never their Secret values. */
export const applyObjects = (kubeconfig: string, objects: K8sObject[], shown: string): Command =>
  kubectl(kubeconfig, ["apply", "--server-side", "--field-manager=devstack", "-f", "-"], {
    text: yamlOf(objects),
    shown,
  });

/** The overlay, NetworkPolicies included, as production gets it (Secrets filled with generated values). */
export const manifests = commandAction<KubeUpContext>({
  name: "manifests",
  commands: (ctx) => [
    applyObjects(
      ctx.kubeconfig,
      ctx.objects,
      `${ctx.objects.length} objects of kind/overlays/${ctx.prepared.envFile.overlay} (${ctx.objects.filter((o) => o.kind === "Secret").length} Secrets with generated values)`,
    ),
  ],
  line: (ctx, [out]) =>
    `${ctx.objects.length} objects applied in ${ctx.namespace} (${(out ?? "").split("\n").filter((l) => l.includes("serverside-applied")).length} changed)`,
});

const clusters = (ctx: KubeUpContext) => ctx.objects.filter((o) => o.kind === "Cluster");

/** What a wait that timed out leaves unsaid: the namespace's pods and ReplicaSets in trouble. */
const whyNotReady = (ctx: KubeUpContext) => explainNotReady(ctx.kubeconfig, ctx.namespace);

/** The CloudNativePG Cluster Ready: its primary accepts writes, its replicas stream. */
export const database = commandAction<KubeUpContext>({
  name: "database",
  explain: whyNotReady,
  commands: (ctx) =>
    clusters(ctx).map((c) =>
      kubectl(ctx.kubeconfig, [
        "-n",
        ctx.namespace,
        "wait",
        `clusters.postgresql.cnpg.io/${c.metadata.name}`,
        "--for=condition=Ready",
        timeout(ctx),
      ]),
    ),
  line: (ctx) =>
    clusters(ctx)
      .map((c) => `${c.metadata.name}: ${c.spec?.instances ?? 1} instance(s) ready`)
      .join(", "),
});

const jobOf = (ctx: KubeUpContext) =>
  dbInitJob(ctx.prepared, ctx.prepared.envFile, refOf(ctx, "db-init"), ctx.namespace);

/** Migrations and seed as a Job of the db-init image (a new one each `up`: Jobs are immutable). */
export const migrationsAndSeed = commandAction<KubeUpContext>({
  name: "migrations and seed",
  explain: whyNotReady,
  commands: (ctx) => [
    kubectl(ctx.kubeconfig, ["-n", ctx.namespace, "delete", "job", "db-init", "--ignore-not-found"]),
    applyObjects(
      ctx.kubeconfig,
      [jobOf(ctx)],
      `Job/db-init (image db-init, seed ${ctx.prepared.envFile.seed.size})`,
    ),
    kubectl(ctx.kubeconfig, [
      "-n",
      ctx.namespace,
      "wait",
      "job/db-init",
      "--for=condition=complete",
      timeout(ctx),
    ]),
    kubectl(ctx.kubeconfig, ["-n", ctx.namespace, "logs", "job/db-init"]),
  ],
  line: (_ctx, outputs) => {
    const messages = (outputs.at(-1) ?? "")
      .split("\n")
      .flatMap((l) => {
        try {
          return [(JSON.parse(l) as { msg?: string }).msg ?? ""];
        } catch {
          return [];
        }
      })
      .filter(Boolean);
    return messages.join("; ") || "done";
  },
});

const workloads = (ctx: KubeUpContext) =>
  ctx.objects.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");

/** Every Deployment and StatefulSet rolled out: all replicas updated and ready. */
export const rollouts = commandAction<KubeUpContext>({
  name: "rollouts",
  explain: whyNotReady,
  commands: (ctx) =>
    workloads(ctx).map((w) =>
      kubectl(ctx.kubeconfig, [
        "-n",
        ctx.namespace,
        "rollout",
        "status",
        `${w.kind.toLowerCase()}/${w.metadata.name}`,
        timeout(ctx),
      ]),
    ),
  line: (ctx) => `${workloads(ctx).length} workload(s) ready`,
});
