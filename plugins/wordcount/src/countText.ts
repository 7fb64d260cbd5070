/**
 * GPT-2's pre-tokenizer pattern (contractions, letter runs, digit runs, punctuation runs, spaces): each
 * match is at least one BPE token, so the count is a floor that is close for ordinary prose. A real
 * tokenizer's vocabulary is megabytes; an estimate is what a word counter needs.
 */
const PRE_TOKENS = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
const WORDS = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;

export interface TextCounts {
  words: number;
  characters: number;
  charactersWithoutSpaces: number;
  lines: number;
  estimatedTokens: number;
}

export function countText(text: string): TextCounts {
  const characters = [...text].length;
  return {
    words: text.match(WORDS)?.length ?? 0,
    characters,
    charactersWithoutSpaces: [...text.replace(/\s+/gu, '')].length,
    lines: text === '' ? 0 : text.split(/\r\n|\r|\n/).length,
    estimatedTokens: text.match(PRE_TOKENS)?.length ?? 0,
  };
}
