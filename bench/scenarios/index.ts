import type { Scenario } from '../lib/types.ts';
import { backupLogical } from './backupLogical.ts';
import { codeConcurrent, codeJavaScript, codePython } from './codeExecution.ts';
import { collabDocument } from './collabDocument.ts';
import { collabFanOut } from './collabFanOut.ts';
import { conversationGet } from './conversationGet.ts';
import { imagesOcr, imagesThumbnail } from './images.ts';
import { pluginsMcp, pluginsWordcount } from './plugins.ts';
import { shareView } from './shareView.ts';
import { voiceTranscription } from './voice.ts';

/**
 * Every benchmark, run in this order by `npm run bench` (or pick some: `npm run bench -- <id> …`).
 * A new one is a file in this folder exporting a Scenario: it measures its subject and its baseline in
 * the same run and states its targets; the runner compares, reports and updates the README.
 * Fan-out sizes are scenarios of their own (`collab-fan-out-50`), so any one can run alone.
 */
export const scenarios: Scenario[] = [
  conversationGet,
  shareView(false),
  shareView(true),
  collabFanOut(20),
  collabFanOut(50),
  collabFanOut(100),
  collabFanOut(20, 2),
  collabDocument,
  codeJavaScript,
  codePython,
  codeConcurrent,
  voiceTranscription,
  imagesOcr,
  imagesThumbnail,
  pluginsWordcount,
  pluginsMcp,
  backupLogical,
];
