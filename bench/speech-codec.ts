/**
 * CPU cost of the simulators' speech codec, per call: how much of one core encoding and decoding
 * takes per second of audio, and so how many concurrent simulated calls (caller voice decoded by
 * the STT simulator + agent voice encoded by the TTS simulator + caller voice encoded) fit on a
 * core. Prints figures; asserts nothing.
 */
import { SpeechDecoder, encodeSpeech, ulawSilence } from '../sim/audio';

const sentence = 'Hello, this is a simulated caller speaking at a natural rate. Could you repeat the appointment time please?';
const audioSec = 60;
const utterance = Buffer.concat([encodeSpeech(sentence), ulawSilence(700)]);
const reps = Math.ceil((audioSec * 8000) / utterance.length);
const audio = Buffer.concat(Array.from({ length: reps }, () => utterance));
const seconds = audio.length / 8000;

let t0 = process.hrtime.bigint();
let encodedBytes = 0;
while (encodedBytes < audio.length) encodedBytes += encodeSpeech(sentence).length + 5600;
const encodeMs = Number(process.hrtime.bigint() - t0) / 1e6;

t0 = process.hrtime.bigint();
const d = new SpeechDecoder();
let finals = 0;
for (let i = 0; i < audio.length; i += 160) for (const e of d.feed(audio.subarray(i, i + 160))) if (e.type === 'final') finals++;
const decodeMs = Number(process.hrtime.bigint() - t0) / 1e6;

const perCallCorePct = ((encodeMs * 2 + decodeMs) / (seconds * 1000)) * 100;
console.log(`audio: ${seconds.toFixed(1)} s (${finals} utterances decoded, ${reps} expected)`);
console.log(`encode: ${encodeMs.toFixed(1)} ms  → ${((encodeMs / seconds / 1000) * 100).toFixed(3)}% of a core per call`);
console.log(
  `decode (20 ms frames): ${decodeMs.toFixed(1)} ms  → ${((decodeMs / seconds / 1000) * 100).toFixed(3)}% of a core per call`,
);
console.log(
  `per call (2 encoders + 1 decoder, continuous speech): ${perCallCorePct.toFixed(3)}% of a core → ~${Math.floor(100 / perCallCorePct)} calls per core`,
);
