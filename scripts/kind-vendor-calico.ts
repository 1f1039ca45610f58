// pnpm kind:vendor-calico
// Downloads the Calico manifest pinned in kind/calico/vendor.json into kind/calico/calico.yaml and
// records its sha256 there. Needs the release host (not reachable from our CI machines); commit both
// files afterwards. `pnpm kind:check` verifies them.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { calicoLockFile, calicoVendored, loadCalicoLock } from "../src/runtimes/kind/check.ts";
import { downloadVendored } from "../src/runtimes/kind/vendored.ts";

await runMain(async () => {
  parseFlags("kind:vendor-calico", process.argv.slice(2), {});
  const vendored = await downloadVendored(calicoVendored(loadCalicoLock()), calicoLockFile());
  console.log(
    `vendored Calico ${vendored.lock.version} (sha256 ${vendored.lock.sha256}) into ${vendored.file}`,
  );
});
