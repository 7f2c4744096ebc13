import { ActionError, defineAction } from "@pulsura/kit";
import { z } from "zod";

/** Foreign keys that fail when the caller has no users row. */
const userForeignKeys = new Set(["organizations_created_by_fkey", "memberships_user_id_fkey"]);

function isMissingUser(error: unknown): boolean {
  const { code, constraint } = error as { code?: string; constraint?: string };
  return code === "23503" && constraint !== undefined && userForeignKeys.has(constraint);
}

/** Creates an organization with the caller as its owner: both rows in one transaction. */
export default defineAction({
  roles: ["user"],
  input: z.object({
    name: z.string().trim().min(1, "name must not be empty").max(200, "name must be at most 200 characters"),
  }),
  async handler({ name }, { caller, transaction }) {
    if (!caller.userId) throw new ActionError("creating an organization needs a signed-in user", { code: "access-denied", status: 403 });
    const userId = caller.userId;
    try {
      return await transaction(async (tx) => {
        const created = await tx.query<{ id: string }>(
          "insert into organizations (name, created_by) values ($1, $2) returning id",
          [name, userId],
        );
        const id = created.rows[0]!.id;
        await tx.query("insert into memberships (organization_id, user_id, role) values ($1, $2, 'owner')", [id, userId]);
        return { id };
      });
    } catch (error) {
      // The users row is written by the user-sync function after sign-up; until then there is no one to own it.
      if (isMissingUser(error)) {
        throw new ActionError("your user record does not exist yet; try again in a moment", { code: "user-not-found", status: 409 });
      }
      throw error;
    }
  },
});
