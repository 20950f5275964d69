/**
 * Cuts the model's streamed text into units for TTS: a sentence, or a clause once enough text has
 * gathered, so the first audio can start long before the model has finished. The first unit of a
 * reply may be shorter (lower time to first audio); later ones are longer (better prosody, fewer
 * TTS requests). Deterministic: the same text cut into any deltas gives the same units.
 */

export interface ClauseCutterOptions {
  /** A clause boundary (, ; : —) cuts the first unit once it has this many characters. */
  firstMinChars?: number;
  /** … and later units once they have this many. */
  minChars?: number;
  /** With no boundary at all, cut at the last space once the unit is this long. */
  maxChars?: number;
}

// Sentence ends need whitespace after them ("3.5", "e.g.x" do not end anything); CJK enders do not.
const SENTENCE_END = /([.?!…]+["')\]]*)\s|([。？！])/g;
const CLAUSE_END = /([,;:—–])\s/g;
const ABBREVIATIONS = /(?:^|\s)(?:mr|mrs|ms|dr|st|prof|sr|jr|vs|etc|e\.g|i\.e|no|tel)\.$/i;

export class ClauseCutter {
  private buf = '';
  private emitted = 0;
  private readonly firstMin: number;
  private readonly min: number;
  private readonly max: number;

  constructor(opts: ClauseCutterOptions = {}) {
    this.firstMin = opts.firstMinChars ?? 12;
    this.min = opts.minChars ?? 40;
    this.max = opts.maxChars ?? 160;
  }

  /** Adds streamed text; returns the units that are complete. */
  push(text: string): string[] {
    this.buf += text;
    const out: string[] = [];
    for (;;) {
      const cut = this.findCut();
      if (cut === undefined) break;
      const unit = this.buf.slice(0, cut).trim();
      this.buf = this.buf.slice(cut).replace(/^\s+/, '');
      if (unit) {
        out.push(unit);
        this.emitted++;
      }
    }
    return out;
  }

  /** End of the model's text: whatever remains is the last unit. */
  flush(): string[] {
    const unit = this.buf.trim();
    this.buf = '';
    if (!unit) return [];
    this.emitted++;
    return [unit];
  }

  private findCut(): number | undefined {
    const b = this.buf;
    SENTENCE_END.lastIndex = 0;
    for (let m = SENTENCE_END.exec(b); m; m = SENTENCE_END.exec(b)) {
      const end = m.index + (m[1] ?? m[2]!).length;
      if (m[1] && m[1].startsWith('.') && ABBREVIATIONS.test(b.slice(0, end))) continue;
      return end;
    }
    const min = this.emitted === 0 ? this.firstMin : this.min;
    CLAUSE_END.lastIndex = 0;
    for (let m = CLAUSE_END.exec(b); m; m = CLAUSE_END.exec(b)) {
      const end = m.index + 1;
      if (end >= min) return end;
    }
    if (b.length >= this.max) {
      const sp = b.lastIndexOf(' ', this.max);
      if (sp > 0) return sp;
    }
    return undefined;
  }
}
