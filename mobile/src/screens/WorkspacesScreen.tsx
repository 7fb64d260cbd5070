import { useEffect, useState } from 'react';
import { FlatList, Text, View } from 'react-native';
import { ApiError } from '../api/ApiError';
import type { Workspace } from '../api/types';
import { useAppServices } from '../AppServices';
import { styles } from '../ui/theme';

/** The workspaces the person belongs to, with their role in each. */
export function WorkspacesScreen() {
  const { api } = useAppServices();
  const [workspaces, setWorkspaces] = useState<Workspace[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api
      .listWorkspaces()
      .then(setWorkspaces, (caught: unknown) => setError(caught instanceof ApiError ? caught.message : 'Could not load your workspaces.'));
  }, [api]);

  return (
    <View style={styles.screen}>
      {error && <Text style={styles.error}>{error}</Text>}
      {workspaces?.length === 0 && <Text style={styles.muted}>You are in no workspace yet.</Text>}
      <FlatList
        data={workspaces ?? []}
        keyExtractor={(item) => item.id}
        renderItem={({ item }) => (
          <View style={styles.row}>
            <Text style={styles.label}>{item.name}</Text>
            <Text style={styles.muted}>{item.role}</Text>
          </View>
        )}
      />
    </View>
  );
}
