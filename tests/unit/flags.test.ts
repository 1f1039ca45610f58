import { describe, expect, it } from "vitest";
import { oneOf, parseFlags } from "../../src/cli/flags.ts";
import { userErrorFrom } from "../support/thrown.ts";

describe("flags", () => {
  const spec = {
    name: { type: "string" as const, default: "dev" },
    "keep-data": { type: "boolean" as const },
  };

  it("parses known flags with defaults", () => {
    expect(parseFlags("dev:down", ["--keep-data"], spec).values).toEqual({ name: "dev", "keep-data": true });
  });

  it("rejects an unknown flag and lists the valid ones", () => {
    const error = userErrorFrom(() => parseFlags("dev:down", ["--keep-dta"], spec));
    expect(error.message).toMatch(/^dev:down: Unknown option '--keep-dta'/);
    expect(error.hint).toBe("valid flags: --name VALUE, --keep-data");
  });

  it("checks enumerated values", () => {
    expect(oneOf("source", "recipe", ["auto", "recipe"])).toBe("recipe");
    expect(() => oneOf("source", "docker", ["auto", "recipe"])).toThrow(
      "--source: 'docker' is not valid; expected one of: auto, recipe",
    );
  });
});
