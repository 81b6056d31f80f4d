/** JSON log lines checked for what JSON.parse hides. */

/** Top-level keys that appear more than once in one JSON object text (JSON.parse silently keeps the last). */
export function duplicateKeys(text: string): string[] {
  const seen = new Set<string>();
  const dups: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
    else if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const s = text.slice(i + 1, j);
      if (depth === 1 && text[j + 1] === ':') {
        if (seen.has(s)) dups.push(s);
        seen.add(s);
      }
      i = j;
    }
  }
  return dups;
}
