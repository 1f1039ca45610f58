import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/netpol/policy.ts";
import {
  compileSelector,
  type LabelSelector,
  labelKeyProblem,
  labelValueProblem,
  selectorMatches,
  serviceSelects,
} from "../../src/netpol/selector.ts";

const web = { app: "web", tier: "front" };
const db = { app: "db" };
const bare = {};

describe("label selectors", () => {
  it("an empty selector {} matches everything, labelled or not", () => {
    for (const empty of [
      {},
      { matchLabels: {} },
      { matchExpressions: [] },
      { matchLabels: {}, matchExpressions: [] },
    ]) {
      expect([web, db, bare].map((l) => selectorMatches(empty, l))).toEqual([true, true, true]);
    }
  });

  it("matchLabels needs every pair, with the exact value", () => {
    const s = { matchLabels: { app: "web", tier: "front" } };
    expect(selectorMatches(s, web)).toBe(true);
    expect(selectorMatches(s, { app: "web" })).toBe(false);
    expect(selectorMatches(s, { app: "web", tier: "back" })).toBe(false);
    expect(selectorMatches(s, bare)).toBe(false);
    // An empty value is a value: it needs the key present with "".
    expect(selectorMatches({ matchLabels: { canary: "" } }, { canary: "" })).toBe(true);
    expect(selectorMatches({ matchLabels: { canary: "" } }, bare)).toBe(false);
  });

  const expr = (operator: string, values?: string[]): LabelSelector => ({
    matchExpressions: [values ? { key: "app", operator, values } : { key: "app", operator }],
  });

  it("In: the key is present with one of the values", () => {
    expect(selectorMatches(expr("In", ["web", "api"]), web)).toBe(true);
    expect(selectorMatches(expr("In", ["web", "api"]), db)).toBe(false);
    expect(selectorMatches(expr("In", ["web", "api"]), bare)).toBe(false);
  });

  it("NotIn: the key is absent, or its value is none of the values", () => {
    expect(selectorMatches(expr("NotIn", ["web"]), web)).toBe(false);
    expect(selectorMatches(expr("NotIn", ["web"]), db)).toBe(true);
    expect(selectorMatches(expr("NotIn", ["web"]), bare)).toBe(true);
  });

  it("Exists and DoesNotExist look at the key only", () => {
    expect([web, db, bare].map((l) => selectorMatches(expr("Exists"), l))).toEqual([true, true, false]);
    expect([web, db, bare].map((l) => selectorMatches(expr("DoesNotExist"), l))).toEqual([
      false,
      false,
      true,
    ]);
    expect(selectorMatches(expr("Exists"), { app: "" })).toBe(true);
  });

  it("matchLabels and every expression are ANDed", () => {
    const s: LabelSelector = {
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "tier", operator: "In", values: ["front"] },
        { key: "canary", operator: "DoesNotExist" },
      ],
    };
    expect(selectorMatches(s, web)).toBe(true);
    expect(selectorMatches(s, { ...web, canary: "yes" })).toBe(false);
    expect(selectorMatches(s, { app: "web", tier: "back" })).toBe(false);
    expect(selectorMatches(s, { tier: "front" })).toBe(false);
  });

  it("does not see inherited object properties as labels", () => {
    expect(selectorMatches({ matchExpressions: [{ key: "constructor", operator: "Exists" }] }, bare)).toBe(
      false,
    );
    expect(selectorMatches({ matchLabels: { toString: "x" } }, bare)).toBe(false);
  });

  it("refuses to compile an operator that validation would have rejected", () => {
    // compileSelector trusts validated input; an unknown operator is a bug, not a selector that matches nothing.
    expect(() => compileSelector(expr("in", ["web"]))).toThrow("unvalidated selector operator 'in'");
  });
});

describe("Service selectors (spec.selector: plain labels)", () => {
  it("pick a pod carrying every one of the labels", () => {
    const selector = { app: "web", tier: "front" };
    expect(serviceSelects(selector, web)).toBe(true);
    expect(serviceSelects(selector, { ...web, canary: "yes" })).toBe(true);
    expect(serviceSelects(selector, { app: "web" })).toBe(false);
    expect(serviceSelects(selector, { app: "web", tier: "back" })).toBe(false);
  });

  it("pick no pod when absent or empty (the Endpoints are then managed by hand)", () => {
    expect(serviceSelects(undefined, web)).toBe(false);
    expect(serviceSelects({}, web)).toBe(false);
    expect(serviceSelects({}, bare)).toBe(false);
  });
});

describe("label syntax (IsQualifiedName, IsValidLabelValue)", () => {
  const prefixProblem = (key: string) =>
    `'${key}' is not a valid label key: the prefix must be a DNS subdomain (e.g. example.com)`;
  const nameProblem = (key: string) =>
    `'${key}' is not a valid label key: the name part must be 1-63 characters, alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
  // A DNS subdomain of `length` characters: 63-character labels, dot-separated, the last one shorter.
  const subdomain = (length: number) =>
    `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(length - 192)}`;

  it("accepts a key without prefix, and a prefix of one-character DNS labels", () => {
    expect(labelKeyProblem("app")).toBeUndefined();
    expect(labelKeyProblem("a.b.io/role")).toBeUndefined();
    expect(labelKeyProblem("x/y")).toBeUndefined();
  });

  it("rejects a prefix that is not a lower-case DNS subdomain, or empty", () => {
    for (const key of ["/app", "Example.com/app", "_example.com/app", "example.com-/app", "example..com/app"])
      expect(labelKeyProblem(key), key).toBe(prefixProblem(key));
  });

  it("allows a prefix of up to 253 characters", () => {
    expect(subdomain(253)).toHaveLength(253);
    expect(labelKeyProblem(`${subdomain(253)}/app`)).toBeUndefined();
    const tooLong = `${subdomain(254)}/app`;
    expect(labelKeyProblem(tooLong)).toBe(prefixProblem(tooLong));
  });

  it("allows a name part of 1 to 63 characters", () => {
    expect(labelKeyProblem("a".repeat(63))).toBeUndefined();
    expect(labelKeyProblem(`example.com/${"a".repeat(63)}`)).toBeUndefined();
    expect(labelKeyProblem("a".repeat(64))).toBe(nameProblem("a".repeat(64)));
    expect(labelKeyProblem("example.com/")).toBe(nameProblem("example.com/"));
  });

  it("allows an empty label value, and values of up to 63 characters", () => {
    expect(labelValueProblem("")).toBeUndefined();
    expect(labelValueProblem("v".repeat(63))).toBeUndefined();
    expect(labelValueProblem("v".repeat(64))).toBe(
      `'${"v".repeat(64)}' is not a valid label value: at most 63 characters, alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`,
    );
  });
});

describe("label selector validation", () => {
  const problemsFor = (podSelector: unknown) => {
    const result = compilePolicy({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "p", namespace: "x" },
      spec: { podSelector },
    });
    return result.ok ? [] : result.problems.map((p) => `${p.path.join(".")}: ${p.message}`);
  };

  it("rejects an unknown operator, naming the valid ones", () => {
    expect(problemsFor({ matchExpressions: [{ key: "app", operator: "in", values: ["web"] }] })).toEqual([
      "spec.podSelector.matchExpressions.0.operator: 'in' is not a valid operator; expected one of: In, NotIn, Exists, DoesNotExist",
    ]);
  });

  it("In and NotIn need values; Exists and DoesNotExist take none", () => {
    expect(
      problemsFor({
        matchExpressions: [
          { key: "a", operator: "In" },
          { key: "a", operator: "NotIn", values: [] },
          { key: "a", operator: "Exists", values: ["x"] },
          { key: "a", operator: "DoesNotExist", values: ["x"] },
          { key: "a", operator: "Exists", values: [] },
        ],
      }),
    ).toEqual([
      "spec.podSelector.matchExpressions.0.values: must be non-empty when operator is In",
      "spec.podSelector.matchExpressions.1.values: must be non-empty when operator is NotIn",
      "spec.podSelector.matchExpressions.2.values: must be empty when operator is Exists",
      "spec.podSelector.matchExpressions.3.values: must be empty when operator is DoesNotExist",
    ]);
  });

  it("checks label keys and values, and unknown selector fields", () => {
    const problems = problemsFor({
      matchLabels: { "bad key!": "x", app: "not valid!" },
      matchExpressions: [{ key: "-a", operator: "Exists" }],
      matchLabel: { app: "web" },
    });
    expect(problems).toHaveLength(4);
    expect(problems.join("\n")).toMatch(/matchLabels\.bad key!: 'bad key!' is not a valid label key/);
    expect(problems.join("\n")).toMatch(/matchLabels\.app: 'not valid!' is not a valid label value/);
    expect(problems.join("\n")).toMatch(/matchExpressions\.0\.key: '-a' is not a valid label key/);
    expect(problems.join("\n")).toMatch(/spec\.podSelector\.matchLabel: unknown field/);
  });

  it("asks for label values as strings: YAML numbers and booleans must be quoted", () => {
    expect(problemsFor({ matchLabels: { replicas: 3, canary: true, release: "" } })).toEqual([
      "spec.podSelector.matchLabels.replicas: a label value (a string; quote numbers and booleans)",
      "spec.podSelector.matchLabels.canary: a label value (a string; quote numbers and booleans)",
    ]);
  });

  it("accepts prefixed keys such as kubernetes.io/metadata.name", () => {
    expect(
      problemsFor({ matchLabels: { "kubernetes.io/metadata.name": "x", "app.kubernetes.io/name": "web" } }),
    ).toEqual([]);
  });
});
