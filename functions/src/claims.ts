/**
 * Hasura's claims come from one definition, shared with the microservices (the core service's user_role_changed
 * sets the same claims when a role changes): see services/kit/src/claims.ts. It imports nothing, so it bundles here.
 */
export * from "../../services/kit/src/claims";
