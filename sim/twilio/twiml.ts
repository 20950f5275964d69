/**
 * Reads the one TwiML shape the simulator needs: `<Connect><Stream url><Parameter name value/>…`.
 * A regex reader rather than an XML library: the input is what our own adapter generates via
 * twilio.twiml, and anything else (e.g. <Say>, <Hangup>) only has to be recognised, not run.
 */
export interface ParsedTwiml {
  stream?: { url: string; parameters: Record<string, string> };
  /** `<Dial>number</Dial>`: where a call update transfers the call. */
  dial?: string;
  /** Verbs after </Connect>: when empty, the call ends as soon as the stream closes. */
  afterConnect: string;
}

const decode = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? decode(m[1]!) : undefined;
}

export function parseTwiml(twiml: string): ParsedTwiml {
  const streamTag = /<Stream\b(?:[^>"]|"[^"]*")*>/.exec(twiml)?.[0];
  const afterConnect = twiml.split('</Connect>')[1]?.replace('</Response>', '').trim() ?? '';
  const dialed = /<Dial\b(?:[^>"]|"[^"]*")*>\s*([^<\s]+)\s*<\/Dial>/.exec(twiml)?.[1];
  if (!streamTag) return { afterConnect, ...(dialed ? { dial: decode(dialed) } : {}) };
  const url = attr(streamTag, 'url') ?? '';
  const parameters: Record<string, string> = {};
  // Quoted attribute values may contain '>' (XML only requires '<' and '&' to be escaped there).
  for (const m of twiml.matchAll(/<Parameter\b(?:[^>"]|"[^"]*")*\/?>/g)) {
    const name = attr(m[0], 'name');
    if (name !== undefined) parameters[name] = attr(m[0], 'value') ?? '';
  }
  return { stream: { url, parameters }, afterConnect };
}
