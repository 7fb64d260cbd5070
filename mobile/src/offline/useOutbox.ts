import { useEffect, useState } from 'react';
import type { Outbox, OutboxAction } from './Outbox';

/** The outbox's actions, kept current as they are sent, retried or given up. */
export function useOutboxActions(outbox: Outbox): OutboxAction[] {
  const [actions, setActions] = useState<OutboxAction[]>([]);
  useEffect(() => outbox.subscribe(setActions), [outbox]);
  return actions;
}
