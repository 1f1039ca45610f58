import type { Reachability } from "./engine.ts";
import { type PortQuery, portLabel } from "./model.ts";

/**
 * The matrix as text (a table for people) and as JSON (for programs).
 *
 * JSON format (`pnpm netpol:matrix --json`):
 *
 *   {
 *     "pods": ["x/a", "x/b", ...],            // every pod as "namespace/name", sorted by namespace then name
 *     "entries": [                             // every ordered pair, a pod to itself included,
 *       { "from": "x/a", "to": "x/b",          // for every (protocol, port) asked about the destination
 *         "protocol": "TCP", "port": 80,
 *         "allowed": true }, ...
 *     ]
 *   }
 *
 * Entries come in `pods` order: by source, then destination, then the destination's asked ports.
 * The ports asked are `--port` (with `--protocol`, default TCP) for every destination, or else every
 * port the destination declares (only those of `--protocol` when given). `allowed` is about opening a
 * connection: the source's egress AND the destination's ingress allow it; replies are always allowed.
 */

export interface MatrixJson {
  pods: string[];
  entries: { from: string; to: string; protocol: string; port: number; allowed: boolean }[];
}

export function toJson(matrix: Reachability): MatrixJson {
  return { pods: matrix.pods.map((p) => p.id), entries: [...matrix.entries()] };
}

const table = (rows: string[][]): string => {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
};

/**
 * Rows are sources, columns destinations. With `explicit` ports (the same for every destination)
 * one grid per port, "." allowed and "X" denied (the upstream e2e truth-table marks); otherwise one
 * grid whose cells list the allowed ports, "-" for none.
 */
export function renderText(matrix: Reachability, explicit?: readonly PortQuery[]): string {
  const ids = matrix.pods.map((p) => p.id);
  const out: string[] = [];
  let allowed = 0;
  for (const e of matrix.entries()) if (e.allowed) allowed++;
  out.push(
    `${ids.length} pod(s), ${matrix.policyCount} polic${matrix.policyCount === 1 ? "y" : "ies"}; ${allowed} of ${matrix.size} (from, to, port) allowed. Rows: from, columns: to.`,
  );
  if (ids.length === 0) return out.join("\n");

  if (explicit && explicit.length > 0) {
    for (const query of explicit) {
      out.push("", `${portLabel(query)}: "." allowed, "X" denied`);
      const rows = [["", ...ids]];
      for (const from of ids)
        rows.push([from, ...ids.map((to) => (matrix.allowed(from, to, query) ? "." : "X"))]);
      out.push(table(rows));
    }
  } else {
    out.push("", `allowed ports ("-": none of the destination's ports is allowed, or it declares none)`);
    const rows = [["", ...ids]];
    for (const from of ids)
      rows.push([from, ...ids.map((to) => matrix.allowedPorts(from, to).map(portLabel).join(",") || "-")]);
    out.push(table(rows));
    out.push("", "ports asked per destination:");
    matrix.pods.forEach((pod, d) => {
      const asked = matrix.queries[d] ?? [];
      const names = new Map(pod.ports.map((p) => [portLabel(p), p.name]));
      const list = asked.map((q) => {
        const name = names.get(portLabel(q));
        return name ? `${portLabel(q)} (${name})` : portLabel(q);
      });
      out.push(`  ${pod.id}: ${list.join(", ") || "(none)"}`);
    });
  }
  const isolated = (which: readonly boolean[]) => ids.filter((_, i) => which[i]).join(", ") || "(none)";
  out.push(
    "",
    `isolated for ingress: ${isolated(matrix.isolation.ingress)}`,
    `isolated for egress: ${isolated(matrix.isolation.egress)}`,
  );
  return out.join("\n");
}
