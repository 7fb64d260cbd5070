import { useEffect, useReducer, useState } from 'react';
import { useAppServices } from '../AppServices';
import { useSignedIn } from '../SessionContext';
import { colorFor } from '../ui/theme';
import { ConversationRoom } from './ConversationRoom';

/** The live room of a conversation while the screen is open; re-renders on every change in it. */
export function useConversationRoom(conversationId: string): ConversationRoom {
  const services = useAppServices();
  const { session } = useSignedIn();
  const [room] = useState(
    () =>
      new ConversationRoom({
        url: services.collabUrl,
        conversationId,
        token: () => services.api.freshAccessToken(),
        renewToken: () => services.api.refresh(),
        user: { id: session.user.id, name: session.user.name, color: colorFor(session.user.id) },
        connectivity: services.connectivity,
        storage: services.storage,
        WebSocket: services.WebSocket,
        reconnectDelayMs: services.reconnectDelayMs,
      }),
  );
  const [, rerender] = useReducer((count: number) => count + 1, 0);
  useEffect(() => {
    const unsubscribe = room.subscribe(rerender);
    return () => {
      unsubscribe();
      room.destroy();
    };
  }, [room]);
  return room;
}
