import { ActionError, defineAction } from "@pulsura/kit";
import { z } from "zod";

/** Foreign keys that fail when the caller has no users row. */
const userForeignKeys = new Set(["organizations_created_by_fkey", "memberships_user_id_fkey"]);

function isMissingUser(error: unknown): boolean {
  const { code, constraint } = error as { code?: string; constraint?: string };
  return code === "23503" && constraint !== undefined && userForeignKeys.has(constraint);
}

/**
 * The database's cap on the organizations one user creates: a BEFORE INSERT trigger on organizations raises
 * program_limit_exceeded (SQLSTATE 54000) naming this constraint, with a message meant for the user
 * ("a user may create at most N organizations").
 */
const organizationLimitConstraint = "organizations_per_creator_limit";

function isOrganizationLimit(error: unknown): error is { message: string } {
  const { code, constraint, message } = error as { code?: string; constraint?: string; message?: unknown };
  return code === "54000" && constraint === organizationLimitConstraint && typeof message === "string";
}

/** Creates an organization with the caller as its owner: both rows in one transaction (a single statement). */
export default defineAction({
  roles: ["user", "operator"],
  input: z.object({
    name: z.string().trim().min(1, "name must not be empty").max(200, "name must be at most 200 characters"),
  }),
  async handler({ name }, { caller, db }) {
    if (!caller.userId) throw new ActionError("creating an organization needs a signed-in user", { code: "access-denied", status: 403 });
    const userId = caller.userId;
    try {
      // One statement, so one round trip and atomic on its own: it sets the audit actor (hasura.user, local to
      // the statement's transaction, as transaction() would), then inserts the organization and the owner
      // membership. Referencing `actor` makes Postgres evaluate set_config before the inserts.
      const created = await db.query<{ id: string }>({
        name: "core-create-organization",
        text: `with actor as (select set_config('hasura.user', $3, true)),
               organization as (
                 insert into organizations (name, created_by) select $1, $2 from actor returning id
               )
               insert into memberships (organization_id, user_id, role)
               select id, $2, 'owner' from organization
               returning organization_id as id`,
        values: [name, userId, JSON.stringify(caller.sessionVariables)],
      });
      return { id: created.rows[0]!.id };
    } catch (error) {
      // The users row is written by the user-sync function after sign-up; until then there is no one to own it.
      if (isMissingUser(error)) {
        throw new ActionError("your user record does not exist yet; try again in a moment", { code: "user-not-found", status: 409 });
      }
      // The trigger's message says what the limit is; the client shows it as is.
      if (isOrganizationLimit(error)) throw new ActionError(error.message, { code: "limit-reached", status: 409 });
      throw error;
    }
  },
});
