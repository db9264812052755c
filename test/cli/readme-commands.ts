// Reading README.md's commands for the tests that run them: shell words of
// a command line (quotes, backslash escapes), the README's sample blocks (a
// `$ btfsnoop ...` line followed by its output) and its example commands.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const README = join(__dirname, "../../README.md");

export function readme(): string {
  return readFileSync(README, "utf8");
}

/**
 * Shell words of `line` as sh would split them (single and double quotes,
 * backslash escapes), up to the first unquoted `|`, `;`, `>`, `&` or `#`
 * (what follows is another program, a redirection or a comment). `rest` is
 * that tail, and `end` where it starts.
 */
export function shellWords(line: string): { words: string[]; rest: string; end: number } {
  const words: string[] = [];
  let cur: string | undefined;
  let i = 0;
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in ${line}`);
      cur = (cur ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let s = "";
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) i++;
        s += line[i];
      }
      if (i >= line.length) throw new Error(`unterminated " in ${line}`);
      cur = (cur ?? "") + s;
    } else if (c === "\\" && i + 1 < line.length) {
      cur = (cur ?? "") + line[++i];
    } else if (/\s/.test(c)) {
      if (cur !== undefined) words.push(cur);
      cur = undefined;
    } else if ("|;>&#".includes(c) && (c !== "#" || cur === undefined)) {
      break;
    } else {
      cur = (cur ?? "") + c;
    }
  }
  if (cur !== undefined) words.push(cur);
  return { words, rest: line.slice(i).trim(), end: i };
}

/** A fenced block of the README: its info string (`sh`, `ts`, ""), its lines, and where it starts (0-based line of the opening fence). */
export interface Block {
  lang: string;
  lines: string[];
  line: number;
}

export function blocks(text: string): Block[] {
  const out: Block[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!m) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    out.push({ lang: m[1]!, lines: body, line: start });
  }
  return out;
}
