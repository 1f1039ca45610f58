import { describe, expect, it, vi } from "vitest";
import { loadContract } from "../../src/contract/openapi.ts";

// The response checker on a small document of its own: "fixture-service"'s openapi.json is served
// from here instead of services/ (node:fs is mocked for that one path only).

const FIXTURE = {
  openapi: "3.1.0",
  paths: {
    "/things/{id}": {
      parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
      get: {
        responses: {
          "200": {
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["id"],
                  properties: {
                    id: { type: "string" },
                    n: { type: "integer" },
                    at: { type: "string", format: "date-time" },
                  },
                },
              },
            },
          },
          "204": { description: "nothing" },
          "302": { description: "elsewhere, no body" },
        },
      },
    },
    "/things/{id}/parts": {
      get: {
        responses: {
          "200": { content: { "application/json": { schema: { type: "array", maxItems: 2 } } } },
        },
      },
    },
    "/a~b/c": {
      get: { responses: { "200": { content: { "application/json": { schema: { type: "integer" } } } } } },
    },
  },
};

vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  return {
    ...fs,
    readFileSync: ((path: string, ...rest: unknown[]) =>
      String(path).endsWith("/services/fixture-service/openapi.json")
        ? JSON.stringify(FIXTURE)
        : (fs.readFileSync as (...args: unknown[]) => unknown)(path, ...rest)) as typeof fs.readFileSync,
  };
});

describe("an OpenAPI document as a response checker", () => {
  const contract = loadContract("fixture-service");

  it("lists the document's operations, upper-cased, path-level parameters left out", () => {
    expect(contract.service).toBe("fixture-service");
    expect(contract.operations).toEqual([
      { method: "GET", template: "/things/{id}" },
      { method: "GET", template: "/things/{id}/parts" },
      { method: "GET", template: "/a~b/c" },
    ]);
  });

  it("finds the operation by method and the whole concrete path, query string aside", () => {
    expect(contract.check("get", "/things/7?expand=parts", 200, { id: "7" })).toEqual({
      operation: { method: "GET", template: "/things/{id}" },
      problems: [],
    });
    expect(contract.check("GET", "/things/7/parts", 200, [1, 2])).toEqual({
      operation: { method: "GET", template: "/things/{id}/parts" },
      problems: [],
    });
    expect(contract.check("GET", "/api/things/7", 200, {})).toEqual({
      problems: ["GET /api/things/7 is not in fixture-service's OpenAPI document"],
    });
    expect(contract.check("GET", "/things/", 200, {}).problems).toEqual([
      "GET /things/ is not in fixture-service's OpenAPI document",
    ]);
    expect(contract.check("DELETE", "/things/7", 204, undefined)).toEqual({
      problems: ["DELETE /things/{id} is not documented"],
    });
  });

  it("needs the status documented, and a body only where the document gives a schema", () => {
    expect(contract.check("GET", "/things/7", 404, {})).toEqual({
      operation: { method: "GET", template: "/things/{id}" },
      problems: ["GET /things/{id} does not document status 404"],
    });
    expect(contract.check("GET", "/things/7", 204, "anything").problems).toEqual([]);
    expect(contract.check("GET", "/things/7", 302, undefined)).toEqual({
      operation: { method: "GET", template: "/things/{id}" },
      problems: ["no JSON schema for GET /things/{id} 302"],
    });
  });

  it("validates the body against the schema of that status, quoting the body", () => {
    const result = contract.check("GET", "/things/7?x=1", 200, { id: 7 });
    expect(result.operation).toEqual({ method: "GET", template: "/things/{id}" });
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^GET \/things\/7\?x=1 200: \[\{"instancePath":"\/id",/);
    expect(result.problems[0]).toMatch(/"message":"must be string"\}\]; body: \{"id":7\}$/);
    expect(contract.check("GET", "/things/7/parts", 200, [1, 2, 3]).problems).toHaveLength(1);
  });

  it("reports every error of a body, and checks formats", () => {
    const [both] = contract.check("GET", "/things/7", 200, { id: 7, n: "x" }).problems;
    expect(both).toMatch(/"instancePath":"\/id".*"instancePath":"\/n"/);
    expect(contract.check("GET", "/things/7", 200, { id: "7", at: "2026-11-26T00:00:00Z" }).problems).toEqual(
      [],
    );
    expect(contract.check("GET", "/things/7", 200, { id: "7", at: "yesterday" }).problems[0]).toMatch(
      /"message":"must match format \\"date-time\\""/,
    );
  });

  it("finds the schema of a path with '~' in it (JSON pointer escaping)", () => {
    expect(contract.check("GET", "/a~b/c", 200, 5).problems).toEqual([]);
    expect(contract.check("GET", "/a~b/c", 200, "five").problems).toHaveLength(1);
  });
});
