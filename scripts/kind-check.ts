// pnpm kind:check
// Verifies the Kind runtime without a cluster: every overlay valid for the Kubernetes version Kind
// runs, the cluster config ready for Calico, the vendored Calico and CloudNativePG manifests pinned.
// Exits 1 if any
// check fails.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { checkKind } from "../src/runtimes/kind/check.ts";

await runMain(async () => {
  parseFlags("kind:check", process.argv.slice(2), {});
  const checks = await checkKind();
  for (const check of checks) {
    console.log(`${check.ok ? "✔" : "✘"} ${check.name}`);
    for (const detail of check.details) console.log(`    ${detail}`);
  }
  const failed = checks.filter((c) => !c.ok).length;
  console.log(failed === 0 ? "the Kind runtime's manifests are ready" : `${failed} check(s) failed`);
  if (failed > 0) process.exitCode = 1;
});
