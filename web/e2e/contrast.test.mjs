// Colour contrast of what the map draws, which axe cannot see inside the
// canvas: each category symbol against the map's background (WCAG 1.4.11,
// 3:1 for graphics) and its white letter against the symbol (1.4.3, 4.5:1).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { symbolOf } from "../static/symbols.js";

function luminance(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const contrast = (a, b) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
};

const background = readFileSync(new URL("../static/common.js", import.meta.url), "utf8").match(/const BACKGROUND = "(#[0-9a-f]{6})"/)[1];
const categories = ["gp", "pharmacy", "food_bank", "library", "advice", "community_centre", "warm_space", "youth_club", "some_new_kind", "x"];

test("category symbols stand out from the map and their letters from the symbols", () => {
  for (const c of categories) {
    const { colour } = symbolOf(c);
    assert.ok(contrast(colour, background) >= 3, `${c}: ${colour} on ${background} is ${contrast(colour, background).toFixed(2)}:1`);
    assert.ok(contrast(colour, "#ffffff") >= 4.5, `${c}: white on ${colour} is ${contrast(colour, "#ffffff").toFixed(2)}:1`);
  }
});

test("every known category has its own shape-and-letter pair", () => {
  const known = categories.slice(0, 8).map((c) => `${symbolOf(c).shape}/${symbolOf(c).letter}`);
  assert.equal(new Set(known).size, known.length, known.join(" "));
});

test("cluster counts and the searched place are readable", () => {
  const resident = readFileSync(new URL("../static/resident.js", import.meta.url), "utf8");
  const cluster = resident.match(/"circle-color": "(#[0-9a-f]{6})"/)[1];
  assert.ok(contrast(cluster, "#ffffff") >= 4.5, `cluster count white on ${cluster}`);
  assert.ok(contrast(cluster, background) >= 3, `cluster ${cluster} on the background`);
  assert.ok(contrast("#0b0c0c", background) >= 3, "the searched place's marker");
});
