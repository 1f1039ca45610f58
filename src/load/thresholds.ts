import type { MetricSummary } from "../../load/summary.ts";

const EXPRESSION =
  /^\s*(avg|min|max|med|count|rate|p\(\d+(?:\.\d+)?\))\s*(<=|<|>=|>|===|==|!=)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** A threshold's parts: the statistic it judges (`p(95)`, `rate`), the operator and the limit. */
export function parseThreshold(
  metric: string,
  expression: string,
): { stat: string; op: string; limit: number } {
  const parsed = EXPRESSION.exec(expression);
  if (!parsed)
    throw new Error(`threshold '${expression}' on ${metric}: expected STAT OP NUMBER, e.g. p(95)<200`);
  const [, stat = "", op = "", limit] = parsed;
  return { stat, op, limit: Number(limit) };
}

/** Whether `expression` (k6's threshold syntax, e.g. `p(95)<200`, `rate<0.01`) holds for the metric's values. */
export function holds(metric: string, expression: string, values: Record<string, number>): boolean {
  const { stat, op, limit: n } = parseThreshold(metric, expression);
  const value = values[stat];
  if (value === undefined)
    throw new Error(
      `threshold '${expression}' on ${metric}: the metric has no '${stat}' (it has ${Object.keys(values).join(", ")})`,
    );
  switch (op) {
    case "<":
      return value < n;
    case "<=":
      return value <= n;
    case ">":
      return value > n;
    case ">=":
      return value >= n;
    case "!=":
      return value !== n;
    default:
      return value === n;
  }
}

/** The metrics with each threshold's verdict recorded as k6 records it (`thresholds[expression].ok`). */
export function applyThresholds(
  metrics: Record<string, MetricSummary>,
  thresholds: Readonly<Record<string, readonly string[]>>,
): Record<string, MetricSummary> {
  const judged = { ...metrics };
  for (const [name, expressions] of Object.entries(thresholds)) {
    const metric = judged[name];
    if (!metric)
      throw new Error(`threshold on ${name}: no such metric (there are ${Object.keys(metrics).join(", ")})`);
    judged[name] = {
      ...metric,
      thresholds: Object.fromEntries(expressions.map((e) => [e, { ok: holds(name, e, metric.values) }])),
    };
  }
  return judged;
}
