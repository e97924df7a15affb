/**
 * The simulator's deterministic text: a pure function of (seed, tokens), identical on every
 * protocol, streamed or not, so any test can fetch the truth once and compare byte for byte.
 * Pieces are generated in order from one PRNG, so a shorter text is a prefix of a longer one
 * (a run cut at `max_tokens` is the start of the full answer).
 */

const asciiWords = (
  "the agent reads a long report and writes notes about streams offsets bytes while tools run in " +
  "the background session log resumes exactly where it stopped every delta carries its offset so " +
  "nothing is lost or repeated when a runner hands off"
).split(" ");
// Two-byte UTF-8 (Latin accents, Greek, Cyrillic).
const accentedWords =
  "café naïve façade über señor crème brûlée Zürich déjà piñata smörgåsbord Łódź Ærøskøbing Ελλάδα Привет".split(
    " ",
  );
// Three-byte UTF-8.
const cjkWords = "漢字 東京 日本語 中文 한국어 さくら 北京 データ 流れ 记录".split(" ");
// Four-byte UTF-8, including a ZWJ sequence and a flag (several code points, one glyph).
const emojiWords = "🚀 🎉 👩‍💻 🇫🇷 🌟 🧪 📦 🔁 🐙".split(" ");

/** FNV-1a: a stable 32-bit hash of the seed's string form (so 42 and "42" are the same seed). */
function hashSeed(seed: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < seed.length; index++) {
    hash ^= seed.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: tiny, fast and good enough for varied text. */
function createRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

function pick(words: readonly string[], random: () => number): string {
  return words[Math.floor(random() * words.length)]!;
}

/**
 * The text as its `tokens` word-ish pieces, in stream order. The first three pieces are an
 * accented word, a CJK word and an emoji, so every text of three or more tokens exercises
 * two-, three- and four-byte UTF-8.
 */
export function simulatedPieces(seed: string | number, tokens: number): string[] {
  const random = createRandom(hashSeed(String(seed)));
  const pieces: string[] = [];
  let endsSentence = false;
  for (let index = 0; index < tokens; index++) {
    const roll = random();
    let word: string;
    if (index === 0) word = pick(accentedWords, random);
    else if (index === 1) word = pick(cjkWords, random);
    else if (index === 2) word = pick(emojiWords, random);
    else if (roll < 0.7) word = pick(asciiWords, random);
    else if (roll < 0.82) word = pick(accentedWords, random);
    else if (roll < 0.91) word = pick(cjkWords, random);
    else word = pick(emojiWords, random);
    const separator = index === 0 ? "" : endsSentence && random() < 0.2 ? "\n\n" : " ";
    const punctuation = random() < 0.1 ? "." : random() < 0.05 ? "," : "";
    endsSentence = punctuation === ".";
    pieces.push(`${separator}${word}${punctuation}`);
  }
  return pieces;
}

/** The whole deterministic text for `seed` and `tokens` (the number of word-ish pieces). */
export function simulatedText(seed: string | number, tokens: number): string {
  return simulatedPieces(seed, tokens).join("");
}

/** `#sim echo`: the given text as word-ish pieces (each a word with the whitespace before it). */
export function echoedPieces(text: string): string[] {
  const pieces: string[] = [...(text.match(/\s*\S+/g) ?? [])];
  const trailing = text.slice(pieces.join("").length);
  if (trailing) pieces.push(trailing);
  return pieces;
}
