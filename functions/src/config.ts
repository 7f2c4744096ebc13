/**
 * Runtime configuration of the functions, declared as firebase-functions params so that a Firebase CLI deploy (or
 * the emulator) knows them too. Values are read from the environment at invocation time:
 * - `HASURA_GRAPHQL_URL`, `HASURA_GRAPHQL_ADMIN_SECRET`: Secret Manager secrets (full URL of Hasura's /v1/graphql,
 *   and its admin secret). pulsura's Pulumi component binds them as secret environment variables of these names.
 * - `PULSURA_ON_USER_DELETED`: "delete" (default) or "anonymize", a plain value.
 */
import { defineSecret, defineString } from "firebase-functions/params";

export const hasuraGraphqlUrl = defineSecret("HASURA_GRAPHQL_URL");
export const hasuraAdminSecret = defineSecret("HASURA_GRAPHQL_ADMIN_SECRET");
export const onUserDeletedMode = defineString("PULSURA_ON_USER_DELETED", {
  default: "delete",
  description: 'What happens to the users row when the Firebase user is deleted: "delete" or "anonymize".',
  input: { select: { options: [{ value: "delete" }, { value: "anonymize" }] } },
});
