// pnpm manifests:plan [--env dev]
// Renders the env's overlay with kustomize, checks it, and prints what the Docker runtime would
// run and what it ignores (with why). Nothing is started.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { loadEnvFile } from "../src/config/env-file.ts";
import { planObjects } from "../src/manifests/plan.ts";
import { renderOverlay } from "../src/manifests/render.ts";

await runMain(async () => {
  const { values } = parseFlags("manifests:plan", process.argv.slice(2), {
    env: { type: "string", default: "dev" },
  });
  const env = loadEnvFile(values.env ?? "dev");
  const plan = planObjects(await renderOverlay(env.overlay), `kind/overlays/${env.overlay}`);
  console.log(`env ${env.name}: overlay ${env.overlay}, ttl ${env.ttl / 3_600_000}h, seed ${env.seed.size}`);
  for (const o of plan.run) {
    const spec = o.spec ?? {};
    const detail =
      o.kind === "Deployment" || o.kind === "StatefulSet"
        ? `replicas ${spec.replicas ?? 1}, image ${spec.template?.spec?.containers?.[0]?.image}`
        : o.kind === "Cluster"
          ? `instances ${spec.instances}, image ${spec.imageName}`
          : o.kind === "Service"
            ? `${spec.type ?? "ClusterIP"} ${(spec.ports ?? []).map((p: { port: number }) => p.port).join(",")}`
            : `${Object.keys({ ...o.data, ...(o as { stringData?: object }).stringData }).length} keys`;
    console.log(`  run     ${`${o.kind}/${o.metadata.name}`.padEnd(42)} ${detail}`);
  }
  for (const { object, reason } of plan.ignored)
    console.log(`  ignore  ${`${object.kind}/${object.metadata.name}`.padEnd(42)} ${reason}`);
});
