import type { Auth } from "firebase-admin/auth";

/**
 * Returns a getter for Firebase Admin Auth that initializes the SDK on first use. Most requests never touch
 * Firebase, and loading firebase-admin costs tens of milliseconds: keeping it lazy keeps cold starts short.
 *
 * Credentials are Application Default Credentials (the Cloud Run service account); `FIREBASE_AUTH_EMULATOR_HOST`
 * points the SDK at the Auth emulator in tests.
 */
export function lazyFirebaseAuth(projectId: string): () => Auth {
  let auth: Auth | undefined;
  return () => {
    if (auth) return auth;
    // Required here, not imported at the top, so the bundle evaluates firebase-admin only when a handler needs it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const app = require("firebase-admin/app") as typeof import("firebase-admin/app");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { getAuth } = require("firebase-admin/auth") as typeof import("firebase-admin/auth");
    const existing = app.getApps().find((candidate) => candidate.name === "[DEFAULT]");
    auth = getAuth(existing ?? app.initializeApp({ projectId }));
    return auth;
  };
}
