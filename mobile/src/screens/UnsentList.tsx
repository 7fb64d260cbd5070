import { Pressable, Text, View } from 'react-native';
import { useSignedIn } from '../SessionContext';
import { useOutboxActions } from '../offline/useOutbox';
import { styles } from '../ui/theme';

/**
 * "Couldn't send": actions the server refused for good (a deleted conversation, a lost permission).
 * They stay until the person retries or discards them; nothing they wrote silently disappears.
 */
export function UnsentList({ conversationId }: { conversationId?: string }) {
  const { outbox } = useSignedIn();
  const failed = useOutboxActions(outbox).filter(
    (action) => action.failure && (conversationId === undefined || action.conversationId === conversationId),
  );
  if (failed.length === 0) return null;
  return (
    <View accessibilityLabel="Couldn't send" style={{ gap: 4 }}>
      <Text style={[styles.label, styles.error]}>Couldn't send</Text>
      {failed.map((action) => (
        <View key={action.key} style={{ flexDirection: 'row', alignItems: 'center', gap: 8 }}>
          <Text style={{ flex: 1 }} numberOfLines={2}>
            {action.summary} — {action.failure?.message}
          </Text>
          <Pressable accessibilityRole="button" onPress={() => void outbox.retry(action.key)}>
            <Text style={styles.link}>Retry</Text>
          </Pressable>
          <Pressable accessibilityRole="button" onPress={() => void outbox.discard(action.key)}>
            <Text style={styles.link}>Discard</Text>
          </Pressable>
        </View>
      ))}
    </View>
  );
}
