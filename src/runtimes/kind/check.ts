import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { parseAllDocuments, stringify } from "yaml";
import { z } from "zod";
import { loadYamlFile } from "../../config/yaml-file.ts";
import { UserError } from "../../errors.ts";
import { renderOverlay } from "../../manifests/render.ts";
import { kindDir, repoRoot } from "../../paths.ts";

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

export const sha256 = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

const clusterConfigSchema = z.looseObject({
  kind: z.literal("Cluster", { error: "expected Cluster" }),
  apiVersion: z.literal("kind.x-k8s.io/v1alpha4", { error: "expected kind.x-k8s.io/v1alpha4" }),
  networking: z.looseObject({
    disableDefaultCNI: z.literal(true, { error: "must be true: kindnet does not enforce NetworkPolicy" }),
    podSubnet: z.string({ error: "required: Calico's pool CIDR" }),
  }),
});

/** kind/cluster.yaml: kindnet off, Calico's pool as the pod subnet. */
export function checkClusterConfig(lock: CalicoLock): Check {
  const name = "kind/cluster.yaml: kindnet disabled, pod subnet = Calico's pool";
  try {
    const config = loadYamlFile(join(kindDir(), "cluster.yaml"), clusterConfigSchema);
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

/** The vendored manifest is there, is the one recorded, and pins every image to the version. */
export function checkCalicoManifest(lock: CalicoLock): Check {
  const name = `kind/calico/calico.yaml: Calico ${lock.version}, vendored and pinned`;
  const file = calicoManifestFile();
  if (!existsSync(file) || lock.sha256 === null)
    return {
      name,
      ok: false,
      details: [
        `not vendored: ${file} is missing or vendor.json records no sha256. Run \`pnpm kind:vendor-calico\` on a machine that reaches ${new URL(lock.source).host}.`,
      ],
    };
  const text = readFileSync(file, "utf8");
  const details: string[] = [];
  if (sha256(text) !== lock.sha256)
    details.push(`${file}: sha256 ${sha256(text)} differs from vendor.json's ${lock.sha256}`);
  const images = [...text.matchAll(/^\s*image:\s*(\S+)/gm)].map((m) => m[1] as string);
  if (images.length === 0) details.push(`${file}: no container images found`);
  for (const image of new Set(images))
    if (!image.endsWith(`:${lock.version}`))
      details.push(`${file}: image ${image} is not pinned to ${lock.version}`);
  const kinds = new Set(parseAllDocuments(text).map((d) => (d.toJS() as { kind?: string } | null)?.kind));
  for (const kind of ["DaemonSet", "Deployment", "CustomResourceDefinition"])
    if (!kinds.has(kind)) details.push(`${file}: no ${kind} (not a Calico manifest install?)`);
  return { name, ok: details.length === 0, details };
}

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

export async function checkKind(): Promise<Check[]> {
  const lock = loadCalicoLock();
  return [...(await checkOverlays(lock)), checkClusterConfig(lock), checkCalicoManifest(lock)];
}
