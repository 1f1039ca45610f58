import { UserError } from "../errors.ts";

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Kubernetes CPU quantity ("1", "500m", 0.25) in Docker nano-CPUs. */
export function nanoCpus(quantity: string | number, where: string): number {
  const text = String(quantity);
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(text);
  if (!m) throw new UserError(`${where}: '${text}' is not a CPU quantity (e.g. 1, 0.5, 500m)`);
  return Math.round(Number(m[1]) * (m[2] ? 1e6 : 1e9));
}

/**
 * A Kubernetes quantity with a binary or decimal suffix as a plain number: memory and storage in
 * bytes ("256Mi", "1G", "1073741824"), counts as they are ("29"). `what` names it in the error.
 */
export function scaledQuantity(quantity: string | number, where: string, what = "memory"): number {
  const text = String(quantity);
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(text);
  if (!m)
    throw new UserError(
      `${where}: '${text}' is not a ${what} quantity (e.g. ${what === "count" ? "10" : "256Mi, 1Gi"})`,
    );
  const unit = m[2] ?? "";
  return Math.round(Number(m[1]) * (BINARY[unit] ?? DECIMAL[unit] ?? 1));
}
