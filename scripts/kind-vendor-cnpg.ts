// pnpm kind:vendor-cnpg
// Downloads the CloudNativePG release manifest pinned in kind/cnpg/vendor.json into
// kind/cnpg/cnpg.yaml and records its sha256 there. Needs the release host (not reachable from our
// CI machines); commit both files afterwards. `pnpm kind:check` verifies them.
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { cnpgLockFile, cnpgVendored, downloadVendored } from "../src/runtimes/kind/vendored.ts";

await runMain(async () => {
  parseFlags("kind:vendor-cnpg", process.argv.slice(2), {});
  const vendored = await downloadVendored(cnpgVendored(), cnpgLockFile());
  console.log(
    `vendored CloudNativePG ${vendored.lock.version} (sha256 ${vendored.lock.sha256}) into ${vendored.file}`,
  );
});
