/*
 * Flow names are typed by people and compared by people: two names that look the same must not make two flows
 * without the user saying so. Names are stored in NFC (what macOS NFD input and Windows NFC input agree on); names
 * that differ only by case, compatibility forms or look-alike letters of other scripts share a skeleton (a
 * simplified form of Unicode TR 39's), and adding one next to the other asks for a confirmation.
 */

/** The stored form of a typed flow name: trimmed, NFC. */
export function normalizeFlowName (name: string): string {
  return name.trim().normalize('NFC')
}

// Cyrillic and Greek letters drawn like Latin ones (lower case; upper case is folded first).
const LOOK_ALIKE_FROM = 'авеёкмнорстухіїјѕԁӏɡԛԝαβεηικνορτυχγω'
const LOOK_ALIKE_TO = 'abeekmhopctyxiijsdlgqwabenikvoptuxyw'
const CONFUSABLE = new Map([...LOOK_ALIKE_FROM].map((ch, i) => [ch, LOOK_ALIKE_TO[i]!]))
// invisible characters (zero-width, joiners, bidi marks) and combining marks do not change how a name reads
const INVISIBLE = /[\p{Cf}\p{Mn}]/gu

/** The form two look-alike names share: compatibility-folded, case-folded, invisible marks dropped, look-alikes mapped. */
export function flowNameSkeleton (name: string): string {
  const folded = name.normalize('NFKD').replace(INVISIBLE, '').toLowerCase()
  let out = ''
  for (const ch of folded) out += CONFUSABLE.get(ch) ?? ch
  return out.replace(/\s+/g, ' ').trim()
}

/** The existing names that look like `name` without being it. */
export function lookAlikeFlowNames (name: string, existing: Iterable<string>): string[] {
  const skeleton = flowNameSkeleton(name)
  const out: string[] = []
  for (const e of existing) if (e !== name && flowNameSkeleton(e) === skeleton) out.push(e)
  return out
}

const ZWJ = 0x200d
const EMOJI_BEFORE = /[\p{Extended_Pictographic}\p{Emoji_Modifier}\uFE0F]$/u
const EMOJI_AFTER = /^\p{Extended_Pictographic}/u
const FORMAT_CHAR = /\p{Cf}/gu

const codePoint = (ch: string): string => `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`

/**
 * Why a typed name cannot become a new flow, or null. Beyond what the store refuses for every name (control
 * characters, broken Unicode): `.` and `..`, which a browser normalises out of the flow's address, and invisible
 * format characters (bidi overrides and isolates, zero-width spaces, soft hyphens) that make a name look like
 * another; a zero-width joiner inside an emoji sequence is part of the emoji and stays.
 */
export function newFlowNameProblem (name: string): string | null {
  const t = name.trim()
  if (t === '.' || t === '..') return `A flow cannot be named "${t}": a browser removes it from the flow's address, so the flow could never be opened.`
  for (const m of name.matchAll(FORMAT_CHAR)) {
    const at = m.index
    if (m[0].codePointAt(0) === ZWJ && EMOJI_BEFORE.test(name.slice(0, at)) && EMOJI_AFTER.test(name.slice(at + 1))) continue
    return `A flow name cannot contain invisible or text-direction characters (found ${codePoint(m[0])} at position ${[...name.slice(0, at)].length + 1}): they make a name look like another one.`
  }
  return null
}
