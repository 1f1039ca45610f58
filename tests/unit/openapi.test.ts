import { describe, expect, it } from "vitest";
import { loadContract } from "../../src/contract/openapi.ts";
import { syncOpenApi } from "../../src/services/openapi.ts";
import { contractOf } from "../support/contract.ts";

describe("OpenAPI documents", () => {
  it("the committed documents are exactly what the route schemas generate (no drift)", async () => {
    expect(await syncOpenApi({ check: true })).toEqual([]);
  });

  it("the contract check rejects a body that breaks the schema and an undocumented status", () => {
    const expectContract = contractOf("user-service");
    const user = {
      id: "9b2f0a5e-3d5c-4c1e-8f6a-1b2c3d4e5f60",
      email: "a@b.org",
      displayName: "A",
      createdAt: "2026-11-26T00:00:00.000Z",
      updatedAt: "2026-11-26T00:00:00.000Z",
    };
    expectContract("GET", `/users/${user.id}`, 200, user);
    const { check } = loadContract("user-service");
    const wrongType = check("GET", `/users/${user.id}`, 200, { ...user, id: 7 }).problems;
    expect(wrongType).toHaveLength(1);
    expect(wrongType[0]).toMatch(/"instancePath":"\/id".*"message":"must be string"/);
    const extra = check("GET", `/users/${user.id}`, 200, { ...user, extra: 1 }).problems;
    expect(extra).toHaveLength(1);
    expect(extra[0]).toMatch(/"additionalProperty":"extra".*"message":"must NOT have additional properties"/);
    expect(() => expectContract("GET", `/users/${user.id}`, 418, user)).toThrow(
      /does not document status 418/,
    );
    expect(() => expectContract("GET", "/teapots", 200, {})).toThrow(
      /not in user-service's OpenAPI document/,
    );
  });
});
