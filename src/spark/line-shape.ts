// The shape of a JSON region as Spark writes it for one event type: its bytes with the values taken out. Lines of one
// log share it (the same keys in the same order; only numbers and strings differ), so a line can be read by comparing
// its bytes with the shape's literal text and parsing just the values in between, instead of tokenizing and hashing
// every key. Shapes are learnt from lines the general tokenizer read (field-scanner.ts), never assumed.

/** What sits at a value position. */
export const V_NUM = 0
export const V_STR = 1
export const V_BOOL = 2
export const V_NULL = 3
/** an array (any content), stepped over with a bracket matcher that respects strings */
export const V_SKIP = 4

/** A learnt shape: literal i, value i, …, literal n (n values). */
export class Shape {
  constructor (
    /** every literal's bytes, one after the other */
    readonly lits: Uint8Array,
    /** end of literal i in `lits` (n + 1 entries) */
    readonly litEnd: Int32Array,
    /** kind of value i (V_…) */
    readonly kinds: Uint8Array,
    /** slot code of value i (-1: not wanted) */
    readonly slots: Int32Array,
    /** the region holds the Task Executor Metrics key */
    readonly executorMetrics: boolean,
    /** > 0: the region ends at a key the tokenizer stops at, this many bytes before the shape's end */
    readonly stopBack: number,
    /** the region ended at the end of its range (a line's end) */
    readonly toEnd: boolean,
    /**
     * Slots whose value, "0", is folded into this shape's text (see bakeZeros): a line that fits the shape has 0
     * there, and the reader stores it. Empty for a shape learnt by the tokenizer.
     */
    readonly zeroSlots: Int32Array = new Int32Array(0),
    /** likewise, head-field slots whose value, false, is folded in */
    readonly falseSlots: Int32Array = new Int32Array(0)
  ) {
    const seen = new Set<number>()
    let repeats = false
    for (const s of slots) {
      if (s < 0) continue
      if (seen.has(s)) repeats = true
      seen.add(s)
    }
    this.backwards = toEnd && stopBack === 0 && !repeats
    // Each literal laid out four times, once for each alignment of its first byte in a 32-bit word, with masks for
    // its partial first and last words: literalAt compares four bytes at a time through an Int32Array view.
    const n = litEnd.length
    this.wOff = new Int32Array(n * 4)
    this.wCnt = new Int32Array(n * 4)
    let total = 0
    for (let k = 0; k < n; k++) {
      const len = litEnd[k]! - (k === 0 ? 0 : litEnd[k - 1]!)
      for (let ph = 0; ph < 4; ph++) {
        const cnt = len === 0 ? 0 : (ph + len + 3) >> 2
        this.wOff[k * 4 + ph] = total
        this.wCnt[k * 4 + ph] = cnt
        total += cnt
      }
    }
    const bytes = new Uint8Array(total * 4)
    const maskBytes = new Uint8Array(total * 4)
    for (let k = 0; k < n; k++) {
      const b = k === 0 ? 0 : litEnd[k - 1]!
      const len = litEnd[k]! - b
      for (let ph = 0; ph < 4; ph++) {
        const at = this.wOff[k * 4 + ph]! * 4 + ph
        bytes.set(lits.subarray(b, b + len), at)
        maskBytes.fill(0xff, at, at + len)
      }
    }
    this.words = new Int32Array(bytes.buffer)
    this.masks = new Int32Array(maskBytes.buffer)
  }

  /** literal k at alignment ph: its words start at words[wOff[k * 4 + ph]], wCnt[…] of them */
  readonly wOff: Int32Array
  readonly wCnt: Int32Array
  readonly words: Int32Array
  /** which bytes of each word belong to the literal */
  readonly masks: Int32Array

  /**
   * Whether literal k lies in `view` (a word view of a line's whole ArrayBuffer) at byte address `at`; undefined when
   * its words reach past the view (the last bytes of a buffer whose length is not a multiple of 4).
   */
  literalAt (k: number, view: Int32Array<ArrayBufferLike>, at: number): boolean | undefined {
    const idx = k * 4 + (at & 3)
    const cnt = this.wCnt[idx]!
    if (cnt === 0) return true
    let w = at >> 2
    if (w + cnt > view.length) return undefined
    const words = this.words
    const masks = this.masks
    const off = this.wOff[idx]!
    if (((view[w]! ^ words[off]!) & masks[off]!) !== 0) return false
    const last = off + cnt - 1
    for (let x = off + 1; x < last; x++) if (view[++w] !== words[x]) return false
    return cnt === 1 || ((view[w + 1]! ^ words[last]!) & masks[last]!) === 0
  }

  /** whether the shape can be read from the end of its region backwards (see matchShapeBack) */
  readonly backwards: boolean

  /** whether the literal text starts with `prefix` */
  startsWith (prefix: Uint8Array): boolean {
    if (this.litEnd[0]! < prefix.length) return false
    for (let i = 0; i < prefix.length; i++) if (this.lits[i] !== prefix[i]) return false
    return true
  }
}

/** A value a shape reader saw, for bakeZeros: other, a number "0", false. */
export const SEEN_OTHER = 0
export const SEEN_ZERO = 1
export const SEEN_FALSE = 2
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65]

/**
 * `sh` with the values that were "0" or false in a line it just read (seen[i], SEEN_…) folded into its literal
 * text: a stage's task lines share which values are zero (most of a metrics tail: executor metrics, push-based
 * shuffle, spills; attempt numbers and flags in the head), and a literal byte costs a quarter of a word compare while
 * a value costs a parse and a store. A slot that occurs twice is never folded (its stores must keep their order).
 */
export function bakeZeros (sh: Shape, seen: Uint8Array): Shape {
  const lits: number[] = []
  const litEnd: number[] = []
  const kinds: number[] = []
  const slots: number[] = []
  const zeroSlots: number[] = []
  const falseSlots: number[] = []
  const uses = new Map<number, number>()
  for (const slot of sh.slots) uses.set(slot, (uses.get(slot) ?? 0) + 1)
  const literal = (k: number): void => {
    for (let i = k === 0 ? 0 : sh.litEnd[k - 1]!; i < sh.litEnd[k]!; i++) lits.push(sh.lits[i]!)
  }
  literal(0)
  for (let i = 0; i < sh.kinds.length; i++) {
    const slot = sh.slots[i]!
    const once = slot < 0 || uses.get(slot) === 1
    if (once && seen[i] === SEEN_ZERO && sh.kinds[i] === V_NUM) {
      lits.push(0x30)
      if (slot >= 0) zeroSlots.push(slot)
    } else if (once && seen[i] === SEEN_FALSE && sh.kinds[i] === V_BOOL) {
      lits.push(...FALSE)
      if (slot >= 2000) falseSlots.push(slot)
    } else {
      litEnd.push(lits.length)
      kinds.push(sh.kinds[i]!)
      slots.push(slot)
    }
    literal(i + 1)
  }
  litEnd.push(lits.length)
  return new Shape(Uint8Array.from(lits), Int32Array.from(litEnd), Uint8Array.from(kinds), Int32Array.from(slots),
    sh.executorMetrics, sh.stopBack, sh.toEnd, Int32Array.from(zeroSlots), Int32Array.from(falseSlots))
}

/** Collects a shape while the tokenizer reads a line; `shape()` answers it when the read went well. */
export class ShapeRecorder {
  private lits: number[] = []
  private litEnd: number[] = []
  private kinds: number[] = []
  private slots: number[] = []
  private line: Uint8Array = new Uint8Array(0)
  /** where the current literal began */
  private last = 0
  /** depth of the array being stepped over (-1: none) */
  skipDepth = -1
  private skipStart = 0
  executorMetrics = false
  private ok = true

  begin (line: Uint8Array, from: number): void {
    this.lits.length = 0
    this.litEnd.length = 0
    this.kinds.length = 0
    this.slots.length = 0
    this.line = line
    this.last = from
    this.skipDepth = -1
    this.executorMetrics = false
    this.ok = true
  }

  private literal (to: number): void {
    if (to < this.last || to > this.line.length) { this.ok = false; return }
    for (let i = this.last; i < to; i++) this.lits.push(this.line[i]!)
    this.litEnd.push(this.lits.length)
  }

  /** A value at [start, end) (ignored inside an array being stepped over). */
  value (start: number, end: number, kind: number, slot: number): void {
    if (this.skipDepth >= 0) return
    this.literal(start)
    this.kinds.push(kind)
    this.slots.push(slot)
    this.last = end
  }

  /** An array opens at `at`, `depth` being the depth outside it. */
  openArray (at: number, depth: number): void {
    if (this.skipDepth >= 0) return
    this.skipDepth = depth
    this.skipStart = at
  }

  /** A bracket closed at `at`, leaving `depth`: the end of the array being stepped over, when it is that one. */
  close (at: number, depth: number): void {
    if (this.skipDepth !== depth) return
    this.skipDepth = -1
    this.value(this.skipStart, at + 1, V_SKIP, -1)
  }

  /** The shape of the region read up to `end`; `stopBack` and `toEnd` as in Shape. null when the read could not be recorded. */
  shape (end: number, stopBack: number, toEnd: boolean): Shape | null {
    if (this.skipDepth >= 0) return null
    this.literal(end)
    if (!this.ok) return null
    return new Shape(Uint8Array.from(this.lits), Int32Array.from(this.litEnd), Uint8Array.from(this.kinds),
      Int32Array.from(this.slots), this.executorMetrics, stopBack, toEnd)
  }
}

/** How many shapes a region keeps (most recent first): a log alternates between few layouts. */
const SHAPES_KEPT = 2

/** Recent shapes, most recent first. */
export class ShapeList {
  readonly shapes: Shape[] = []
  /** Puts a newly learnt shape first. */
  learn (s: Shape): void {
    this.shapes.unshift(s)
    if (this.shapes.length > SHAPES_KEPT) this.shapes.length = SHAPES_KEPT
  }

  /** Moves shape i to the front (it just matched). */
  hit (i: number): void {
    if (i === 0) return
    const s = this.shapes[i]!
    this.shapes.splice(i, 1)
    this.shapes.unshift(s)
  }
}

/** The recent shapes of one region, and copies of them with recent lines' zeros folded in (tried first). */
export class ShapeSet extends ShapeList {
  readonly folded = new ShapeList()
  /** reads by a plain shape since zeros were last folded into one */
  sinceFold = 0
}

const FNV_OFFSET = 0x811c9dc5 | 0
const FNV_PRIME = 16777619
const CACHE_BITS = 12
const CACHE_MASK = (1 << CACHE_BITS) - 1

/**
 * Strings decoded once per distinct byte sequence (executor ids, hosts, localities repeat on every task line): a
 * fixed open-addressing table keyed by the bytes' FNV-1a hash and checked byte by byte; when it is full, strings are
 * decoded each time.
 */
export class StringCache {
  private readonly hashes = new Int32Array(1 << CACHE_BITS)
  private readonly bytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(1 << CACHE_BITS).fill(undefined)
  private readonly strs: string[] = new Array<string>(1 << CACHE_BITS).fill('')
  private size = 0

  /** The UTF-8 text of line[from, to), which holds no escapes. */
  get (line: Buffer, from: number, to: number): string {
    let h = FNV_OFFSET
    for (let i = from; i < to; i++) h = Math.imul(h ^ line[i]!, FNV_PRIME)
    let b = h & CACHE_MASK
    for (;;) {
      const cached = this.bytes[b]
      if (cached === undefined) break
      if (this.hashes[b] === h && cached.length === to - from && same(cached, line, from)) return this.strs[b]!
      b = (b + 1) & CACHE_MASK
    }
    const s = line.toString('utf8', from, to)
    // at most three quarters full, so that the probes stay short
    if (this.size < (3 << (CACHE_BITS - 2)) && to - from <= 256) {
      this.hashes[b] = h
      this.bytes[b] = Uint8Array.prototype.slice.call(line, from, to)
      this.strs[b] = s
      this.size++
    }
    return s
  }
}

function same (a: Uint8Array, line: Uint8Array, at: number): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== line[at + i]) return false
  return true
}
