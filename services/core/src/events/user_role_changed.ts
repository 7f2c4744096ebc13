import { defineEvent, hasuraClaims, userRoles, type UserRole } from "@pulsura/kit";
import { z } from "zod";

/** The users row as it is now, not as the event saw it. */
interface CurrentUser {
  role: string;
  deleted_at: Date | null;
}

/**
 * users.role changed: put the user's CURRENT role in their Firebase custom claims (keeping their other claims), then
 * revoke their refresh tokens so clients must fetch a new ID token, which carries that role.
 *
 * Hasura delivers at least once, retries failures and promises no order, so a retried "promote" can arrive after the
 * "demote" that followed it. The payload's role therefore only says that something changed: the role written is the
 * one `users` holds when the handler runs, read in the delivery's transaction. A per-user advisory lock (held until
 * that transaction ends) makes the read and the claims update of two deliveries for one user take turns, so a slow
 * delivery cannot write a role it read before a newer one wrote its own; and the delivery of the newest change always
 * reads that change (Hasura sends it after the change committed), so the last claims written are the current role.
 * A row that is gone, or marked deleted (`deleted_at`), gets the plain `user` claims: never more than a live row
 * holds. A payload role that differs from the current one is logged as a stale delivery.
 *
 * What a demotion does not do: an ID token already issued keeps its claims until it expires (Firebase ID tokens live
 * one hour). `revokeRefreshTokens` only stops that token's refresh token from minting new ones; Hasura in JWT mode
 * checks the token's signature and expiry, not revocation. So a demoted operator may keep sending a token that says
 * `operator` for up to an hour. The stack does not rely on the claims for that: every permission of the `operator`
 * role in the Hasura metadata is conditioned on the database row (`users.role = 'operator'` for the token's user
 * id), so from the demotion's commit on, such a token gets nothing through the operator role at its next request.
 * This handler's job is the claims of the next token.
 */
export default defineEvent({
  table: { schema: "public", name: "users" },
  // Any string: the payload's role is compared with the current one, never written, so a delivery queued before a
  // role was renamed (admin, before 1735689600800_operator_role) still resolves to the role the row has now.
  row: z.looseObject({ id: z.string().min(1), role: z.string() }),
  async handler(event, { tx, auth, log }) {
    const changed = event.new;
    if (!changed) return { skipped: "row deleted" };
    if (event.op === "UPDATE" && event.old?.role === changed.role) return { skipped: "role unchanged" };
    const userId = changed.id;

    // Needs no privilege; released when the delivery's transaction commits or rolls back.
    await tx.query({ name: "core-lock-user-role", text: "select pg_advisory_xact_lock(hashtextextended('pulsura.user_role:' || $1, 0))", values: [userId] });
    const found = await tx.query<CurrentUser>({
      name: "core-current-user-role",
      text: "select role, deleted_at from users where id = $1",
      values: [userId],
    });
    const current = found.rows[0];
    const role: UserRole = current && current.deleted_at === null ? knownRole(current.role) : "user";
    if (changed.role !== role) {
      log.warn(
        { userId, payloadRole: changed.role, currentRole: role, rowFound: current !== undefined, deleted: Boolean(current?.deleted_at) },
        "stale user_role_changed delivery: setting the current role, not the payload's",
      );
    }

    let existingClaims: Record<string, unknown>;
    try {
      existingClaims = (await auth.getUser(userId)).customClaims ?? {};
    } catch (error) {
      // A users row can outlive its Firebase account (anonymized rows): nothing to update, and retrying would not help.
      if ((error as { code?: string }).code === "auth/user-not-found") {
        log.warn({ userId }, "role changed for a user that no longer exists in Firebase Auth");
        return { skipped: "no Firebase user" };
      }
      throw error;
    }
    await auth.setCustomUserClaims(userId, { ...existingClaims, ...hasuraClaims(userId, role) });
    await auth.revokeRefreshTokens(userId);
    log.info({ userId, role }, "updated Hasura claims and revoked refresh tokens");
    return { userId, role };
  },
});

/** The users_role_check constraint admits only these; anything else means the schema and the kit disagree. */
function knownRole(role: string): UserRole {
  if (!(userRoles as readonly string[]).includes(role)) {
    throw new Error(`users.role is ${JSON.stringify(role)}, not one of ${userRoles.join(", ")}: the migrations and @pulsura/kit disagree`);
  }
  return role as UserRole;
}
