import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { FlatList, Pressable, Text, TextInput, View } from 'react-native';
import { useAppServices } from '../AppServices';
import type { ConversationRoom } from '../collab/ConversationRoom';
import { useConversationRoom } from '../collab/useConversationRoom';
import type { ScreenProps } from '../navigation';
import { useSignedIn } from '../SessionContext';
import { useOutboxActions } from '../offline/useOutbox';
import { Button } from '../ui/Button';
import { styles } from '../ui/theme';
import { UnsentList } from './UnsentList';

/** Stop showing "typing" this long after the last keystroke in the draft. */
const TYPING_IDLE_MS = 2_000;

/** A conversation: live messages, who is here, the shared draft, and a composer that works offline. */
export function ConversationScreen({ route, navigation }: ScreenProps<'Conversation'>) {
  const { conversationId, title } = route.params;
  const { api } = useAppServices();
  const room = useConversationRoom(conversationId);

  useEffect(() => {
    // Opened from a notification, the screen knows only the id: the title comes from the API.
    if (!title)
      api.getConversation(conversationId).then(
        (conversation) => navigation.setParams({ title: conversation.title }),
        () => undefined,
      );
  }, [api, conversationId, title, navigation]);

  useLayoutEffect(() => {
    navigation.setOptions({
      title,
      headerRight: () => (
        <Pressable accessibilityRole="button" onPress={() => navigation.navigate('Share', { conversationId, title })}>
          <Text style={styles.link}>Share</Text>
        </Pressable>
      ),
    });
  }, [navigation, conversationId, title]);

  return (
    <View style={styles.screen}>
      <ConnectionLine room={room} />
      <PresenceLine room={room} />
      <UnsentList conversationId={conversationId} />
      <Messages room={room} conversationId={conversationId} />
      <Draft room={room} />
      <Composer conversationId={conversationId} />
    </View>
  );
}

function ConnectionLine({ room }: { room: ConversationRoom }) {
  const waiting = room.unsyncedChanges;
  const text =
    room.state === 'connected'
      ? 'Live'
      : room.state === 'offline'
        ? `Offline${waiting > 0 ? ` — ${waiting} changes waiting` : ''}`
        : room.state === 'ended'
          ? `Closed: ${room.endReason ?? 'access ended'}`
          : 'Connecting…';
  return <Text style={room.state === 'ended' ? styles.error : styles.muted}>{text}</Text>;
}

function PresenceLine({ room }: { room: ConversationRoom }) {
  const people = room.presence();
  if (people.length === 0) return null;
  return (
    <Text accessibilityLabel="Here now" style={styles.muted}>
      Here: {people.map((person) => `${person.isSelf ? 'you' : person.user.name}${person.typing ? ' (typing)' : ''}`).join(', ')}
    </Text>
  );
}

function Messages({ room, conversationId }: { room: ConversationRoom; conversationId: string }) {
  const { outbox } = useSignedIn();
  const sending = useOutboxActions(outbox).filter((action) => action.conversationId === conversationId && !action.failure);
  const messages = room.messages();
  return (
    <FlatList
      style={{ flex: 1 }}
      data={[
        ...messages.map((message) => ({ key: message.id, text: message.content, isSending: false })),
        ...sending.map((action) => ({ key: action.key, text: action.summary, isSending: true })),
      ]}
      renderItem={({ item }) => (
        <View style={styles.row} testID={item.isSending ? 'message-sending' : 'message'}>
          <Text style={styles.label}>{item.text}</Text>
          {item.isSending && <Text style={styles.muted}>Sending…</Text>}
        </View>
      )}
    />
  );
}

function Draft({ room }: { room: ConversationRoom }) {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  return (
    <TextInput
      accessibilityLabel="Shared draft"
      style={[styles.input, { minHeight: 60 }]}
      multiline
      editable={!room.readOnly}
      placeholder="The shared draft: everyone here writes it together"
      value={room.draftText()}
      onChangeText={(text) => {
        room.setDraftText(text);
        room.setTyping(true);
        clearTimeout(timer.current);
        timer.current = setTimeout(() => room.setTyping(false), TYPING_IDLE_MS);
      }}
    />
  );
}

function Composer({ conversationId }: { conversationId: string }) {
  const { newKey } = useAppServices();
  const { outbox } = useSignedIn();
  const [text, setText] = useState('');
  const send = async () => {
    const content = text.trim();
    if (!content) return;
    setText('');
    // Kept on the phone first, with its Idempotency-Key: sent now if online, else when the network returns.
    await outbox.add(
      {
        kind: 'message',
        path: `/api/conversations/${encodeURIComponent(conversationId)}/messages`,
        body: { role: 'user', content },
        conversationId,
        summary: content,
      },
      newKey(),
    );
  };
  return (
    <View style={{ flexDirection: 'row', gap: 8, alignItems: 'center' }}>
      <TextInput
        accessibilityLabel="Message"
        style={[styles.input, { flex: 1 }]}
        placeholder="Write a message"
        value={text}
        onChangeText={setText}
      />
      <View style={{ width: 80 }}>
        <Button title="Send" onPress={() => void send()} disabled={!text.trim()} />
      </View>
    </View>
  );
}
