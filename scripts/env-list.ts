// pnpm env:list — every DevStack environment and test run that has resources in Docker.
import { runMain } from "../src/cli/main.ts";
import { ensureEngine } from "../src/docker/cli.ts";
import { listResources } from "../src/docker/resources.ts";
import { groupResources, staleReason } from "../src/env/gc.ts";
import { readEnvState } from "../src/env/state.ts";
import { LABEL } from "../src/labels.ts";

await runMain(async () => {
  await ensureEngine();
  const groups = groupResources(await listResources(`${LABEL.managed}=true`));
  if (groups.length === 0) {
    console.log("no environments");
    return;
  }
  const rows = groups.map((g) => {
    const state = g.env ? readEnvState(g.env) : undefined;
    const count = (kind: string) => g.resources.filter((r) => r.kind === kind).length;
    return [
      g.env ?? `(${g.purpose} run)`,
      state?.status ?? "-",
      `${count("container")}/${count("network")}/${count("volume")}`,
      g.expires || "-",
      staleReason(g, state, new Date()) ? "stale: env:gc removes it" : "",
    ];
  });
  const header = ["NAME", "STATUS", "CTR/NET/VOL", "EXPIRES", ""];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  for (const row of [header, ...rows])
    console.log(
      row
        .map((c, i) => (c ?? "").padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    );
});
