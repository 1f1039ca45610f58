// The upstream Kubernetes network-policy e2e scenarios (tests/support/netpol-upstream-scenarios.ts),
// each expectation checked against the engine.
import { describe, it } from "vitest";
import { validateOrFail } from "../support/netpol-topology.ts";
import { upstreamScenarios } from "../support/netpol-upstream-scenarios.ts";

upstreamScenarios({ describe, it, validateOrFail });
