import type { CalleeStream } from './media-client';
import type { PersonaStep, StepTrigger } from './persona';
import type { AgentUtterance } from './session';

/**
 * Runs a persona's steps against one stream (semantics in persona.ts). Waits are event-driven off
 * what the callee hears (decoded agent utterances) and the frame clock; everything unblocks when
 * the stream ends.
 */

class StreamOver extends Error {}

export async function runPersona(stream: CalleeStream, steps: PersonaStep[]): Promise<void> {
  let onAgentEnd: ((u: AgentUtterance) => void) | undefined;
  let onAgentStart: ((u: AgentUtterance) => void) | undefined;
  let onTick: ((nowMs: number) => void) | undefined;
  let abortWait: (() => void) | undefined;
  stream.on({
    agentEnd: (u) => onAgentEnd?.(u),
    agentStart: (u) => onAgentStart?.(u),
    tick: (ms) => onTick?.(ms),
    end: () => abortWait?.(),
  });

  const wait = <T>(arm: (resolve: (v: T) => void) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (stream.isOver) return reject(new StreamOver());
      abortWait = () => reject(new StreamOver());
      arm(resolve);
    }).finally(() => {
      abortWait = undefined;
      onAgentEnd = undefined;
      onAgentStart = undefined;
      onTick = undefined;
    });

  /**
   * Waits in media time (frames sent), not wall-clock time: under load the frame clock catches up in
   * bursts, and persona timing must stay exact relative to what was sent and heard.
   */
  const sleepUntil = (atMs: number) =>
    wait<void>((resolve) => {
      if (stream.nowMs() >= atMs) return resolve();
      onTick = (now) => {
        if (now >= atMs) resolve();
      };
    });
  const sleep = (ms: number) => sleepUntil(stream.nowMs() + ms);

  const agentDone = () =>
    wait<void>((resolve) => {
      // A pause inside the agent's audio (more of it already queued) is not its end of turn.
      onAgentEnd = (u) => {
        if (!u.interrupted && !stream.agentAudioQueued) resolve();
      };
    });

  const trigger = (t: StepTrigger | undefined) => (t === undefined || t === 'agent_done' ? agentDone() : sleep(t.ms));

  /** Until the agent has been talking for `ms` (the utterance in progress, else the next one). */
  const agentTalkingFor = async (ms: number) => {
    const open = stream.session.agent.at(-1);
    const u = open && open.endMs === undefined ? open : await wait<AgentUtterance>((resolve) => (onAgentStart = resolve));
    await sleepUntil(u.startMs + ms);
  };

  try {
    for (const step of steps) {
      if (stream.isOver) return;
      if ('say' in step) {
        await trigger(step.after);
        await stream.speak('say', step.say);
      } else if ('interrupt' in step) {
        await agentTalkingFor(step.afterAgentMs ?? 800);
        await stream.speak('interrupt', step.interrupt);
      } else if ('backchannel' in step) {
        await agentTalkingFor(step.afterAgentMs ?? 800);
        await stream.speak('backchannel', step.backchannel);
      } else if ('dtmf' in step) {
        await trigger(step.after);
        stream.sendDtmf(step.dtmf);
      } else if ('silence' in step) {
        if (step.silence === true) return;
        await sleep(step.silence.ms);
      } else if ('hangup' in step) {
        await trigger(step.after);
        stream.hangup('callee');
        return;
      }
    }
  } catch (err) {
    if (!(err instanceof StreamOver)) throw err;
  }
}
