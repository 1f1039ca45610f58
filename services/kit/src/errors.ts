import { Type } from "typebox";

/**
 * The one error shape every Azora service returns, for every 4xx and 5xx:
 *   { "error": { "code": "not_found", "message": "...", "requestId": "...", "details": [...] } }
 * `code` is a stable machine-readable word; `message` is for people; `details` lists the fields at
 * fault for validation errors.
 */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ description: "stable, machine-readable error code" }),
        message: Type.String(),
        requestId: Type.String(),
        details: Type.Optional(
          Type.Array(
            Type.Object({ field: Type.String(), problem: Type.String() }, { additionalProperties: false }),
          ),
        ),
      },
      { additionalProperties: false },
    ),
  },
  {
    $id: "ErrorResponse",
    additionalProperties: false,
    description: "The error shape of every Azora service",
  },
);

/** An error a route throws on purpose; it becomes the documented error shape with its status. */
export class ApiError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly details?: { field: string; problem: string }[];
  constructor(
    statusCode: number,
    code: string,
    message: string,
    details?: { field: string; problem: string }[],
  ) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
    this.details = details;
  }
}

export const notFound = (what: string) => new ApiError(404, "not_found", `${what} not found`);

/** Connection-level failures of Postgres, Redis or an upstream: the request needs a dependency that is down. */
export function isDependencyDown(error: unknown): boolean {
  const e = error as { code?: string; message?: string; name?: string };
  if (!e) return false;
  if (
    [
      "ECONNREFUSED",
      "ECONNRESET",
      "ECONNABORTED",
      "ENOTFOUND",
      "EAI_AGAIN",
      "ETIMEDOUT",
      "EPIPE",
      "EHOSTUNREACH",
    ].includes(e.code ?? "")
  )
    return true;
  // Postgres: class 08 (connection exception), 57P01-57P03 (shutdown, cannot connect now), 25006
  // (a write reached a replica: the cluster is failing over), 53300 (no connection slot left: a
  // newly promoted primary as every pod's pool reconnects at once).
  if (/^(08...|57P0[1-3]|25006|53300)$/.test(e.code ?? "")) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Stream isn't writeable|enableOfflineQueue|Connection is closed|MaxRetriesPerRequest|Command timed out/i.test(
    e.message ?? "",
  );
}
