/**
 * Artifact Registry repositories.
 */
import { enumRule, patternRule, projectLocationScope, stringAt, uniqueRule, type FidelityRule } from "./rule";

const REPOSITORY = "gcp:artifactregistry/repository:Repository";
const CREATE_SOURCE = "https://cloud.google.com/artifact-registry/docs/repositories/create-repos";

export const artifactRegistryRules: FidelityRule[] = [
  // The create-repos page: repository names contain lowercase letters, numbers and hyphens, start with a letter and
  // end with a letter or number, at most 63 characters. The REST reference (projects.locations.repositories.create,
  // repositoryId) does not restate it and the provider does not validate it; the stored copies of the page were
  // excerpts, so the exact wording is not quoted here.
  patternRule({
    id: "artifactregistry/repository-id",
    types: [REPOSITORY],
    field: "repositoryId",
    constraint: "1-63 lowercase letters, digits or hyphens, starting with a letter, ending with a letter or digit",
    source: CREATE_SOURCE,
    pattern: /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    max: 63,
  }),
  uniqueRule({
    id: "artifactregistry/repository-id-unique",
    types: [REPOSITORY],
    field: "repositoryId",
    source: CREATE_SOURCE,
    read: (r) => stringAt(r.inputs, "repositoryId"),
    scope: projectLocationScope,
    scopeName: "project and location",
  }),
  // Provider enum (resource_artifact_registry_repository.go, `mode`) and the API's Repository.Mode.
  enumRule({
    id: "artifactregistry/mode",
    types: [REPOSITORY],
    field: "mode",
    source: "https://cloud.google.com/artifact-registry/docs/reference/rest/v1/projects.locations.repositories#mode",
    values: ["STANDARD_REPOSITORY", "VIRTUAL_REPOSITORY", "REMOTE_REPOSITORY"],
  }),
];
