/**
 * Firebase Hosting sites. Site ids are global (<site>.web.app): the plan checks their form, never that the id is free.
 */
import { patternRule, type FidelityRule } from "./rule";

const SITE = "gcp:firebase/hostingSite:HostingSite";

export const firebaseRules: FidelityRule[] = [
  // The site id is the subdomain of web.app and firebaseapp.com, so at most a 63-character DNS label. The Hosting REST
  // reference (projects.sites.create, siteId) only says "a globally unique identifier"; that underscores are refused
  // is the API's own answer ("Invalid name: `your_firebase_site_id` is invalid; try something like
  // `yourfirebasesiteid`", https://github.com/GoogleCloudPlatform/gcc-creative-studio/issues/132). A shorter length
  // limit is not documented.
  patternRule({
    id: "firebase/hosting-site-id",
    types: [SITE],
    field: "siteId",
    constraint: "a DNS label: 1-63 lowercase letters, digits or hyphens, not starting or ending with a hyphen",
    source: "https://firebase.google.com/docs/reference/hosting/rest/v1beta1/projects.sites/create",
    pattern: /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    max: 63,
  }),
];
