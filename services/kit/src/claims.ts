/**
 * Hasura JWT claims as Firebase custom claims: set in the first token by the functions' blocking beforeUserCreated,
 * and again by a service when a user's role changes (core's user_role_changed). One definition for both.
 *
 * Hasura (JWT mode, default claims namespace) reads the session from the `https://hasura.io/jwt/claims` object of the
 * Firebase ID token: `x-hasura-default-role`, `x-hasura-allowed-roles` (must contain the default role) and
 * `x-hasura-user-id`. Firebase copies custom claims into every ID token, so setting them from the blocking
 * `beforeUserCreated` function puts them into the very first token.
 */

/** The namespace Hasura reads claims from unless `claims_namespace` says otherwise. */
export const hasuraClaimsNamespace = "https://hasura.io/jwt/claims";

/**
 * Global roles a user row can hold (`users.role`), which become Hasura roles. App administrators are `operator`s:
 * Hasura's `admin` role is not one of them, because an `admin` token would get Hasura's metadata API and run_sql (the
 * whole database); `admin` is for requests made with the admin secret alone.
 */
export const userRoles = ["user", "operator"] as const;
export type UserRole = (typeof userRoles)[number];

/** Firebase rejects custom claims whose JSON serialization exceeds 1000 bytes. */
export const maxCustomClaimsBytes = 1000;

/** Firebase uids are at most 128 characters. */
const maxUidLength = 128;

export interface HasuraSessionClaims {
  "x-hasura-default-role": UserRole;
  "x-hasura-allowed-roles": UserRole[];
  "x-hasura-user-id": string;
}

export interface HasuraCustomClaims {
  [hasuraClaimsNamespace]: HasuraSessionClaims;
}

/**
 * Builds the Firebase custom claims that make Hasura treat the token's bearer as `uid` with `role`.
 *
 * An operator may also act as a plain user (Hasura lets a client pick any allowed role with `x-hasura-role`), so the
 * operator variant allows both roles and defaults to `operator`.
 *
 * @throws Error when `uid` is not a Firebase uid, `role` is not one of {@link userRoles} (Hasura's built-in `admin`
 *   above all), or the claims would exceed Firebase's limit.
 */
export function hasuraClaims(uid: string, role: UserRole = "user"): HasuraCustomClaims {
  if (typeof uid !== "string" || uid.length === 0 || uid.length > maxUidLength) {
    throw new Error(`hasuraClaims: uid must be a non-empty string of at most ${maxUidLength} characters`);
  }
  if ((role as string) === "admin") {
    throw new Error(
      'hasuraClaims: role "admin" is Hasura\'s built-in admin role (full access, metadata and run_sql), reserved for the admin secret; app administrators have the role "operator"',
    );
  }
  if (!userRoles.includes(role)) {
    throw new Error(`hasuraClaims: role must be one of ${userRoles.join(", ")}, got ${JSON.stringify(role)}`);
  }
  const claims: HasuraCustomClaims = {
    [hasuraClaimsNamespace]: {
      "x-hasura-default-role": role,
      "x-hasura-allowed-roles": role === "operator" ? ["user", "operator"] : ["user"],
      "x-hasura-user-id": uid,
    },
  };
  assertCustomClaimsSize(claims);
  return claims;
}

/** Size in bytes of the custom claims as Firebase measures them (their JSON serialization, UTF-8). */
export function customClaimsBytes(claims: object): number {
  return Buffer.byteLength(JSON.stringify(claims), "utf8");
}

/**
 * Fails early, in our code, instead of in Identity Platform, where an oversized claims object would reject the
 * sign-up with a less helpful message.
 */
export function assertCustomClaimsSize(claims: object): void {
  const bytes = customClaimsBytes(claims);
  if (bytes > maxCustomClaimsBytes) {
    throw new Error(`Custom claims are ${bytes} bytes, over Firebase's limit of ${maxCustomClaimsBytes} bytes`);
  }
}
