import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { repoRoot } from "../paths.ts";

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

export interface Operation {
  method: string;
  /** The path template, as in the document (`/users/{id}`). */
  template: string;
}

/**
 * A service's committed OpenAPI document (services/NAME/openapi.json) as a response checker: the
 * operation is found by method and concrete path, and the body must match the schema the document
 * gives for that status. An undocumented operation or status is a violation too.
 */
export function loadContract(service: string) {
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
  const operations: Operation[] = Object.entries(doc.paths).flatMap(([template, methods]) =>
    Object.keys(methods)
      .filter((m) => m !== "parameters")
      .map((method) => ({ method: method.toUpperCase(), template })),
  );

  /** The operation a request hits and what is wrong with the response (empty: it conforms). */
  function check(
    method: string,
    url: string,
    status: number,
    body: unknown,
  ): { operation?: Operation; problems: string[] } {
    const path = url.split("?")[0] ?? url;
    const template = templates.find((t) => t.re.test(path))?.template;
    if (!template) return { problems: [`${method} ${path} is not in ${service}'s OpenAPI document`] };
    const operation = doc.paths[template]?.[method.toLowerCase()];
    if (!operation) return { problems: [`${method} ${template} is not documented`] };
    const found = { method: method.toUpperCase(), template };
    if (!operation.responses[String(status)])
      return { operation: found, problems: [`${method} ${template} does not document status ${status}`] };
    if (status === 204) return { operation: found, problems: [] };
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
    if (!validate)
      return { operation: found, problems: [`no JSON schema for ${method} ${template} ${status}`] };
    return validate(body)
      ? { operation: found, problems: [] }
      : {
          operation: found,
          problems: [
            `${method} ${url} ${status}: ${JSON.stringify(validate.errors)}; body: ${JSON.stringify(body)}`,
          ],
        };
  }
  return { service, operations, check };
}
