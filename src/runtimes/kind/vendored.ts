import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { z } from "zod";
import { loadYamlFile } from "../../config/yaml-file.ts";
import { UserError } from "../../errors.ts";
import { kindDir } from "../../paths.ts";
import type { Check } from "./check.ts";

export const sha256 = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

/** A manifest vendored into kind/ with its version, source and sha256 recorded beside it. */
export interface VendoredManifest {
  what: string;
  file: string;
  /** The file as messages name it, e.g. kind/calico/calico.yaml. */
  shown: string;
  lock: { version: string; source: string; sha256: string | null };
  /** The pnpm command that vendors it. */
  vendorCommand: string;
  /** Kinds of object it must hold (a sign it is the right kind of file). */
  kinds: string[];
  /** Whether an image of it is pinned to the recorded version. */
  pinned: (image: string) => boolean;
}

/** The manifest is there, is the one recorded, holds the kinds expected and pins every image. */
export function checkVendoredManifest(v: VendoredManifest): Check {
  const name = `${v.shown}: ${v.what} ${v.lock.version}, vendored and pinned`;
  const { file, lock } = v;
  if (!existsSync(file) || lock.sha256 === null)
    return {
      name,
      ok: false,
      details: [
        `not vendored: ${file} is missing or vendor.json records no sha256. Run \`pnpm ${v.vendorCommand}\` on a machine that reaches ${new URL(lock.source).host}.`,
      ],
    };
  const text = readFileSync(file, "utf8");
  const details: string[] = [];
  if (sha256(text) !== lock.sha256)
    details.push(`${file}: sha256 ${sha256(text)} differs from vendor.json's ${lock.sha256}`);
  const images = [...text.matchAll(/^\s*image:\s*(\S+)/gm)].map((m) => m[1] as string);
  if (images.length === 0) details.push(`${file}: no container images found`);
  for (const image of new Set(images))
    if (!v.pinned(image)) details.push(`${file}: image ${image} is not pinned to ${lock.version}`);
  const kinds = new Set(parseAllDocuments(text).map((d) => (d.toJS() as { kind?: string } | null)?.kind));
  for (const kind of v.kinds)
    if (!kinds.has(kind)) details.push(`${file}: no ${kind} (not a ${v.what} manifest?)`);
  return { name, ok: details.length === 0, details };
}

/**
 * Downloads the manifest from its recorded source into kind/, records its sha256 in the lock file
 * and checks it. Needs the release host; commit both files afterwards.
 */
export async function downloadVendored(v: VendoredManifest, lockFile: string): Promise<VendoredManifest> {
  const response = await fetch(v.lock.source, { signal: AbortSignal.timeout(60_000) }).catch(
    (error: Error) => {
      throw new UserError(`cannot download ${v.lock.source}: ${error.message}`);
    },
  );
  if (!response.ok) throw new UserError(`cannot download ${v.lock.source}: HTTP ${response.status}`);
  const text = await response.text();
  writeFileSync(v.file, text);
  const lock = { ...JSON.parse(readFileSync(lockFile, "utf8")), sha256: sha256(text) };
  writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
  const updated = { ...v, lock: { ...v.lock, sha256: lock.sha256 } };
  const check = checkVendoredManifest(updated);
  if (!check.ok)
    throw new UserError(`the downloaded manifest does not check out:\n  ${check.details.join("\n  ")}`);
  return updated;
}

/** The vendored manifest's path, once it checks out; else a UserError saying how to vendor it. */
export function requireVendored(v: VendoredManifest): string {
  const check = checkVendoredManifest(v);
  if (!check.ok) throw new UserError(`${check.name}: ${check.details.join("; ")}`);
  return v.file;
}

const cnpgLockSchema = z.strictObject({
  comment: z.string().optional(),
  version: z.string().regex(/^\d+\.\d+\.\d+$/, "a CloudNativePG release, e.g. 1.27.1"),
  source: z.url({ error: "the URL of the release's cnpg-VERSION.yaml" }),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "the manifest's sha256 (hex)")
    .nullable(),
});

export const cnpgLockFile = () => join(kindDir(), "cnpg", "vendor.json");

/** The CloudNativePG operator's release manifest (CRDs, RBAC, the operator Deployment in cnpg-system). */
export function cnpgVendored(): VendoredManifest {
  const lock = loadYamlFile(cnpgLockFile(), cnpgLockSchema);
  return {
    what: "CloudNativePG",
    file: join(kindDir(), "cnpg", "cnpg.yaml"),
    shown: "kind/cnpg/cnpg.yaml",
    lock,
    vendorCommand: "kind:vendor-cnpg",
    kinds: ["Deployment", "CustomResourceDefinition"],
    pinned: (image) => image.endsWith(`:${lock.version}`),
  };
}

/** Where the operator runs once its manifest is applied. */
export const CNPG_OPERATOR = {
  namespace: "cnpg-system",
  deployment: "cnpg-controller-manager",
  /** The image map's entry for the operator. */
  image: "cnpg-operator",
} as const;
