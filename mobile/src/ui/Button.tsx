import { Pressable, Text } from 'react-native';
import { styles } from './theme';

/** A filled button; `disabled` greys it and ignores presses. */
export function Button({ title, onPress, disabled }: { title: string; onPress: () => void; disabled?: boolean }) {
  return (
    <Pressable
      accessibilityRole="button"
      accessibilityState={{ disabled: !!disabled }}
      onPress={disabled ? undefined : onPress}
      style={[styles.button, disabled ? { opacity: 0.5 } : null]}
    >
      <Text style={styles.buttonText}>{title}</Text>
    </Pressable>
  );
}
