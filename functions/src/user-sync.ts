/**
 * Keeps `public.users` in step with Firebase Auth through Hasura's admin GraphQL API.
 *
 * Every operation is safe to repeat, because gen1 background functions deliver at least once and we enable retries:
 * the insert upserts on the primary key, deleting a missing row returns null (success), and anonymizing writes the
 * same values each time (its timestamp is the event's, not the clock's).
 */
import type { HasuraClient } from "./hasura-client";

/** What to do with the row when the Firebase user is deleted (`PULSURA_ON_USER_DELETED`). */
export const userDeletedModes = ["delete", "anonymize"] as const;
export type UserDeletedMode = (typeof userDeletedModes)[number];

/** The Firebase user fields the users table mirrors. */
export interface FirebaseUserFields {
  uid: string;
  phoneNumber?: string | null | undefined;
  email?: string | null | undefined;
  displayName?: string | null | undefined;
}

/** Variables of {@link upsertUserMutation}; the column names of `public.users`. */
export interface UpsertUserVariables {
  id: string;
  phone: string | null;
  email: string | null;
  display_name: string | null;
}

export const upsertUserMutation = /* GraphQL */ `
  mutation UpsertUser($id: String!, $phone: String, $email: String, $display_name: String) {
    insert_users_one(
      object: { id: $id, phone: $phone, email: $email, display_name: $display_name }
      on_conflict: { constraint: users_pkey, update_columns: [phone, email, display_name] }
    ) {
      id
    }
  }
`;

export const deleteUserMutation = /* GraphQL */ `
  mutation DeleteUser($id: String!) {
    delete_users_by_pk(id: $id) {
      id
    }
  }
`;

export const anonymizeUserMutation = /* GraphQL */ `
  mutation AnonymizeUser($id: String!, $deleted_at: timestamptz!) {
    update_users_by_pk(
      pk_columns: { id: $id }
      _set: { phone: null, email: null, display_name: null, deleted_at: $deleted_at }
    ) {
      id
    }
  }
`;

/** Maps a Firebase user to the upsert variables; absent fields become SQL nulls. */
export function upsertUserVariables(user: FirebaseUserFields): UpsertUserVariables {
  requireUid(user.uid);
  return {
    id: user.uid,
    phone: user.phoneNumber || null,
    email: user.email || null,
    display_name: user.displayName || null,
  };
}

/** Inserts the user's row, or refreshes phone, email and display name if it already exists. */
export async function upsertUser(hasura: HasuraClient, user: FirebaseUserFields): Promise<void> {
  const data = await hasura.request<{ insert_users_one: { id: string } | null }>(
    "UpsertUser",
    upsertUserMutation,
    { ...upsertUserVariables(user) },
  );
  // With admin rights and an on_conflict clause Hasura always returns the row; null means the schema is not ours.
  if (!data.insert_users_one) {
    throw new Error(`Hasura returned no row for the upsert of user ${user.uid}`);
  }
}

/** Outcome of a user-deleted sync, for logs: whether a row was affected. */
export interface UserDeletedResult {
  mode: UserDeletedMode;
  rowFound: boolean;
}

/**
 * Deletes the user's row, or strips its personal data and marks it deleted, as `mode` says.
 * A missing row is success: it was never created, or a previous delivery already handled it.
 *
 * @param deletedAt the time of the deletion event, so that a redelivery writes the same value.
 */
export async function syncDeletedUser(
  hasura: HasuraClient,
  uid: string,
  mode: UserDeletedMode,
  deletedAt: Date,
): Promise<UserDeletedResult> {
  requireUid(uid);
  if (mode === "delete") {
    const data = await hasura.request<{ delete_users_by_pk: { id: string } | null }>(
      "DeleteUser",
      deleteUserMutation,
      { id: uid },
    );
    return { mode, rowFound: data.delete_users_by_pk !== null };
  }
  if (Number.isNaN(deletedAt.getTime())) {
    throw new Error("syncDeletedUser: deletedAt is not a valid date");
  }
  const data = await hasura.request<{ update_users_by_pk: { id: string } | null }>(
    "AnonymizeUser",
    anonymizeUserMutation,
    { id: uid, deleted_at: deletedAt.toISOString() },
  );
  return { mode, rowFound: data.update_users_by_pk !== null };
}

/**
 * Reads `PULSURA_ON_USER_DELETED`. Unset or empty means "delete"; anything else but the two modes is a
 * configuration error, reported rather than guessed.
 */
export function parseUserDeletedMode(raw: string | undefined): UserDeletedMode {
  const value = (raw ?? "").trim();
  if (value === "") return "delete";
  if ((userDeletedModes as readonly string[]).includes(value)) return value as UserDeletedMode;
  throw new Error(
    `PULSURA_ON_USER_DELETED must be one of ${userDeletedModes.join(", ")}, got ${JSON.stringify(value)}`,
  );
}

function requireUid(uid: string): void {
  if (typeof uid !== "string" || uid.length === 0) {
    throw new Error("Firebase user has no uid");
  }
}
