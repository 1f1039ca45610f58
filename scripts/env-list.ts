// pnpm env:list — every DevStack environment and test run that has resources in Docker.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { printTable } from "../src/cli/table.ts";
import { ensureEngine } from "../src/docker/cli.ts";
import { listResources } from "../src/docker/resources.ts";
import { groupResources, staleReason } from "../src/env/gc.ts";
import { readEnvState } from "../src/env/state.ts";
import { LABEL } from "../src/labels.ts";

await runMain(async () => {
  parseFlags("env:list", process.argv.slice(2), {});
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
  printTable(["NAME", "STATUS", "CTR/NET/VOL", "EXPIRES", ""], rows);
});
