import { createHash, timingSafeEqual } from "node:crypto";

/** The header Hasura sends on every action, event and cron call (value_from_env PULSURA_EVENT_SECRET). */
export const eventSecretHeader = "x-pulsura-event-secret";

/**
 * Returns a checker that compares a presented secret with the expected one in constant time.
 * Both sides are hashed first, so neither the content nor the length of the secret leaks through timing.
 */
export function createSecretChecker(expected: string): (presented: string | string[] | undefined) => boolean {
  const expectedDigest = createHash("sha256").update(expected, "utf8").digest();
  return (presented) => {
    // A repeated header is ambiguous: refuse it rather than pick one.
    if (typeof presented !== "string" || presented.length === 0) return false;
    const presentedDigest = createHash("sha256").update(presented, "utf8").digest();
    return timingSafeEqual(expectedDigest, presentedDigest);
  };
}
