// The page's own formatting, checked in Node: the same cases as the server's
// first-results renderer (src/http/web/first.rs), so both write the same text.

import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDistance, inText } from "../static/common.js";

test("distances read the same as the server writes them", () => {
  assert.equal(formatDistance(93.2), "90 m");
  assert.equal(formatDistance(994), "990 m");
  assert.equal(formatDistance(995), "1.0 km");
  assert.equal(formatDistance(1234), "1.2 km");
  assert.equal(formatDistance(12345), "12 km");
});

test("labels lose their capital in running text unless they start with an acronym", () => {
  assert.equal(inText("Food bank"), "food bank");
  assert.equal(inText("GP practice"), "GP practice");
  assert.equal(inText("Pharmacy"), "pharmacy");
  assert.equal(inText("A"), "a");
});
