/**
 * What the collab extensions need to know about y-protocols sync frames (`beforeSync` hands them the
 * sub-type and the payload): SyncStep1 carries a state vector, SyncStep2 and Update carry an update.
 */
const SYNC_STEP_2 = 1;
const SYNC_UPDATE = 2;

/** True for sync sub-types whose payload is a Yjs update the server would apply. */
export const carriesUpdate = (type: number): boolean => type === SYNC_STEP_2 || type === SYNC_UPDATE;

/** An update that changes nothing: no structs and an empty delete set, what an up-to-date client sends. */
export const isEmptyUpdate = (update: Uint8Array): boolean => update.byteLength <= 2 && update.every((byte) => byte === 0);
