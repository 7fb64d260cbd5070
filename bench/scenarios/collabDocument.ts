import { setTimeout as sleep } from 'node:timers/promises';
import * as Y from 'yjs';
import { openProvider } from '../../test/collab.ts';
import { withOurCollab, withPlainCollab, type CollabNodes } from '../lib/collabServers.ts';
import { summarize } from '../lib/latency.ts';
import type { Measurement, Scenario } from '../lib/types.ts';

const LOADED_DOCUMENTS = 200;
const EDITS = 10_000;
const LOAD_SAMPLES = 5;
const LOG_SAMPLES = 3;

/**
 * What a document costs a node: memory per loaded document (200 documents open, one client each,
 * measured after GC) and the time from opening a provider to its first sync for a document built from
 * 10,000 edits, on a node that has not loaded it. Ours loads from PostgreSQL (the compact state the
 * server stores; and, in the notes, the worst case of 10,000 update-log rows never compacted); plain
 * Hocuspocus applies the same state from memory in onLoadDocument. Figures only: no targets.
 */
export const collabDocument: Scenario = {
  id: 'collab-document',
  title: `Collab document load, ${EDITS.toLocaleString('en-US')} edits (first sync)`,
  kind: 'collab',
  targets: {},
  approximateSeconds: () => 60,
  async run() {
    const small = smallDocument();
    const large = typedDocument(EDITS);
    const gc = ['--expose-gc'];
    const ours = await withOurCollab({ nodeArgs: gc }, async (collab) => {
      const memory = await memoryPerDocument(collab, () => collab.createDocument({ state: small }));
      const names = await Promise.all(Array.from({ length: LOAD_SAMPLES }, () => collab.createDocument({ state: large.state })));
      const fromState = await timeFirstSyncs(collab, names);
      const logNames: string[] = [];
      for (let i = 0; i < LOG_SAMPLES; i++) logNames.push(await collab.createDocument({ log: large.updates }));
      const fromLog = await timeFirstSyncs(collab, logNames);
      return { memory, fromState, fromLog };
    });
    const plainMemory = await withPlainCollab({ nodeArgs: gc, state: small }, (collab) =>
      memoryPerDocument(collab, () => collab.createDocument()),
    );
    const plainLoad = await withPlainCollab({ state: large.state }, async (collab) =>
      timeFirstSyncs(collab, await Promise.all(Array.from({ length: LOAD_SAMPLES }, () => collab.createDocument()))),
    );

    const kib = (bytes: number) => `${Math.round(bytes / 1024).toLocaleString('en-US')} KiB`;
    const notes = [
      `memory per loaded document (${LOADED_DOCUMENTS} open, one client each, after GC): ours ${kib(ours.memory.heapUsed)} heap, ` +
        `plain Hocuspocus ${kib(plainMemory.heapUsed)} heap (RSS: ours ${kib(ours.memory.rss)}, plain ${kib(plainMemory.rss)}; ` +
        'RSS moves with the allocator and is noisy)',
      `the ${EDITS.toLocaleString('en-US')}-edit document is ${kib(large.state.byteLength)} stored; ` +
        `loading it from ${EDITS.toLocaleString('en-US')} uncompacted update-log rows (a node died before storing) ` +
        `takes p50 ${summarize(ours.fromLog).p50.toFixed(0)} ms, max ${summarize(ours.fromLog).max.toFixed(0)} ms`,
    ];
    return {
      subject: asMeasurement('our collab server (compact state in PostgreSQL)', ours.fromState, LOAD_SAMPLES),
      baseline: asMeasurement('plain Hocuspocus (state from memory)', plainLoad, LOAD_SAMPLES),
      notes,
    };
  },
};

/** Loads LOADED_DOCUMENTS documents (one client each) and divides the growth of the server's memory by their number. */
async function memoryPerDocument(collab: CollabNodes, create: () => Promise<string>): Promise<{ rss: number; heapUsed: number }> {
  const url = collab.urls[0]!;
  const names: string[] = [];
  for (let i = 0; i < LOADED_DOCUMENTS + 1; i++) names.push(await create());
  // One document loaded and unloaded first, so the code paths are compiled before the first reading.
  const warm = openProvider(url, names.pop()!, collab.token);
  await warm.synced;
  warm.destroy();
  await sleep(1_000);
  const before = (await collab.nodes[0]!.ask('memory')) as { rss: number; heapUsed: number };
  const providers = [];
  for (let i = 0; i < names.length; i += 25) {
    const batch = names.slice(i, i + 25).map((name) => openProvider(url, name, collab.token));
    await Promise.all(batch.map((p) => p.synced));
    providers.push(...batch);
  }
  await sleep(500);
  const loaded = Number(await collab.nodes[0]!.ask('documents'));
  if (loaded < LOADED_DOCUMENTS) throw new Error(`only ${loaded} of ${LOADED_DOCUMENTS} documents are loaded`);
  const after = (await collab.nodes[0]!.ask('memory')) as { rss: number; heapUsed: number };
  providers.forEach((p) => p.destroy());
  return { rss: (after.rss - before.rss) / LOADED_DOCUMENTS, heapUsed: (after.heapUsed - before.heapUsed) / LOADED_DOCUMENTS };
}

/** Opens each document in turn on a warmed-up node and times the provider's first sync, ms. */
async function timeFirstSyncs(collab: CollabNodes, names: string[]): Promise<number[]> {
  const url = collab.urls[0]!;
  const warm = openProvider(url, await collab.createDocument(), collab.token);
  await warm.synced;
  warm.destroy();
  const times: number[] = [];
  for (const name of names) {
    const started = performance.now();
    const opened = openProvider(url, name, collab.token);
    await opened.synced;
    times.push(performance.now() - started);
    opened.destroy();
  }
  return times;
}

function asMeasurement(label: string, times: number[], count: number): Measurement {
  return {
    label,
    requestsPerSecond: 0,
    latencyMs: summarize(times),
    requests: count,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    durationSeconds: 0,
    connections: 1,
  };
}

/** A title and a draft of a few paragraphs, as a working conversation holds. */
function smallDocument(): Uint8Array {
  const doc = new Y.Doc();
  doc.getText('title').insert(0, 'Quarterly planning with the assistant');
  const draft = doc.getXmlFragment('draft');
  for (let i = 0; i < 8; i++) {
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText(`Paragraph ${i}: ${'a realistic sentence of a shared draft. '.repeat(6)}`)]);
    draft.push([paragraph]);
  }
  return Y.encodeStateAsUpdate(doc);
}

/** A draft typed one character per edit, with a correction every 20 characters: each edit one update, as the server logs them. */
function typedDocument(edits: number): { updates: Uint8Array[]; state: Uint8Array } {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  const paragraph = new Y.XmlElement('paragraph');
  doc.getXmlFragment('draft').push([paragraph]);
  const text = new Y.XmlText();
  paragraph.insert(0, [text]);
  const sentence = 'The team writes the next prompt together, one keystroke at a time. ';
  for (let i = 0; updates.length < edits; i++) {
    if (i % 20 === 19) text.delete(text.length - 1, 1);
    else text.insert(text.length, sentence[i % sentence.length]!);
  }
  return { updates, state: Y.encodeStateAsUpdate(doc) };
}
