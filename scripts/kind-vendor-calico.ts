// pnpm kind:vendor-calico
// Downloads the Calico manifest pinned in kind/calico/vendor.json into kind/calico/calico.yaml and
// records its sha256 there. Needs the release host (not reachable from our CI machines); commit both
// files afterwards. `pnpm kind:check` verifies them.
import { writeFileSync } from "node:fs";
import { parseFlags } from "../src/cli/flags.ts";
import { runMain } from "../src/cli/main.ts";
import { UserError } from "../src/errors.ts";
import {
  calicoLockFile,
  calicoManifestFile,
  checkCalicoManifest,
  loadCalicoLock,
  sha256,
} from "../src/runtimes/kind/check.ts";

await runMain(async () => {
  parseFlags("kind:vendor-calico", process.argv.slice(2), {});
  const lock = loadCalicoLock();
  const response = await fetch(lock.source, { signal: AbortSignal.timeout(60_000) }).catch((error: Error) => {
    throw new UserError(`cannot download ${lock.source}: ${error.message}`);
  });
  if (!response.ok) throw new UserError(`cannot download ${lock.source}: HTTP ${response.status}`);
  const text = await response.text();
  writeFileSync(calicoManifestFile(), text);
  const updated = { ...lock, sha256: sha256(text) };
  writeFileSync(calicoLockFile(), `${JSON.stringify(updated, null, 2)}\n`);
  const check = checkCalicoManifest(updated);
  if (!check.ok)
    throw new UserError(`the downloaded manifest does not check out:\n  ${check.details.join("\n  ")}`);
  console.log(`vendored Calico ${lock.version} (sha256 ${updated.sha256}) into ${calicoManifestFile()}`);
});
