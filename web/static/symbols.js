// Category symbols: one SVG per category, used both as the map's icons and in
// the results list, so a symbol means the same thing in both. Each category has
// its own shape and letter as well as its colour, so colour is never the only
// cue. Colours keep white letters above 4.5:1 and the shapes above 3:1 against
// the map's light background.

const KNOWN = {
  gp: { colour: "#1d6b40", shape: "circle", letter: "G" },
  pharmacy: { colour: "#0b5394", shape: "square", letter: "P" },
  food_bank: { colour: "#8a4500", shape: "diamond", letter: "F" },
  library: { colour: "#5b2a86", shape: "hexagon", letter: "L" },
  advice: { colour: "#a0204a", shape: "shield", letter: "A" },
  community_centre: { colour: "#00606b", shape: "octagon", letter: "C" },
  warm_space: { colour: "#a33600", shape: "circle", letter: "W" },
  youth_club: { colour: "#3d4a5c", shape: "square", letter: "Y" },
};

const FALLBACK_COLOURS = ["#4a4a8a", "#6b4226", "#2f5d50", "#7a2e5c", "#36454f"];
const SHAPES = ["circle", "square", "diamond", "hexagon", "shield", "octagon"];

/** The colour, shape and letter of a category (stable for unknown ones too). */
export function symbolOf(category) {
  if (KNOWN[category]) return KNOWN[category];
  let hash = 0;
  for (const ch of category) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return {
    colour: FALLBACK_COLOURS[hash % FALLBACK_COLOURS.length],
    shape: SHAPES[hash % SHAPES.length],
    letter: (category[0] || "?").toUpperCase(),
  };
}

function outline(shape) {
  switch (shape) {
    case "square":
      return '<rect x="3" y="3" width="26" height="26" rx="4"/>';
    case "diamond":
      return '<path d="M16 1 31 16 16 31 1 16Z"/>';
    case "hexagon":
      return '<path d="M16 1.5 29 9v14l-13 7.5L3 23V9Z"/>';
    case "shield":
      return '<path d="M4 3h24v12c0 8-6 13-12 15.5C10 28 4 23 4 15Z"/>';
    case "octagon":
      return '<path d="M10.5 2h11l8.5 8.5v11L21.5 30h-11L2 21.5v-11Z"/>';
    default:
      return '<circle cx="16" cy="16" r="14"/>';
  }
}

/** The symbol as SVG text, `size` CSS pixels square. */
export function symbolSvg(category, size = 32) {
  const s = symbolOf(category);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 32 32" aria-hidden="true" focusable="false">` +
    `<g fill="${s.colour}" stroke="#ffffff" stroke-width="2">${outline(s.shape)}</g>` +
    `<text x="16" y="21.5" text-anchor="middle" font-family="system-ui, sans-serif" font-size="15" font-weight="700" fill="#ffffff">${s.letter}</text>` +
    `</svg>`
  );
}

/** Adds every category's symbol to a map as the image `sym-<category>`. */
export async function addSymbols(map, categories) {
  const ratio = 2;
  await Promise.all(
    categories.map(async (c) => {
      const id = `sym-${c}`;
      if (map.hasImage(id)) return;
      const img = new Image(32 * ratio, 32 * ratio);
      img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(symbolSvg(c, 32 * ratio));
      await img.decode();
      if (!map.hasImage(id)) map.addImage(id, img, { pixelRatio: ratio });
    }),
  );
}
