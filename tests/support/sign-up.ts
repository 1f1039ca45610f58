/**
 * Sign-ups through user-service at the address `base()` gives when called (a new e-mail each
 * time), each resolving to its status and how long its answer took: how the fault tests tell a
 * database fault from a working service.
 */
export function signUps(base: () => string) {
  let n = 0;
  return async () => {
    const began = performance.now();
    const response = await fetch(`${base()}/users`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        email: `toxic-${process.pid}-${n++}@example.org`,
        password: "a-long-password-1",
        displayName: "T",
      }),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: response.status, ms: performance.now() - began };
  };
}
