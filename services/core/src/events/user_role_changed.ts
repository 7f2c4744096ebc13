import { defineEvent, hasuraClaims, userRoles } from "@pulsura/kit";
import { z } from "zod";

/**
 * users.role changed: put the new role in the user's Firebase custom claims (keeping their other claims),
 * then revoke their refresh tokens so clients must fetch a new ID token, which carries the new role.
 */
export default defineEvent({
  table: { schema: "public", name: "users" },
  row: z.looseObject({ id: z.string().min(1), role: z.enum(userRoles) }),
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
    await auth.setCustomUserClaims(user.id, { ...existingClaims, ...hasuraClaims(user.id, user.role) });
    await auth.revokeRefreshTokens(user.id);
    log.info({ userId: user.id, role: user.role }, "updated Hasura claims and revoked refresh tokens");
    return { userId: user.id, role: user.role };
  },
});
