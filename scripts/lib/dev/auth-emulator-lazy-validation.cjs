/**
 * Preloaded (--require) into the Firebase CLI by `npm run dev` (firebase.ts). The Auth emulator serves the Identity
 * Toolkit API through exegesis, which by default compiles the JSON-schema validators of every operation of that
 * large OpenAPI document with ajv before the emulator listens: most of the emulators' start-up (about 25 s of CPU on
 * the 2-core build machines, where `npm run dev` was ready after 18 s or more). exegesis' own option
 * lazyCompileValidationSchemas compiles each operation's validators on its first request instead; requests are
 * validated exactly as before. Only the default changes: an explicit setting by the emulator would still win.
 */
"use strict";
const path = require("node:path");

try {
  const firebaseTools = path.dirname(require.resolve("firebase-tools/package.json"));
  const exegesisOptions = require(require.resolve("exegesis/lib/options", { paths: [firebaseTools] }));
  const compileOptions = exegesisOptions.compileOptions;
  if (typeof compileOptions === "function") {
    exegesisOptions.compileOptions = (options) => compileOptions({ lazyCompileValidationSchemas: true, ...options });
  }
} catch {
  // A firebase-tools without exegesis where it was: the emulator starts as it always did, only slower.
}
