// k6/execution's stand-in: the scenario (flow) and iteration the test says is running.
import { shared } from "./shared.ts";

export const current = shared("k6-execution", () => ({ name: "browse", iterationInTest: 0, aborted: "" }));

export default {
  get scenario() {
    return { name: current.name, iterationInTest: current.iterationInTest };
  },
  test: {
    abort(reason?: string) {
      current.aborted = reason ?? "aborted";
      throw new Error(`k6 test aborted: ${reason}`);
    },
  },
};
