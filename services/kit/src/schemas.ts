import { type TSchema, Type } from "typebox";
import type { ErrorResponse } from "./errors.ts";

/** Route-schema pieces every service uses the same way. */
export const Uuid = Type.String({ format: "uuid" });
export const Timestamp = Type.String({ format: "date-time" });

export const Page = {
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: "page size (at most 100)" }),
  offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
};

export const ListOf = (item: TSchema) =>
  Type.Object(
    { items: Type.Array(item), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() },
    { additionalProperties: false },
  );

const errorRef = {
  $ref: "ErrorResponse#",
  description: "An error in the documented shape",
} as unknown as typeof ErrorResponse;

/** Response entries for the error statuses a route can answer with, all in the one error shape. */
export const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, errorRef]));
