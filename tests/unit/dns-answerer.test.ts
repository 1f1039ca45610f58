import { describe, expect, it } from "vitest";
import { nxdomain } from "../../src/runtimes/docker/dns-answerer.ts";

// A query for `redis-0.redis` type A, recursion desired, with an EDNS record after the question, as
// glibc sends it (id 0xbeef).
const question = Buffer.from([7, ...Buffer.from("redis-0"), 5, ...Buffer.from("redis"), 0, 0, 1, 0, 1]);
const edns = Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
const query = Buffer.concat([Buffer.from([0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]), question, edns]);

describe("the DNS answerer for names of pods that are down", () => {
  it("answers a query with its id and question, no records, and NXDOMAIN", () => {
    expect(nxdomain(query)?.toString("hex")).toBe(
      Buffer.concat([Buffer.from([0xbe, 0xef, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0]), question]).toString(
        "hex",
      ),
    );
  });

  it("ignores what is not a one-question query: a response, two questions, a truncated packet", () => {
    const response = Buffer.from(query);
    response[2] = 0x81;
    expect(nxdomain(response)).toBeUndefined();
    const two = Buffer.from(query);
    two.writeUInt16BE(2, 4);
    expect(nxdomain(two)).toBeUndefined();
    expect(nxdomain(query.subarray(0, 20))).toBeUndefined();
    expect(nxdomain(query.subarray(0, 11))).toBeUndefined();
  });
});
