import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { parseAllDocuments } from "yaml";
import { UserError } from "../../errors.ts";
import type { K8sObject } from "../../manifests/render.ts";
import { repoRoot } from "../../paths.ts";
import { runCommand } from "./tools.ts";

/** The Go module the offline operator image is compiled from (images/cnpg-operator/build). */
const BUILD_MODULE = join(repoRoot, "images", "cnpg-operator", "build");
const CNPG_MODULE = "github.com/cloudnative-pg/cloudnative-pg";

/** The CloudNativePG version the offline operator image is built from, as its go.mod requires it. */
export function cnpgModuleVersion(): string {
  const goMod = readFileSync(join(BUILD_MODULE, "go.mod"), "utf8");
  const version = new RegExp(`^\\s*${CNPG_MODULE.replaceAll(".", "\\.")} v(\\S+)`, "m").exec(goMod)?.[1];
  if (!version) throw new Error(`${BUILD_MODULE}/go.mod does not require ${CNPG_MODULE}`);
  return version;
}

/**
 * The operator's objects made from the module's own `config/default` (CRDs, RBAC, webhook, the
 * Deployment in cnpg-system), which is what CloudNativePG's release manifest is built from, with
 * the operator image set to `image` as the release sets it (the Deployment's image and
 * OPERATOR_IMAGE_NAME, which instance Pods run as their bootstrap-controller) and pulled only if
 * absent. For machines where the release manifest cannot be downloaded; the module comes from the
 * Go module cache (checked against images/cnpg-operator/build/go.sum), as the image's build has it.
 */
export async function cnpgObjectsFromModule(image: string): Promise<K8sObject[]> {
  const download = await execa("go", ["mod", "download", "-json", CNPG_MODULE], {
    cwd: BUILD_MODULE,
    env: { GOTOOLCHAIN: "local", GOFLAGS: "-mod=readonly" },
    reject: false,
  });
  const dir = download.exitCode === 0 ? (JSON.parse(download.stdout) as { Dir?: string }).Dir : undefined;
  if (!dir)
    throw new UserError(
      `cannot read ${CNPG_MODULE} v${cnpgModuleVersion()} from the Go module cache or proxy: ${(download.stderr || download.stdout || String(download.shortMessage)).slice(-500)}`,
      "Run `./devstack images:build cnpg-operator` (it downloads the module), or vendor the release manifest with `pnpm kind:vendor-cnpg`.",
    );
  const rendered = await runCommand({ tool: "kubectl", args: ["kustomize", join(dir, "config", "default")] });
  const objects = parseAllDocuments(rendered).map((d) => d.toJS() as K8sObject);
  const deployment = objects.find((o) => o.kind === "Deployment");
  const manager = deployment?.spec?.template?.spec?.containers?.[0] as
    | { image: string; imagePullPolicy?: string; env?: { name: string; value?: string }[] }
    | undefined;
  const imageName = manager?.env?.find((e) => e.name === "OPERATOR_IMAGE_NAME");
  if (!manager || !imageName)
    throw new Error(`${dir}/config/default: no operator Deployment with OPERATOR_IMAGE_NAME`);
  manager.image = image;
  manager.imagePullPolicy = "IfNotPresent";
  imageName.value = image;
  return objects;
}
