import { eligible } from "../eligibility.js";
import type { Strategy } from "./strategy.js";

/** Weighted random among the eligible (weight, else rpm, else tpm); zero weights share equally. */
export const simpleShuffle: Strategy = (g, from, to, scope) => {
  let total = 0;
  let count = 0;
  let only = -1;
  for (let i = from; i < to; i++) {
    if (!eligible(g, i, scope)) continue;
    total += g.weights[i]!;
    count++;
    only = i;
  }
  if (count <= 1) return only;
  if (total <= 0) {
    let k = Math.floor(scope.random() * count);
    for (let i = from; i < to; i++) {
      if (eligible(g, i, scope) && k-- === 0) return i;
    }
    return only;
  }
  let r = scope.random() * total;
  for (let i = from; i < to; i++) {
    const w = g.weights[i]!;
    if (w <= 0 || !eligible(g, i, scope)) continue;
    r -= w;
    if (r < 0) return i;
  }
  return only;
};
