import { z } from "zod";
import type { Labels } from "./model.ts";

/**
 * Label selectors (metav1.LabelSelector) as Kubernetes evaluates them: `matchLabels` and every
 * `matchExpressions` requirement are ANDed; an empty selector `{}` matches everything.
 *
 * - In: the key is present and its value is one of `values` (non-empty);
 * - NotIn: the key is absent, or its value is not one of `values` (non-empty);
 * - Exists: the key is present (no `values`);
 * - DoesNotExist: the key is absent (no `values`).
 */

export const OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;
export type Operator = (typeof OPERATORS)[number];

export interface LabelSelector {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: readonly { key: string; operator: string; values?: readonly string[] | null }[] | null;
}

// Label syntax, as metav1 validation checks it (IsQualifiedName / IsValidLabelValue).
const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    return `'${key}' is not a valid label key: the prefix must be a DNS subdomain (e.g. example.com)`;
  if (name.length === 0 || name.length > 63 || !NAME.test(name))
    return `'${key}' is not a valid label key: the name part must be 1-63 characters, alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value === "") return undefined;
  if (value.length > 63 || !NAME.test(value))
    return `'${value}' is not a valid label value: at most 63 characters, alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
  return undefined;
}

const labelKey = z.string().superRefine((key, ctx) => {
  const problem = labelKeyProblem(key);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
const labelValue = z
  .string({ error: "a label value (a string; quote numbers and booleans)" })
  .superRefine((value, ctx) => {
    const problem = labelValueProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** A map of labels, checked like the API server checks them. */
export const labelsSchema = z.record(z.string(), labelValue).superRefine((labels, ctx) => {
  for (const key of Object.keys(labels)) {
    const problem = labelKeyProblem(key);
    if (problem) ctx.addIssue({ code: "custom", path: [key], message: problem });
  }
});

const requirementSchema = z
  .strictObject({
    key: labelKey,
    operator: z.string(),
    values: z.array(labelValue).nullish(),
  })
  .superRefine((r, ctx) => {
    const count = r.values?.length ?? 0;
    switch (r.operator) {
      case "In":
      case "NotIn":
        if (count === 0)
          ctx.addIssue({
            code: "custom",
            path: ["values"],
            message: `must be non-empty when operator is ${r.operator}`,
          });
        break;
      case "Exists":
      case "DoesNotExist":
        if (count > 0)
          ctx.addIssue({
            code: "custom",
            path: ["values"],
            message: `must be empty when operator is ${r.operator}`,
          });
        break;
      default:
        ctx.addIssue({
          code: "custom",
          path: ["operator"],
          message: `'${r.operator}' is not a valid operator; expected one of: ${OPERATORS.join(", ")}`,
        });
    }
  });

export const labelSelectorSchema = z.strictObject({
  matchLabels: labelsSchema.nullish(),
  matchExpressions: z.array(requirementSchema).nullish(),
});

export interface CompiledSelector {
  matches(labels: Labels): boolean;
}

const EVERYTHING: CompiledSelector = { matches: () => true };

/** Turns a (valid) selector into a predicate. */
export function compileSelector(selector: LabelSelector): CompiledSelector {
  const tests: ((labels: Labels) => boolean)[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    tests.push((labels) => Object.hasOwn(labels, key) && labels[key] === value);
  }
  for (const { key, operator, values } of selector.matchExpressions ?? []) {
    const set = new Set(values ?? []);
    const has = (labels: Labels) => Object.hasOwn(labels, key);
    switch (operator as Operator) {
      case "In":
        tests.push((labels) => has(labels) && set.has(labels[key] as string));
        break;
      case "NotIn":
        tests.push((labels) => !has(labels) || !set.has(labels[key] as string));
        break;
      case "Exists":
        tests.push(has);
        break;
      case "DoesNotExist":
        tests.push((labels) => !has(labels));
        break;
      default:
        throw new Error(`unvalidated selector operator '${operator}'`);
    }
  }
  if (tests.length === 0) return EVERYTHING;
  return { matches: (labels) => tests.every((test) => test(labels)) };
}

/**
 * Whether a Service's `spec.selector` (plain labels, not a LabelSelector) picks a pod with
 * `labels`: a Service without a selector picks none (its Endpoints are managed by hand).
 */
export const serviceSelects = (selector: Record<string, string> | undefined, labels: Labels) =>
  !!selector &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Whether `selector` matches `labels` (a convenience over compileSelector for one-off checks). */
export const selectorMatches = (selector: LabelSelector, labels: Labels) =>
  compileSelector(selector).matches(labels);
