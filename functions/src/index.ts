/**
 * pulsura's Firebase functions.
 *
 * - `beforeUserCreated` (gen2 blocking): puts the Hasura claims into the user's first ID token. No network call, so
 *   it cannot fail a sign-up because Hasura is down.
 * - `onUserCreated` / `onUserDeleted` (gen1 auth triggers, retried on failure): mirror the user into `public.users`
 *   through Hasura's admin GraphQL API.
 *
 * The module exports exactly these three functions (their names are the deployed entry points); runtime
 * configuration is described in ./config.
 */
import * as logger from "firebase-functions/logger";
import * as functionsV1 from "firebase-functions/v1";
import { beforeUserCreated as beforeUserCreatedTrigger } from "firebase-functions/v2/identity";
import { hasuraClaims } from "./claims";
import { hasuraAdminSecret, hasuraGraphqlUrl, onUserDeletedMode } from "./config";
import { createHasuraClient, type HasuraClient } from "./hasura-client";
import { parseUserDeletedMode, syncDeletedUser, upsertUser } from "./user-sync";

/** Both auth triggers talk to Hasura: give them the secrets and let a failed delivery be retried. */
const userSyncRuntime: functionsV1.RuntimeOptions = {
  secrets: [hasuraGraphqlUrl, hasuraAdminSecret],
  failurePolicy: true,
};

function hasuraFromEnvironment(): HasuraClient {
  // Read per invocation: secret values exist only at runtime, never while the CLI loads this module to discover it.
  return createHasuraClient({ url: hasuraGraphqlUrl.value(), adminSecret: hasuraAdminSecret.value() });
}

export const beforeUserCreated = beforeUserCreatedTrigger((event) => {
  const uid = event.data?.uid;
  if (!uid) {
    // Identity Platform always sends the new user's record; without one there is nothing to claim.
    throw new Error("beforeUserCreated: the event carries no user");
  }
  return { customClaims: hasuraClaims(uid) };
});

export const onUserCreated = functionsV1
  .runWith(userSyncRuntime)
  .auth.user()
  .onCreate(async (user, context) => {
    await upsertUser(hasuraFromEnvironment(), user);
    logger.info("Upserted users row", { uid: user.uid, eventId: context.eventId });
  });

export const onUserDeleted = functionsV1
  .runWith(userSyncRuntime)
  .auth.user()
  .onDelete(async (user, context) => {
    const mode = parseUserDeletedMode(onUserDeletedMode.value());
    const result = await syncDeletedUser(hasuraFromEnvironment(), user.uid, mode, eventTime(context));
    logger.info(result.rowFound ? "Synced deleted user" : "Deleted user had no row", {
      uid: user.uid,
      eventId: context.eventId,
      mode,
    });
  });

/** The deletion time recorded when anonymizing: the event's own timestamp, identical on every redelivery. */
function eventTime(context: functionsV1.EventContext): Date {
  const time = new Date(context.timestamp);
  return Number.isNaN(time.getTime()) ? new Date() : time;
}
