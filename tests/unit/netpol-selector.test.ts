import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/netpol/policy.ts";
import { compileSelector, type LabelSelector, selectorMatches } from "../../src/netpol/selector.ts";

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
      expect(compileSelector(empty).matchesEverything).toBe(true);
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

  it("accepts prefixed keys such as kubernetes.io/metadata.name", () => {
    expect(
      problemsFor({ matchLabels: { "kubernetes.io/metadata.name": "x", "app.kubernetes.io/name": "web" } }),
    ).toEqual([]);
  });
});
