/**
 * Checksums the resource constructors compute at program time. Kept apart from the modules the providers
 * capture, so that Pulumi's serialized providers do not carry node:crypto.
 */
import { createHash } from "node:crypto";

/** Hex SHA-256 of a file's text; the providers compare these to see what changed since the last deploy. */
export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
