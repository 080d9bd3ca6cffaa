/**
 * One of wink-nlp's pattern machines (its SBD and POS models are such machines), walked as wink-nlp
 * 2.4.0's src/automaton.js `recognize` walks it when no substitutions are set: greedy, longest
 * match, falling back to the last state with an `otherwise` edge. The machine's JSON is the model's
 * own; its edges go into one flat table, so a step is a map read and an array read instead of two
 * property reads on dictionary-mode objects.
 */

/** A step's machines as the model gives them (`model.sbd()`, `model.pos()` of wink-eng-lite-web-model). */
export interface WinkMachines {
  machines: string[];
}

/** wink-nlp's automaton constants (src/automaton.js). */
const EOS_TOKEN = 2070000;
const OTHERWISE = 2070003;
/** A hint's symbol is the hint plus this (the model's SBD and POS transformers). */
export const HINT_DELTA = 1080000;
/** A symbol the walk skips (wink-nlp skips its ignored token before transforming it). */
export const SKIP = -1;

export class WinkMachine {
  /** Column of each symbol that has an edge anywhere in the machine. */
  private readonly columns = new Map<number, number>();
  private readonly width: number;
  /** Next state by state and column; 0 (the root) where there is no edge. */
  private readonly next: Int32Array;
  /** Target of each state's `otherwise` edge (0: none). */
  private readonly otherwiseOf: Int32Array;
  /** Each terminal state's pattern name ('' for states that are not terminal). */
  readonly names: string[] = [];
  /** Each marked terminal state's mark: how far the match's start moves right. */
  private readonly markStart: Int32Array;
  private readonly ignored: Uint8Array;
  private readonly found: number[] = [];

  constructor(json: string) {
    const model = JSON.parse(json) as [
      number,
      number,
      Record<string, Record<string, number>>,
      Record<string, string>,
      Record<string, [number, number]>,
    ];
    const [, , fsm, terminal, marked] = model;
    let states = 1;
    const bump = (s: number) => {
      if (s + 1 > states) states = s + 1;
    };
    for (const [state, edges] of Object.entries(fsm)) {
      bump(Number(state));
      for (const [event, next] of Object.entries(edges)) {
        bump(next);
        const e = Number(event);
        if (e !== OTHERWISE && !this.columns.has(e)) this.columns.set(e, this.columns.size);
      }
    }
    for (const s of Object.keys(terminal)) bump(Number(s));
    this.width = this.columns.size;
    this.next = new Int32Array(states * this.width);
    this.otherwiseOf = new Int32Array(states);
    this.markStart = new Int32Array(states);
    this.ignored = new Uint8Array(states);
    for (const [state, edges] of Object.entries(fsm))
      for (const [event, next] of Object.entries(edges)) {
        const e = Number(event);
        if (e === OTHERWISE) this.otherwiseOf[Number(state)] = next;
        else this.next[Number(state) * this.width + (this.columns.get(e) as number)] = next;
      }
    for (let s = 0; s < states; s++) this.names.push('');
    // wink-nlp tests a state's name for truth: '0' is a terminal state whose pattern it ignores
    for (const [state, name] of Object.entries(terminal)) {
      this.names[Number(state)] = name;
      if (name === '0') this.ignored[Number(state)] = 1;
    }
    for (const [state, mark] of Object.entries(marked)) this.markStart[Number(state)] = mark[0];
  }

  private step(state: number, symbol: number): number {
    const c = this.columns.get(symbol);
    return c === undefined ? 0 : this.next[state * this.width + c];
  }

  /**
   * The patterns in `symbols[0..length)`, as pairs in one reused array: the match's first token
   * (after the state's mark) and the terminal state (its name in `names`). Ignored patterns are left
   * out. The array is valid until the next call.
   */
  recognize(symbols: Int32Array, length: number): number[] {
    const found = this.found;
    found.length = 0;
    const names = this.names;
    let first = 0;
    let state = 0;
    let ns = 0;
    let lastOtherwiseIndex = 0;
    let lastOtherwiseState = 0;
    for (let i = 0; i <= length; i++) {
      for (let j = i; j <= length; j++) {
        const t = j === length ? EOS_TOKEN : symbols[j];
        if (t === SKIP) continue;
        ns = this.step(state, t);
        if (state === 0 && ns !== 0) first = j;
        if (names[ns] !== '') {
          this.push(first, ns);
          i = j;
          j = length + 100;
          ns = 0;
          lastOtherwiseState = 0;
        } else if (ns === 0) {
          if (lastOtherwiseState !== 0) {
            this.push(first, lastOtherwiseState);
            i = lastOtherwiseIndex;
            j = length + 100;
            ns = 0;
            lastOtherwiseState = 0;
          } else j = length + 100;
        }
        state = ns;
        const o = this.otherwiseOf[state];
        if (o !== 0) {
          lastOtherwiseIndex = j;
          lastOtherwiseState = o;
        }
      }
    }
    return found;
  }

  private push(first: number, state: number): void {
    if (this.ignored[state]) return;
    this.found.push(first + this.markStart[state], state);
  }
}
