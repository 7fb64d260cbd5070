import { StyleSheet } from 'react-native';

/** The few colours and spacings every screen shares. */
export const colors = { accent: '#4f46e5', danger: '#b91c1c', muted: '#6b7280', border: '#e5e7eb', background: '#ffffff' };

/** A colour for a person's presence dot, stable for their id. */
export function colorFor(id: string): string {
  const palette = ['#2563eb', '#16a34a', '#d97706', '#db2777', '#7c3aed', '#0891b2'];
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return palette[hash % palette.length] ?? colors.accent;
}

export const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.background, padding: 16, gap: 12 },
  row: { paddingVertical: 12, borderBottomWidth: StyleSheet.hairlineWidth, borderColor: colors.border },
  title: { fontSize: 20, fontWeight: '600' },
  label: { fontSize: 16 },
  muted: { color: colors.muted },
  error: { color: colors.danger },
  input: { borderWidth: 1, borderColor: colors.border, borderRadius: 8, padding: 10, fontSize: 16 },
  button: { backgroundColor: colors.accent, borderRadius: 8, padding: 12, alignItems: 'center' },
  buttonText: { color: '#ffffff', fontWeight: '600' },
  link: { color: colors.accent, padding: 8 },
});
