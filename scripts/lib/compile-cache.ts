/**
 * Imported first by CLIs that load much code (the plan loads @pulumi/pulumi, @pulumi/gcp, TypeScript for Pulumi's
 * closure serializer and the program): Node keeps V8's compiled code of every module in .tmp/compile-cache/, so a
 * second run skips most of the compiling (about 0.5 s of the plan). An entry is used only while its file's text is
 * unchanged, and Node 24 ignores a cache it cannot use, so this never changes what runs.
 */
import { enableCompileCache } from "node:module";
import { join } from "node:path";

enableCompileCache(join(__dirname, "..", "..", ".tmp", "compile-cache"));
