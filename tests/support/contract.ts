import { expect } from "vitest";
import { loadContract } from "../../src/contract/openapi.ts";

/**
 * Validates real responses against a service's committed OpenAPI document (see
 * src/contract/openapi.ts): any problem fails the test with the document's complaint.
 */
export function contractOf(service: string) {
  const contract = loadContract(service);
  return function expectContract(method: string, url: string, status: number, body: unknown) {
    const { problems } = contract.check(method, url, status, body);
    expect(problems.length, problems.join("\n")).toBe(0);
  };
}
