import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { stringify } from "yaml";
import { z } from "zod";
import { UserError } from "../../errors.ts";
import { loadImageMap } from "../../images/image-map.ts";
import { loadClusterConfig } from "../../manifests/cluster-file.ts";
import { renderOverlay } from "../../manifests/render.ts";
import { kindDir, repoRoot } from "../../paths.ts";
import { cnpgModuleVersion } from "./cnpg-module.ts";
import { CNPG_OPERATOR, checkVendoredManifest, cnpgVendored, type VendoredManifest } from "./vendored.ts";

/**
 * The Kind runtime, verified without a cluster (none can start on our machines: node and Calico
 * images cannot be pulled): every overlay renders and validates strictly against the Kubernetes
 * version Kind runs (kubernetes-validate's schemas, offline); the cluster config disables kindnet
 * for Calico with Calico's pool as the pod subnet; the vendored Calico manifest is the pinned one.
 */

export interface Check {
  name: string;
  ok: boolean;
  details: string[];
}

const lockSchema = z.strictObject({
  comment: z.string().optional(),
  version: z.string().regex(/^v\d+\.\d+\.\d+$/, "a Calico release tag, e.g. v3.30.3"),
  source: z.url({ error: "the URL of the release's manifests/calico.yaml" }),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "the manifest's sha256 (hex)")
    .nullable(),
  poolCIDR: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, "an IPv4 CIDR"),
  kubernetesVersion: z.string().regex(/^\d+\.\d+$/, "MAJOR.MINOR, e.g. 1.33"),
});
export type CalicoLock = z.infer<typeof lockSchema>;

export const calicoLockFile = () => join(kindDir(), "calico", "vendor.json");
export const calicoManifestFile = () => join(kindDir(), "calico", "calico.yaml");

export function loadCalicoLock(): CalicoLock {
  const file = calicoLockFile();
  const parsed = lockSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success)
    throw new UserError(
      `${file}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
    );
  return parsed.data;
}

/** kind/cluster.yaml: kindnet off, Calico's pool as the pod subnet. */
export function checkClusterConfig(lock: CalicoLock): Check {
  const name = "kind/cluster.yaml: kindnet disabled, pod subnet = Calico's pool";
  try {
    const config = loadClusterConfig();
    const ok = config.networking.podSubnet === lock.poolCIDR;
    return {
      name,
      ok,
      details: ok
        ? []
        : [`networking.podSubnet is ${config.networking.podSubnet}, expected Calico's pool ${lock.poolCIDR}`],
    };
  } catch (error) {
    if (error instanceof UserError) return { name, ok: false, details: [error.message] };
    throw error;
  }
}

/** Calico's manifest as vendored: where it is, what it must hold, how to vendor it. */
export const calicoVendored = (lock: CalicoLock): VendoredManifest => ({
  what: "Calico",
  file: calicoManifestFile(),
  shown: "kind/calico/calico.yaml",
  lock,
  vendorCommand: "kind:vendor-calico",
  kinds: ["DaemonSet", "Deployment", "CustomResourceDefinition"],
  pinned: (image) => image.endsWith(`:${lock.version}`),
});

/** The vendored Calico manifest is there, is the one recorded, and pins every image to the version. */
export const checkCalicoManifest = (lock: CalicoLock): Check => checkVendoredManifest(calicoVendored(lock));

/** Every overlay, rendered, validated strictly against the Kubernetes version Kind runs. */
export async function checkOverlays(lock: CalicoLock): Promise<Check[]> {
  const validator = join(repoRoot, ".tools", "venv", "bin", "kubernetes-validate");
  if (!existsSync(validator))
    throw new UserError(
      "kubernetes-validate is not installed in .tools/venv",
      "Run `./devstack up` (it installs it from PyPI).",
    );
  const overlays = readdirSync(join(kindDir(), "overlays")).sort();
  const work = mkdtempSync(join(tmpdir(), "devstack-kind-check-"));
  try {
    return await Promise.all(
      overlays.map(async (overlay): Promise<Check> => {
        const file = join(work, `${overlay}.yaml`);
        writeFileSync(file, (await renderOverlay(overlay)).map((o) => stringify(o)).join("---\n"));
        const result = await execa(validator, ["--strict", "-k", lock.kubernetesVersion, file], {
          reject: false,
        });
        const lines = String(result.stdout).split("\n");
        const errors = lines
          .filter((l) => l.startsWith("ERROR"))
          .map((l) => l.replace(file, `kind/overlays/${overlay}`));
        const unchecked = lines
          .map((l) => /Couldn't find schema for kind (\S+) with api version (\S+)/.exec(l))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => `not validated (no schema offline): ${m[1]} ${m[2]}`);
        const passed = lines.filter((l) => l.includes(" passed for resource ")).length;
        return {
          name: `kind/overlays/${overlay}: ${passed} objects valid for Kubernetes ${lock.kubernetesVersion} (strict)`,
          ok: result.exitCode === 0 && errors.length === 0,
          details: [...errors, ...[...new Set(unchecked)]],
        };
      }),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * CloudNativePG is pinned in three places that must agree: the release manifest's lock
 * (kind/cnpg/vendor.json), the module the offline operator is compiled from (its go.mod), and the
 * release image the image map stands in for (images/images.yaml).
 */
export function checkCnpgVersions(): Check {
  const versions = {
    "kind/cnpg/vendor.json": cnpgVendored().lock.version,
    "images/cnpg-operator/build/go.mod": cnpgModuleVersion(),
    "images/images.yaml (cnpg-operator's alias)":
      /:v?([\w.-]+)$/.exec(loadImageMap().images[CNPG_OPERATOR.image]?.aliases?.[0] ?? "")?.[1] ?? "none",
  };
  const distinct = new Set(Object.values(versions));
  return {
    name: `CloudNativePG version: ${[...distinct].join(" / ")}`,
    ok: distinct.size === 1,
    details:
      distinct.size === 1
        ? []
        : Object.entries(versions).map(
            ([where, version]) => `${where}: ${version}; all three must name one version`,
          ),
  };
}

export async function checkKind(): Promise<Check[]> {
  const lock = loadCalicoLock();
  return [
    ...(await checkOverlays(lock)),
    checkClusterConfig(lock),
    checkCalicoManifest(lock),
    checkVendoredManifest(cnpgVendored()),
    checkCnpgVersions(),
  ];
}
