import type { PickScope } from "../eligibility.js";
import type { GroupRuntime } from "../group-runtime.js";

/** Picks one eligible deployment among indexes [from, to) of a group; -1 when none is. */
export type Strategy = (g: GroupRuntime, from: number, to: number, scope: PickScope) => number;
