import { useCallback, useEffect, useState } from 'react';
import { FlatList, Pressable, RefreshControl, Text, View } from 'react-native';
import { ApiError } from '../api/ApiError';
import type { Conversation } from '../api/types';
import { useAppServices } from '../AppServices';
import type { ScreenProps } from '../navigation';
import { styles } from '../ui/theme';
import { UnsentList } from './UnsentList';

/** The person's conversations, newest first as the API lists them; pull to refresh. */
export function ConversationsScreen({ navigation }: ScreenProps<'Conversations'>) {
  const { api } = useAppServices();
  const [conversations, setConversations] = useState<Conversation[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [isRefreshing, setRefreshing] = useState(false);

  const load = useCallback(async () => {
    try {
      setConversations(await api.listConversations());
      setError(null);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'Could not load your conversations.');
    }
  }, [api]);

  useEffect(() => {
    void load();
    return navigation.addListener('focus', () => void load());
  }, [load, navigation]);

  return (
    <View style={styles.screen}>
      <UnsentList />
      {error && <Text style={styles.error}>{error}</Text>}
      {conversations === null && !error && <Text style={styles.muted}>Loading…</Text>}
      {conversations?.length === 0 && <Text style={styles.muted}>No conversations yet.</Text>}
      <FlatList
        data={conversations ?? []}
        keyExtractor={(item) => item.id}
        refreshControl={
          <RefreshControl
            refreshing={isRefreshing}
            onRefresh={() => {
              setRefreshing(true);
              void load().finally(() => setRefreshing(false));
            }}
          />
        }
        renderItem={({ item }) => (
          <Pressable
            testID={`conversation-row-${item.id}`}
            accessibilityRole="button"
            style={styles.row}
            onPress={() => navigation.navigate('Conversation', { conversationId: item.id, title: item.title })}
          >
            <Text style={styles.label}>{item.title}</Text>
            <Text style={styles.muted}>{new Date(item.updatedAt).toLocaleString()}</Text>
          </Pressable>
        )}
      />
    </View>
  );
}
