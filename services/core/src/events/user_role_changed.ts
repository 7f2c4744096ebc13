import { defineEvent } from "@pulsura/kit";
import { z } from "zod";

/** Hasura reads the JWT claims under this key (its default claims namespace). */
export const hasuraClaimsKey = "https://hasura.io/jwt/claims";

const roles = ["user", "admin"] as const;

/** The Hasura claims for a global role: every signed-in user keeps `user`, admins can also act as `admin`. */
export function hasuraClaimsFor(userId: string, role: (typeof roles)[number]): Record<string, unknown> {
  return {
    "x-hasura-default-role": role,
    "x-hasura-allowed-roles": role === "admin" ? ["user", "admin"] : ["user"],
    "x-hasura-user-id": userId,
  };
}

/**
 * users.role changed: put the new role in the user's Firebase custom claims (keeping their other claims),
 * then revoke their refresh tokens so clients must fetch a new ID token, which carries the new role.
 */
export default defineEvent({
  table: { schema: "public", name: "users" },
  row: z.looseObject({ id: z.string().min(1), role: z.enum(roles) }),
  async handler(event, { auth, log }) {
    const user = event.new;
    if (!user) return { skipped: "row deleted" };
    if (event.op === "UPDATE" && event.old?.role === user.role) return { skipped: "role unchanged" };

    let existingClaims: Record<string, unknown>;
    try {
      existingClaims = (await auth.getUser(user.id)).customClaims ?? {};
    } catch (error) {
      // A users row can outlive its Firebase account (anonymized rows): nothing to update, and retrying would not help.
      if ((error as { code?: string }).code === "auth/user-not-found") {
        log.warn({ userId: user.id }, "role changed for a user that no longer exists in Firebase Auth");
        return { skipped: "no Firebase user" };
      }
      throw error;
    }
    await auth.setCustomUserClaims(user.id, { ...existingClaims, [hasuraClaimsKey]: hasuraClaimsFor(user.id, user.role) });
    await auth.revokeRefreshTokens(user.id);
    log.info({ userId: user.id, role: user.role }, "updated Hasura claims and revoked refresh tokens");
    return { userId: user.id, role: user.role };
  },
});
