/**
 * One request and its whole answer within `ms`, or an error saying so. The deadline is a timer held
 * here that also aborts the request, not the request's AbortSignal alone: in a chaos run on Kind
 * (a kubelet killed under the gateway's port-forward) ledger writes carrying
 * `AbortSignal.timeout(5000)` were still unanswered minutes later, and the run waited on them.
 */
export async function fetchWithin(
  url: string,
  init: RequestInit,
  ms: number,
): Promise<{ status: number; text: string }> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer from ${url} within ${ms} ms`));
    }, ms);
  });
  const answer = fetch(url, { ...init, signal: controller.signal }).then(async (response) => ({
    status: response.status,
    text: await response.text(),
  }));
  // Settles after the deadline when it loses the race: nobody waits for it then.
  answer.catch(() => {});
  try {
    return await Promise.race([answer, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
