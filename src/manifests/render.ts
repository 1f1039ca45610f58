import { join } from "node:path";
import { execa } from "execa";
import { parseAllDocuments } from "yaml";
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

/** Renders kind/overlays/OVERLAY with kustomize (`kubectl kustomize`), never a home-made renderer. */
export async function renderOverlay(overlay: string): Promise<K8sObject[]> {
  const dir = join(kindDir(), "overlays", overlay);
  const result = await execa("kubectl", ["kustomize", dir], { reject: false });
  if (result.failed) {
    if ((result as { code?: string }).code === "ENOENT") {
      throw new UserError(
        "kubectl is not installed; it renders the kind/ manifests (kubectl kustomize)",
        "Install kubectl (any version with kustomize v5).",
      );
    }
    throw new UserError(`kind/overlays/${overlay}: kustomize failed`, String(result.stderr).trim());
  }
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(String(result.stdout))) {
    const value = doc.toJS() as K8sObject | null;
    if (value) objects.push(value);
  }
  return objects;
}
