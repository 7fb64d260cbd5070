import * as Y from 'yjs';
import { acknowledged, openProvider, type TestProvider } from '../../test/collab.ts';
import type { FanOutPlan, WorkerReport } from '../lib/fanOut.ts';

/**
 * One of the fan-out bench's client processes (forked by bench/lib/fanOut.ts). It holds some of the
 * clients of one document; each owns a paragraph of the shared `draft` (an XmlElement, as TipTap
 * writes) and sets `{ from, seq, sentAt }` as its `edit` attribute on schedule — an edit our server
 * lets clients make (only `title` text and `draft` XML are theirs) — and records, for every edit of
 * another client it receives, receipt time − sentAt. All processes run on one machine, so they share
 * the clock.
 */
const clock = () => performance.timeOrigin + performance.now();
const send = (message: WorkerReport | { type: 'ready' }) => process.send!(message);

interface BenchEdit {
  from: number;
  seq: number;
  sentAt: number;
}

// A failure rejects unhandled, which ends this process: the parent sees its worker exit.
process.once('message', (plan: FanOutPlan) => void runClients(plan));

async function runClients(plan: FanOutPlan): Promise<void> {
  const latencies: number[] = [];
  let received = 0;
  const clients = plan.ids.map((id) => {
    const opened = openProvider(plan.urls[id % plan.urls.length]!, plan.documentName, plan.token, { reconnectDelay: 1000 });
    const draft = opened.doc.getXmlFragment('draft');
    const seen = new Set<string>();
    draft.observeDeep((events, transaction) => {
      if (transaction.local) return;
      const now = clock();
      for (const event of events) {
        if (!(event instanceof Y.YXmlEvent) || !(event.target instanceof Y.XmlElement) || !event.attributesChanged.has('edit')) continue;
        const edit = event.target.getAttribute('edit') as unknown as BenchEdit | undefined;
        if (!edit || edit.from === id || seen.has(`${edit.from}:${edit.seq}`)) continue;
        seen.add(`${edit.from}:${edit.seq}`);
        received += 1;
        if (edit.seq >= plan.warmupRounds) latencies.push(now - edit.sentAt);
      }
    });
    const edits = new Y.XmlElement('paragraph');
    return { id, opened, edits };
  });
  await Promise.all(clients.map(({ opened }) => opened.synced));
  // Each client's own paragraph, in place (and acknowledged) before anyone starts timing edits.
  for (const { opened, edits } of clients) opened.doc.getXmlFragment('draft').push([edits]);
  await Promise.all(clients.map(({ opened }) => acknowledged(opened.provider, 30_000)));
  send({ type: 'ready' });

  const { startAt } = await new Promise<{ startAt: number }>((resolve) => process.once('message', resolve));
  const rounds = plan.warmupRounds + plan.rounds;
  await Promise.all(
    clients.map(({ id, edits }) => editOnSchedule(id, edits, startAt + (id / plan.clients) * plan.intervalMs, rounds, plan.intervalMs)),
  );

  // Every client should receive every other client's every edit; wait for the stragglers, within reason.
  const expected = clients.length * (plan.clients - 1) * rounds;
  const deadline = clock() + plan.drainMs;
  while (received < expected && clock() < deadline) await sleep(20);
  clients.forEach(({ opened }) => destroy(opened));
  // The parent ends this process once it has the report: exiting here could beat a large report through the IPC channel.
  send({ type: 'done', expected, received, latencies });
}

async function editOnSchedule(id: number, paragraph: Y.XmlElement, firstAt: number, rounds: number, intervalMs: number): Promise<void> {
  for (let seq = 0; seq < rounds; seq++) {
    await sleep(firstAt + seq * intervalMs - clock());
    const edit: BenchEdit = { from: id, seq, sentAt: clock() };
    paragraph.setAttribute('edit', edit as unknown as string);
  }
}

function destroy(opened: TestProvider): void {
  opened.destroy();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
