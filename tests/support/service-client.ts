import type { App } from "@azora/service-kit";
import { contractOf } from "./contract.ts";

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

/**
 * Calls a service in-process (Fastify inject, no socket) and checks every answer against the
 * service's committed OpenAPI document: status documented, body matching its schema.
 */
export function serviceClient(service: string, app: () => App) {
  const expectContract = contractOf(service);
  return async (method: Method, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const payload = body === undefined ? {} : { payload: body as string };
    const response = await app().inject({ method, url, headers, ...payload });
    const json = response.body ? response.json() : undefined;
    expectContract(method, url, response.statusCode, json);
    return { status: response.statusCode, body: json, headers: response.headers };
  };
}
