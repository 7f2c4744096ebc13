/**
 * The Firebase Hosting configuration (`firebase.json`) for the Flutter web build of a stack: where the files are, the
 * single-page-app rewrite, caching, and the security headers with a Content-Security-Policy built from the stack's
 * outputs.
 *
 * Why each CSP source is there (anything not listed is blocked):
 *
 * - The stack's Hasura, as its https origin (queries, mutations) and its wss origin (subscriptions): connect-src.
 * - Firebase Auth: `identitytoolkit.googleapis.com` (sign-in, reCAPTCHA config) and `securetoken.googleapis.com`
 *   (ID-token refresh) in connect-src; the stack's `authDomain` in frame-src, because the Auth SDK embeds
 *   `https://<authDomain>/__/auth/iframe` for popup and redirect sign-in; `apis.google.com` in script-src, from which
 *   the SDK loads the gapi loader (`/js/api.js`) that creates that iframe.
 * - reCAPTCHA, which Firebase Auth runs before sending a sign-in SMS (and for Identity Platform's reCAPTCHA
 *   Enterprise): scripts under `www.google.com/recaptcha/` and `www.gstatic.com/recaptcha/`, its frames under
 *   `www.google.com/recaptcha/` and `recaptcha.google.com/recaptcha/`, Enterprise calls under `www.google.com/recaptcha/`.
 * - FlutterFire on the web loads the Firebase JS SDK from `www.gstatic.com/firebasejs/` (script-src).
 * - Flutter's engine: `'wasm-unsafe-eval'` to instantiate CanvasKit / skwasm / dart2wasm WebAssembly (without
 *   allowing JavaScript eval); CanvasKit from `www.gstatic.com/flutter-canvaskit/` unless the app is built with
 *   `--no-web-resources-cdn` (script-src and connect-src: the .wasm is fetched); fallback fonts for glyphs the bundled
 *   fonts lack from `fonts.gstatic.com` (fetched, then registered: connect-src and font-src); inline styles that the
 *   engine sets on its DOM elements (`style-src 'unsafe-inline'`; styles cannot run code); workers for the
 *   multi-threaded renderer and the service worker (`worker-src 'self' blob:`).
 * - Build the app with `flutter build web --csp` so the dart2js output does not need `unsafe-eval`; since Flutter
 *   3.22 `index.html` loads `flutter_bootstrap.js` as a file, so no inline script (and no `unsafe-inline` for scripts)
 *   is needed.
 */
import type { HostingOutputs } from "./outputs";

/** The stack values the hosting configuration is built from. */
export interface HostingSite {
  /** Firebase Hosting site id (`hostingSiteId`): the deploy target. */
  siteId: string;
  /** Google Cloud / Firebase project id (`gcpProject`). */
  gcpProject: string;
  hasuraGraphqlUrl: string;
  hasuraWebsocketUrl: string;
  /** `firebaseWebOptions.authDomain`. */
  authDomain: string;
  /** `filesBucket`, when the stack has one: the app PUTs uploads to its signed URLs and shows its images. */
  filesBucket?: string;
}

/** The site a hosting deploy configures, from the stack's outputs (`hostingOutputs`). */
export function hostingSiteOf(outputs: HostingOutputs): HostingSite {
  return {
    siteId: outputs.hostingSiteId,
    gcpProject: outputs.gcpProject,
    hasuraGraphqlUrl: outputs.hasuraGraphqlUrl,
    hasuraWebsocketUrl: outputs.hasuraWebsocketUrl,
    authDomain: outputs.authDomain,
    ...(outputs.filesBucket ? { filesBucket: outputs.filesBucket } : {}),
  };
}

/** Google endpoints Firebase Auth's web SDK calls. */
export const FIREBASE_AUTH_API_ORIGINS = ["https://identitytoolkit.googleapis.com", "https://securetoken.googleapis.com"] as const;

const RECAPTCHA = "https://www.google.com/recaptcha/";
const RECAPTCHA_STATIC = "https://www.gstatic.com/recaptcha/";
const RECAPTCHA_FRAMES = "https://recaptcha.google.com/recaptcha/";
const GAPI = "https://apis.google.com";
const FIREBASE_JS_SDK = "https://www.gstatic.com/firebasejs/";
const CANVASKIT_CDN = "https://www.gstatic.com/flutter-canvaskit/";
const FALLBACK_FONTS = "https://fonts.gstatic.com";

/** CSP directives in the order they are written, each with its sources. */
export function contentSecurityPolicyDirectives(site: HostingSite): [string, string[]][] {
  const hasuraHttp = new URL(site.hasuraGraphqlUrl).origin;
  const hasuraWebsocket = new URL(site.hasuraWebsocketUrl).origin;
  const authDomain = `https://${site.authDomain}`;
  // Signed URLs are path-style (https://storage.googleapis.com/<bucket>/<object>?X-Goog-…): this bucket's paths only,
  // never the whole host, which serves every public bucket.
  const files = site.filesBucket ? [`https://storage.googleapis.com/${site.filesBucket}/`] : [];
  return [
    ["default-src", ["'self'"]],
    ["script-src", ["'self'", "'wasm-unsafe-eval'", FIREBASE_JS_SDK, GAPI, RECAPTCHA, RECAPTCHA_STATIC, CANVASKIT_CDN]],
    ["connect-src", ["'self'", hasuraHttp, hasuraWebsocket, ...FIREBASE_AUTH_API_ORIGINS, RECAPTCHA, CANVASKIT_CDN, FALLBACK_FONTS, ...files]],
    ["frame-src", [authDomain, RECAPTCHA, RECAPTCHA_FRAMES]],
    ["style-src", ["'self'", "'unsafe-inline'"]],
    ["font-src", ["'self'", FALLBACK_FONTS]],
    ["img-src", ["'self'", "data:", "blob:", ...files]],
    ["worker-src", ["'self'", "blob:"]],
    ["manifest-src", ["'self'"]],
    ["object-src", ["'none'"]],
    ["base-uri", ["'self'"]],
    ["form-action", ["'self'"]],
    ["frame-ancestors", ["'none'"]],
  ];
}

/** The Content-Security-Policy header value for a stack's web app. */
export function contentSecurityPolicy(site: HostingSite): string {
  return contentSecurityPolicyDirectives(site)
    .map(([directive, sources]) => [directive, ...sources].join(" "))
    .join("; ");
}

export interface HostingHeaderRule {
  source?: string;
  regex?: string;
  headers: { key: string; value: string }[];
}

export interface FirebaseJson {
  hosting: {
    site: string;
    public: string;
    ignore: string[];
    rewrites: { source: string; destination: string }[];
    headers: HostingHeaderRule[];
  };
}

/** Revalidate on every use: cheap with Hosting's ETags, and a deploy is visible at once. */
export const NO_CACHE = "no-cache";
/** For files whose name changes whenever their content does. */
export const IMMUTABLE = "public, max-age=31536000, immutable";

/**
 * Files whose names carry a content hash (`name.3f9a1c2e.js`, `chunk-5d41402a.wasm`): the only files that may be
 * cached for a year. Flutter's own build output (`main.dart.js`, `flutter_bootstrap.js`, `canvaskit/…`, `assets/…`)
 * keeps the same names from one build to the next, so it is revalidated instead: caching `main.dart.js` for a year
 * would pin users to an old app. RE2 syntax, as Hosting evaluates it.
 */
export const HASHED_ASSET_REGEX = "^/.*[.-][0-9a-fA-F]{8,}\\.(?:js|mjs|css|wasm|woff2?|ttf|otf|png|jpe?g|gif|webp|avif|svg|ico)$";

/**
 * `firebase.json` for deploying `publicDir` to the stack's hosting site.
 *
 * Hosting applies every header rule that matches a request and, for the same header, the last matching rule wins
 * (firebase/firebase-tools#9467), so the rules go from general to specific.
 */
export function firebaseJson(site: HostingSite, publicDir: string): FirebaseJson {
  return {
    hosting: {
      site: site.siteId,
      public: publicDir,
      ignore: ["firebase.json", "**/.*", "**/node_modules/**"],
      // A single-page app: every path that is not a file is a route of the app.
      rewrites: [{ source: "**", destination: "/index.html" }],
      headers: [
        {
          source: "**",
          headers: [
            { key: "Content-Security-Policy", value: contentSecurityPolicy(site) },
            { key: "Strict-Transport-Security", value: "max-age=31536000; includeSubDomains" },
            { key: "X-Content-Type-Options", value: "nosniff" },
            { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
            // frame-ancestors for browsers that predate it.
            { key: "X-Frame-Options", value: "DENY" },
            { key: "Cache-Control", value: NO_CACHE },
          ],
        },
        { regex: HASHED_ASSET_REGEX, headers: [{ key: "Cache-Control", value: IMMUTABLE }] },
        // The entry points must never be cached, whatever a later rule above might match.
        { source: "/index.html", headers: [{ key: "Cache-Control", value: NO_CACHE }] },
        { source: "/flutter_service_worker.js", headers: [{ key: "Cache-Control", value: NO_CACHE }] },
      ],
    },
  };
}

/** Arguments for firebase-tools that deploy the hosting site of `firebase.json` to the stack's project. */
export function firebaseDeployArgs(site: HostingSite): string[] {
  return ["deploy", "--only", `hosting:${site.siteId}`, "--project", site.gcpProject];
}
