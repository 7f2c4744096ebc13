/**
 * The pulsura policy pack, for `pulumi preview --policy-pack policy [--policy-pack-config policy/config.dev.json]`.
 * The rules live in ./rules so tests and the offline plan can use them without starting the policy server.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./rules";

new PolicyPack("pulsura", { policies: [...policies] });
