import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { execa } from "execa";
import { parseAllDocuments, stringify } from "yaml";
import { UserError } from "../errors.ts";
import { kindDir } from "../paths.ts";

/** A rendered Kubernetes object, as kustomize printed it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field by their consumers
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/** What renderOverlay renders, as error messages name it: `kind/overlays/dev with monitoring`. */
export const renderedName = (overlay: string, components: readonly string[] = []) =>
  `kind/overlays/${overlay}${components.length > 0 ? ` with ${components.join(", ")}` : ""}`;

/**
 * Renders kind/overlays/OVERLAY with kustomize (`kubectl kustomize`), never a home-made renderer;
 * components (kind/components/NAME) are added, and `namespace` set (kustomize moves every
 * namespaced object there and renames the Namespace), by a kustomization made for this render.
 */
export async function renderOverlay(
  overlay: string,
  components: readonly string[] = [],
  { namespace }: { namespace?: string } = {},
): Promise<K8sObject[]> {
  const dir = join(kindDir(), "overlays", overlay);
  if (components.length === 0 && !namespace)
    return parseRendered(await kustomize(dir), renderedName(overlay));
  // kustomize reads only relative paths, and a temporary folder keeps kind/ as it was.
  const top = mkdtempSync(join(tmpdir(), "devstack-render-"));
  try {
    const from = (path: string) => relative(top, path);
    const kustomization = {
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources: [from(dir)],
      ...(components.length > 0
        ? { components: components.map((c) => from(join(kindDir(), "components", c))) }
        : {}),
      ...(namespace ? { namespace } : {}),
    };
    writeFileSync(join(top, "kustomization.yaml"), stringify(kustomization));
    return parseRendered(await kustomize(top), renderedName(overlay, components));
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
}

async function kustomize(dir: string) {
  const result = await execa("kubectl", ["kustomize", dir], { reject: false });
  if ((result as { code?: string }).code === "ENOENT")
    throw new UserError(
      "kubectl is not installed; it renders the kind/ manifests (kubectl kustomize)",
      "Install kubectl (any version with kustomize v5).",
    );
  return result;
}

function parseRendered(result: Awaited<ReturnType<typeof kustomize>>, what: string): K8sObject[] {
  if (result.failed) throw new UserError(`${what}: kustomize failed`, String(result.stderr).trim());
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(String(result.stdout))) {
    const value = doc.toJS() as K8sObject | null;
    if (value) objects.push(value);
  }
  return objects;
}
