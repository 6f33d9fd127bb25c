// Types for packages that ship none: the part of their API the code uses. bidi-js:
declare module 'bidi-js' {
  interface Bidi {
    getEmbeddingLevels(text: string, direction?: 'ltr' | 'rtl' | 'auto'): { levels: Uint8Array; paragraphs: Array<{ start: number; end: number; level: number }> };
    getMirroredCharacter(char: string): string | null;
  }
  export default function bidiFactory(): Bidi;
}

// fontkit (pdfkit's font engine, used directly only by the shaping test).
declare module 'fontkit' {
  export function openSync(path: string): { layout(text: string): { glyphs: Array<{ name: string; codePoints: number[] }> } };
}
