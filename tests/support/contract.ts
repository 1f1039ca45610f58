import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { expect } from "vitest";
import { repoRoot } from "../../src/paths.ts";

type AddFormats = (ajv: Ajv2020) => Ajv2020;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ??
  (addFormatsModule as unknown as AddFormats);

interface OpenApi {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >;
}

/**
 * Validates real responses against a service's committed OpenAPI document (services/NAME/openapi.json):
 * the operation is found by method and concrete path, and the body must match the schema the
 * document gives for that status. An undocumented status is a failure too.
 */
export function contractOf(service: string) {
  const doc = JSON.parse(
    readFileSync(join(repoRoot, "services", service, "openapi.json"), "utf8"),
  ) as OpenApi;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addSchema(doc, "openapi");

  const templates = Object.keys(doc.paths).map((template) => ({
    template,
    re: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
  }));

  return function expectContract(method: string, url: string, status: number, body: unknown) {
    const path = url.split("?")[0] ?? url;
    const match = templates.find((t) => t.re.test(path));
    expect(match, `${method} ${path} is not in ${service}'s OpenAPI document`).toBeDefined();
    const template = match?.template ?? "";
    const operation = doc.paths[template]?.[method.toLowerCase()];
    expect(operation, `${method} ${template} is not documented`).toBeDefined();
    const response = operation?.responses[String(status)];
    expect(response, `${method} ${template} does not document status ${status}`).toBeDefined();
    if (status === 204) return;
    const pointer = [
      "paths",
      template,
      method.toLowerCase(),
      "responses",
      String(status),
      "content",
      "application/json",
      "schema",
    ]
      .map((p) => p.replaceAll("~", "~0").replaceAll("/", "~1"))
      .join("/");
    const validate = ajv.getSchema(`openapi#/${pointer}`);
    expect(validate, `no JSON schema for ${method} ${template} ${status}`).toBeDefined();
    const ok = validate?.(body);
    expect(
      ok,
      `${method} ${url} ${status}: ${JSON.stringify(validate?.errors)}\nbody: ${JSON.stringify(body)}`,
    ).toBe(true);
  };
}
